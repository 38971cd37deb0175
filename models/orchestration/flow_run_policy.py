"""The flow-run orchestration policy: the ordered rules a flow run's set_state goes through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from models.orchestration.deployment_concurrency import (
    KeepDeploymentSlotAtRunning,
    SecureDeploymentConcurrencySlot,
)
from models.orchestration.rules import (
    CancelRunsWithNothingToStop,
    KeepCancellingUntilCancelled,
    KeepFinishedFlowRunsFinished,
    PauseOnlyRunningFlowRuns,
    PreventDuplicateSubmission,
    PreventRepeatedTransitions,
    ResumePausedFlowRuns,
    RetryFailedFlowRuns,
    Rule,
    WaitForScheduledTime,
    first_decision,
)
from models.orchestration.transitions import Decision, Transition

#: In order: the first rule that speaks decides. A repeated request is recognised before
#: anything else; PENDING from CANCELLING aborts (the worker skips the run) rather than
#: being held in CANCELLING; CANCELLING a run with no process to stop becomes CANCELLED
#: (a suspended run's included) before the pause rules see it; PAUSED -> PAUSED is refused
#: as a pause of a run that is not running, before the resume rule sees it. The deployment's
#: concurrency limit speaks once a run may go PENDING or RUNNING at all, as on Prefect's
#: server: a run that is not let start never waits for its scheduled time.
FLOW_RUN_RULES: Final[Sequence[Rule]] = (
    PreventRepeatedTransitions(),
    PreventDuplicateSubmission(),
    KeepFinishedFlowRunsFinished(),
    KeepCancellingUntilCancelled(),
    CancelRunsWithNothingToStop(),
    KeepDeploymentSlotAtRunning(),
    SecureDeploymentConcurrencySlot(),
    PauseOnlyRunningFlowRuns(),
    ResumePausedFlowRuns(),
    WaitForScheduledTime(),
    RetryFailedFlowRuns(),
)


def orchestrate(transition: Transition, rules: Sequence[Rule] = FLOW_RUN_RULES) -> Decision:
    """Decide a proposed flow-run state: the first rule that speaks decides, else ACCEPT.

    Pure and synchronous: safe to call inside the transaction that then applies the decision.
    """
    return first_decision(transition, rules)

"""The task-run orchestration policy: the few rules a task run's REST set_state goes through.

The Prefect client orchestrates task runs itself and reports their states as events, which
the persistence actors store without asking any rule. Only the REST set_state comes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from models.orchestration.rules import PreventRepeatedTransitions, Rule, first_decision
from models.orchestration.transitions import Decision, Transition

#: A retried request must not be applied twice; everything else is the client's call.
TASK_RUN_RULES: Final[Sequence[Rule]] = (PreventRepeatedTransitions(),)


def orchestrate(transition: Transition, rules: Sequence[Rule] = TASK_RUN_RULES) -> Decision:
    """Decide a proposed task-run state: the first rule that speaks decides, else ACCEPT."""
    return first_decision(transition, rules)

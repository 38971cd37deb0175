"""The orchestration policy of marking a flow run Late: the one rule a Late state meets.

The late-runs service proposes Late for SCHEDULED runs past their start time. It is not a
client's transition, so the client-facing rules do not apply; what must hold is that only
a run still waiting in SCHEDULED is marked, and only once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from models.orchestration.rules import ALL_STATE_TYPES, Rule
from models.orchestration.transitions import Decision, Transition
from models.states import StateType

#: The name of the SCHEDULED state a run that missed its start time enters.
LATE: Final = "Late"


class MarkOnlyScheduledRunsLate(Rule):
    """A run that left SCHEDULED (a Prefect worker took it meanwhile) or is Late already
    stays as it is: the service read it a moment before it moved."""

    from_states = ALL_STATE_TYPES | {None}
    to_states = frozenset({StateType.SCHEDULED})

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        if transition.proposed.name != LATE or current is None:
            return None
        if current.type is not StateType.SCHEDULED:
            return Decision.reject(current, "Only scheduled flows can be marked late.")
        if current.name == LATE:
            return Decision.reject(current, "This flow run is already marked late.")
        return None


LATE_RUN_RULES: Final[Sequence[Rule]] = (MarkOnlyScheduledRunsLate(),)

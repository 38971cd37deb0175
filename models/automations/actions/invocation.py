"""One action of one firing, as the action runner hands it to the action's performer, and
what a performer gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from models.messages.announcements import Announcement, announcement

if TYPE_CHECKING:
    from models.automations.firings import Firing
    from models.automations.tables import Automation
    from models.notifications.evaluation import QueuedDelivery
    from models.runs.flow_run_transitions import Outcome


class ActionFailed(Exception):
    """The action cannot be done, for good (a deployment that no longer exists, a template
    that fails, a run that refuses the state); `reason` is recorded and put in the
    `prefect.automation.action.failed` event. Not retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Invocation:
    """An action to perform for a firing: the action's JSON, where it sits in the list run,
    and the id of its action run (what it derives its own keys from)."""

    automation: Automation
    firing: Firing
    action: dict[str, Any]
    index: int
    run_id: UUID
    #: Where flow-run links in messages point.
    ui_url: str
    #: The longest text one of its templates may render, in bytes.
    template_max_bytes: int

    @property
    def action_type(self) -> str:
        return str(self.action.get("type", ""))

    @property
    def triggering_event(self) -> dict[str, Any] | None:
        return self.firing.triggering_event


@dataclass
class Performed:
    """What an action did, and what is left to do once it is committed."""

    #: The payload fields its executed event adds (a flow run's id, a delivery's id...).
    details: dict[str, Any] = field(default_factory=dict)
    #: Related resources its events name (`prefect.resource.role` "target", "block"...).
    related: list[dict[str, str]] = field(default_factory=list)
    #: Deliveries to put on their channel queues.
    deliveries: list[QueuedDelivery] = field(default_factory=list)
    #: Events of flow-run states it entered, for subscribers (a runner hears its run is
    #: cancelling), and their announcements, so what follows a state follows these too.
    events: list[dict[str, Any]] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)

    def entered(self, flow_run_id: UUID, outcome: Outcome) -> None:
        """Publish and announce the state `outcome` entered, if it entered one."""
        if outcome.event is not None:
            self.events.append(outcome.event)
        if outcome.entered and outcome.state is not None:
            self.announcements.append(
                announcement(
                    flow_run_id, outcome.state.id, outcome.initial, outcome.parent_task_run_id
                )
            )


def target(kind: str, object_id: UUID | str) -> dict[str, str]:
    """The related resource an action's events name as what it acted on."""
    return {"prefect.resource.id": f"prefect.{kind}.{object_id}", "prefect.resource.role": "target"}

"""Wire schemas of automations: what POST, PUT and PATCH take and what one reads as.

The filter and count bodies are `models.filters.automations`'. A body with a key Prefect's
server does not know is refused (422), as that server refuses it; inside the trigger and the
actions, unknown keys are ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.schemas.automation_actions import ActionSpec, AnyAction, RunDeployment
from models.schemas.automation_triggers import EventTrigger, Posture, TriggerSpec
from models.schemas.json_values import check_json_value

#: Events every flow run of a deployment goes through: a reactive trigger on them that runs
#: a deployment would start runs for ever.
EVERY_RUN_EVENTS = frozenset(
    {
        "prefect.flow-run.Scheduled",
        "prefect.flow-run.Pending",
        "prefect.flow-run.Running",
        "prefect.flow-run.*",
    }
)


#: The fields of a body that are columns of the automation.
AUTOMATION_COLUMNS = frozenset(
    {
        "name",
        "description",
        "enabled",
        "tags",
        "trigger",
        "actions",
        "actions_on_trigger",
        "actions_on_resolve",
    }
)


class AutomationCore(BaseModel):
    """What an automation is made of: a trigger and the actions it sets off."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=255)  # the column's width; Prefect sets no bound
    description: str = ""
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)
    trigger: TriggerSpec
    actions: list[ActionSpec]
    actions_on_trigger: list[ActionSpec] = Field(default_factory=list)
    actions_on_resolve: list[ActionSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def no_nul_characters(self) -> AutomationCore:
        """Neither PostgreSQL's text nor its JSONB can hold a NUL: refuse it at the door."""
        check_json_value(self.model_dump(mode="json"), "An automation")
        return self

    @model_validator(mode="after")
    def no_endless_deployment_runs(self) -> AutomationCore:
        """Refuse, as Prefect's server does, an enabled reactive trigger on the events every
        flow run goes through that runs a deployment: each run it starts would fire it again."""
        trigger = self.trigger
        if not self.enabled or not isinstance(trigger, EventTrigger):
            return self
        if trigger.posture is not Posture.Reactive or not EVERY_RUN_EVENTS & trigger.expect:
            return self
        for action in self.actions:
            if not isinstance(action, RunDeployment):
                continue
            if action.source == "inferred":
                raise ValueError(
                    "Running an inferred deployment from a flow run state change event will "
                    "lead to an infinite loop of flow runs. Please choose a specific "
                    "deployment and add additional filtering labels to the match or "
                    "match_related for this automation's trigger."
                )
            if trigger.match.matches_every_resource_of_kind("prefect.flow-run") and any(
                related.matches_every_resource_of_kind("prefect.flow-run")
                for related in trigger.related_specifications()
            ):
                raise ValueError(
                    "Running a selected deployment from a flow run state change event may "
                    "lead to an infinite loop of flow runs. Please include additional "
                    "filtering labels on either match or match_related to narrow down which "
                    "flow runs will trigger this automation to exclude flow runs from the "
                    "deployment you've selected."
                )
        return self

    def all_actions(self) -> list[AnyAction]:
        return [*self.actions, *self.actions_on_trigger, *self.actions_on_resolve]

    def selected_deployment_ids(self) -> set[UUID]:
        """The deployments its `actions` run by id: Prefect's server relates the automation
        to these (not to those of `actions_on_trigger` / `actions_on_resolve`)."""
        return {
            action.deployment_id
            for action in self.actions
            if isinstance(action, RunDeployment) and action.deployment_id is not None
        }

    def columns(self, *, sent_only: bool = False) -> dict[str, Any]:
        """The automation's columns, trigger and actions as their JSON.

        With `sent_only`, only the fields the body sent: a replace leaves the others as they
        are (`prefect automation update` sends what its file says), as Prefect's server does.
        """
        fields = AUTOMATION_COLUMNS & self.model_fields_set if sent_only else AUTOMATION_COLUMNS
        return self.model_dump(mode="json", include=set(fields))


class AutomationCreate(AutomationCore):
    """The body of POST /api/automations/."""

    #: The resource that owns it (`flow.serve` gives its deployment's
    #: `prefect.deployment.<id>`); DELETE /owned-by/{resource_id} deletes what it owns.
    owner_resource: str | None = Field(default=None, max_length=255)


class AutomationUpdate(AutomationCore):
    """The body of PUT /api/automations/{id}: the whole automation again."""


class AutomationPartialUpdate(BaseModel):
    """The body of PATCH /api/automations/{id}: pause (false) or resume (true)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True


class AutomationResponse(BaseModel):
    """An automation as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    description: str
    enabled: bool
    tags: list[str]
    trigger: TriggerSpec
    actions: list[ActionSpec]
    actions_on_trigger: list[ActionSpec]
    actions_on_resolve: list[ActionSpec]

"""Wire schemas of automation actions: one class per action type, as Prefect 3 sends them.

An action is stored as the JSON these classes dump (the lists of `Automation.actions`,
`actions_on_trigger`, `actions_on_resolve`) and read back through `ActionSpec`. Actions that
act on a deployment, work pool, work queue or automation either name it (`source:
"selected"` with its id) or take it from the triggering event (`source: "inferred"`, no id).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.schemas.automation_triggers import Seconds
from models.states import StateType

#: Loops a template may hold, and how deep they may nest (Prefect's limits).
MAX_TEMPLATE_LOOPS: Final = 10
MAX_TEMPLATE_LOOP_DEPTH: Final = 2

#: Parses templates only, to refuse a broken one at the door; rendering is the action
#: runner's, in its own sandbox.
template_parser = SandboxedEnvironment()


def loop_depth(node: nodes.Node) -> int:
    """How many for loops nest at the deepest point under (and including) `node`."""
    deepest = max((loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return deepest + isinstance(node, nodes.For)


def template_problem(template: str) -> tuple[int, str] | None:
    """Why a template would be refused, as (line, message); None when it is fine.

    Jinja must parse it and its loops stay within Prefect's limits.
    """
    try:
        tree = template_parser.parse(template)
    except TemplateSyntaxError as exc:
        return exc.lineno, exc.message or "invalid syntax"
    loops = list(tree.find_all(nodes.For))
    if len(loops) > MAX_TEMPLATE_LOOPS:
        return 0, (
            f"Contains {len(loops)} for loops. Templates can contain no more than "
            f"{MAX_TEMPLATE_LOOPS} for loops."
        )
    if loops and (depth := loop_depth(tree)) > MAX_TEMPLATE_LOOP_DEPTH:
        return 0, (
            f"Contains nested for loops at a depth of {depth}. Templates can nest for "
            f"loops no more than {MAX_TEMPLATE_LOOP_DEPTH} loops deep."
        )
    return None


def check_template(template: str, field: str) -> str:
    """The template, if `template_problem` finds nothing wrong with it."""
    problem = template_problem(template)
    if problem is not None:
        raise ValueError(f"{field!r} is not a valid template: {problem[1]}")
    return template


class ActionModel(BaseModel):
    """What every action shares. Unknown keys are ignored, as Prefect's server ignores them."""

    model_config = ConfigDict(extra="ignore")


def require_selected_id(source: str, object_id: UUID | None, field: str) -> None:
    """A selected object needs its id; an inferred one may not have one (Prefect's rule)."""
    if (source == "selected") != (object_id is not None):
        raise ValueError(f"{field} is " + ("not allowed" if object_id else "required"))


class DoNothing(ActionModel):
    """Does nothing; the firing is still recorded."""

    type: Literal["do-nothing"] = "do-nothing"


class DeploymentAction(ActionModel):
    source: Literal["selected", "inferred"] = "selected"
    deployment_id: UUID | None = None

    @model_validator(mode="after")
    def selected_deployment_has_id(self) -> DeploymentAction:
        require_selected_id(self.source, self.deployment_id, "deployment_id")
        return self


class RunDeployment(DeploymentAction):
    """Creates a flow run of a deployment, scheduled `schedule_after` from now."""

    type: Literal["run-deployment"] = "run-deployment"
    #: None: the deployment's own parameters. Strings in it may be templates.
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None
    schedule_after: Seconds = Field(default=timedelta(0), ge=timedelta(0))

    @field_validator("parameters")
    @classmethod
    def parameter_templates_parse(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for name, text in template_strings(value or {}, ""):
            check_template(text, f"parameters{name}")
        return value


def template_strings(value: Any, path: str) -> list[tuple[str, str]]:
    """Every string of a parameters document that looks like a template, with its path."""
    if isinstance(value, str):
        return [(path, value)] if "{{" in value or "{%" in value else []
    if isinstance(value, dict):
        return [
            pair for key, item in value.items() for pair in template_strings(item, f"{path}.{key}")
        ]
    if isinstance(value, list):
        return [
            pair for i, item in enumerate(value) for pair in template_strings(item, f"{path}[{i}]")
        ]
    return []


class PauseDeployment(DeploymentAction):
    type: Literal["pause-deployment"] = "pause-deployment"


class ResumeDeployment(DeploymentAction):
    type: Literal["resume-deployment"] = "resume-deployment"


class CancelFlowRun(ActionModel):
    """Cancels the flow run of the triggering event (or of the firing's bucket)."""

    type: Literal["cancel-flow-run"] = "cancel-flow-run"


class ChangeFlowRunState(ActionModel):
    """Proposes a state of the given type (and name, message) to the triggering flow run."""

    type: Literal["change-flow-run-state"] = "change-flow-run-state"
    name: str | None = None
    state: StateType
    message: str | None = None
    #: Set the state even where the orchestration rules would refuse it.
    force: bool = False


class SuspendFlowRun(ActionModel):
    type: Literal["suspend-flow-run"] = "suspend-flow-run"


class ResumeFlowRun(ActionModel):
    type: Literal["resume-flow-run"] = "resume-flow-run"


class DeleteFlowRun(ActionModel):
    type: Literal["delete-flow-run"] = "delete-flow-run"


class CallWebhook(ActionModel):
    """Calls the webhook block with the rendered payload."""

    type: Literal["call-webhook"] = "call-webhook"
    block_document_id: UUID
    payload: str = ""

    @field_validator("payload", mode="before")
    @classmethod
    def payload_as_text(cls, value: Any) -> Any:
        """Older clients send the payload as a JSON object: it becomes its indented text."""
        if isinstance(value, dict):
            return json.dumps(value, indent=2)
        return value

    @field_validator("payload")
    @classmethod
    def payload_parses(cls, value: str) -> str:
        return check_template(value, "payload") if value else value


class SendNotification(ActionModel):
    """Sends the rendered subject and body through a notification block's channel."""

    type: Literal["send-notification"] = "send-notification"
    block_document_id: UUID
    subject: str = "Prefect automated notification"
    body: str

    @field_validator("subject", "body")
    @classmethod
    def template_parses(cls, value: str, info: ValidationInfo) -> str:
        return check_template(value, info.field_name or "template")


class WorkPoolAction(ActionModel):
    source: Literal["selected", "inferred"] = "selected"
    work_pool_id: UUID | None = None

    @model_validator(mode="after")
    def selected_work_pool_has_id(self) -> WorkPoolAction:
        require_selected_id(self.source, self.work_pool_id, "work_pool_id")
        return self


class PauseWorkPool(WorkPoolAction):
    type: Literal["pause-work-pool"] = "pause-work-pool"


class ResumeWorkPool(WorkPoolAction):
    type: Literal["resume-work-pool"] = "resume-work-pool"


class WorkQueueAction(ActionModel):
    source: Literal["selected", "inferred"] = "selected"
    work_queue_id: UUID | None = None

    @model_validator(mode="after")
    def selected_work_queue_has_id(self) -> WorkQueueAction:
        require_selected_id(self.source, self.work_queue_id, "work_queue_id")
        return self


class PauseWorkQueue(WorkQueueAction):
    type: Literal["pause-work-queue"] = "pause-work-queue"


class ResumeWorkQueue(WorkQueueAction):
    type: Literal["resume-work-queue"] = "resume-work-queue"


class AutomationAction(ActionModel):
    source: Literal["selected", "inferred"] = "selected"
    automation_id: UUID | None = None

    @model_validator(mode="after")
    def selected_automation_has_id(self) -> AutomationAction:
        require_selected_id(self.source, self.automation_id, "automation_id")
        return self


class PauseAutomation(AutomationAction):
    type: Literal["pause-automation"] = "pause-automation"


class ResumeAutomation(AutomationAction):
    type: Literal["resume-automation"] = "resume-automation"


AnyAction = (
    DoNothing
    | RunDeployment
    | PauseDeployment
    | ResumeDeployment
    | CancelFlowRun
    | ChangeFlowRunState
    | SuspendFlowRun
    | ResumeFlowRun
    | DeleteFlowRun
    | CallWebhook
    | SendNotification
    | PauseWorkPool
    | ResumeWorkPool
    | PauseWorkQueue
    | ResumeWorkQueue
    | PauseAutomation
    | ResumeAutomation
)
ActionSpec = Annotated[AnyAction, Discriminator("type")]

actions: TypeAdapter[AnyAction] = TypeAdapter(ActionSpec)


def parse_action(data: Any) -> AnyAction:
    """A stored or received action's JSON as its schema class; raises ValidationError."""
    return actions.validate_python(data)

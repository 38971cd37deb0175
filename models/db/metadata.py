"""Every table Signalbox keeps, imported in one place so `Base.metadata` is complete.

Migrations and tests import this module; application code imports the table it needs.
"""

from __future__ import annotations

from models.api_keys import ApiKey
from models.automations.action_runs import ActionRun
from models.automations.firings import Firing
from models.automations.tables import Automation, AutomationRelatedResource
from models.automations.trigger_state import (
    AutomationBucket,
    CompositeChildFiring,
    EvaluatedEvent,
    SweepCursor,
)
from models.blocks.tables import BlockDocument, BlockDocumentReference, BlockSchema, BlockType
from models.concurrency.tables import ConcurrencyLease, ConcurrencyLeaseLimit, ConcurrencyLimit
from models.coordination.deployments import Deployment, DeploymentSchedule
from models.coordination.work_pools import Worker, WorkPool, WorkQueue
from models.db.base import Base
from models.events.tables import EventRow
from models.messages.dead_letters import DeadLetter
from models.messages.outbox import OutboxMessage
from models.notifications.deliveries import Delivery, DeliveryAttempt
from models.notifications.policies import NotificationPolicy
from models.runs.artifacts import Artifact, ArtifactCollection
from models.runs.flow_run_inputs import FlowRunInput
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.runs.logs import Log
from models.runs.task_runs import TaskRun, TaskRunState
from models.saved_searches import SavedSearch
from models.variables import Variable

metadata = Base.metadata

__all__ = [
    "ActionRun",
    "ApiKey",
    "Artifact",
    "ArtifactCollection",
    "Automation",
    "AutomationBucket",
    "AutomationRelatedResource",
    "BlockDocument",
    "BlockDocumentReference",
    "BlockSchema",
    "BlockType",
    "CompositeChildFiring",
    "ConcurrencyLease",
    "ConcurrencyLeaseLimit",
    "ConcurrencyLimit",
    "DeadLetter",
    "Delivery",
    "DeliveryAttempt",
    "Deployment",
    "DeploymentSchedule",
    "EvaluatedEvent",
    "EventRow",
    "Firing",
    "Flow",
    "FlowRun",
    "FlowRunInput",
    "FlowRunState",
    "Log",
    "NotificationPolicy",
    "OutboxMessage",
    "SavedSearch",
    "SweepCursor",
    "TaskRun",
    "TaskRunState",
    "Variable",
    "WorkPool",
    "WorkQueue",
    "Worker",
    "metadata",
]

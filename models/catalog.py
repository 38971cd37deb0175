"""Every table Signalbox keeps, imported in one place so `Base.metadata` is complete.

Migrations and tests import this module; application code imports the table it needs.
"""

from __future__ import annotations

from models.artifacts import Artifact, ArtifactCollection
from models.base import Base
from models.blocks import BlockDocument, BlockDocumentReference, BlockSchema, BlockType
from models.concurrency import ConcurrencyLease, ConcurrencyLeaseLimit, ConcurrencyLimit
from models.dead_letters import DeadLetter
from models.deployments import Deployment, DeploymentSchedule
from models.events import EventRow
from models.flow_runs import FlowRun, FlowRunState
from models.flows import Flow
from models.logs import Log
from models.notifications.deliveries import Delivery, DeliveryAttempt
from models.notifications.policies import NotificationPolicy
from models.task_runs import TaskRun, TaskRunState
from models.variables import Variable
from models.work_pools import Worker, WorkPool, WorkQueue

metadata = Base.metadata

__all__ = [
    "Artifact",
    "ArtifactCollection",
    "BlockDocument",
    "BlockDocumentReference",
    "BlockSchema",
    "BlockType",
    "ConcurrencyLease",
    "ConcurrencyLeaseLimit",
    "ConcurrencyLimit",
    "DeadLetter",
    "Delivery",
    "DeliveryAttempt",
    "Deployment",
    "DeploymentSchedule",
    "EventRow",
    "Flow",
    "FlowRun",
    "FlowRunState",
    "Log",
    "NotificationPolicy",
    "TaskRun",
    "TaskRunState",
    "Variable",
    "WorkPool",
    "WorkQueue",
    "Worker",
    "metadata",
]

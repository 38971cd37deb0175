"""GET /api/flow_runs/{id}/graph-v2: a flow run's task runs and subflow runs as a graph.

Each node is a task run, or the subflow run a task run stands for; its parents are the runs
whose results it took as inputs, and what it ran inside (`__parents__`) encapsulates it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from models.states import StateType


class GraphState(BaseModel):
    """A state the flow run went through."""

    id: UUID
    timestamp: datetime
    type: StateType
    name: str


class GraphArtifact(BaseModel):
    """An artifact the flow run (or one of its task runs) published; data for progress only."""

    id: UUID
    created: datetime
    key: str | None
    type: str | None
    is_latest: bool
    data: Any | None


class Edge(BaseModel):
    id: UUID


class Node(BaseModel):
    kind: Literal["flow-run", "task-run"]
    id: UUID
    label: str
    state_type: StateType | None
    start_time: datetime
    end_time: datetime | None
    parents: list[Edge]
    children: list[Edge]
    encapsulating: list[Edge]
    artifacts: list[GraphArtifact]


class Graph(BaseModel):
    start_time: datetime | None
    end_time: datetime | None
    root_node_ids: list[UUID]
    nodes: list[tuple[UUID, Node]]
    artifacts: list[GraphArtifact]
    states: list[GraphState]

"""The graph of a flow run: its task runs and subflow runs, their dependencies, artifacts and
the states the flow run went through (GET /api/flow_runs/{id}/graph-v2)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from uuid import UUID

from sqlalchemy import and_, func, select

from models.errors import ObjectNotFound, SignalboxError
from models.runs.artifacts import Artifact, ArtifactCollection
from models.runs.flow_runs import NOT_FOUND_DETAIL, FlowRun, read_flow_run_states
from models.runs.flows import Flow
from models.runs.task_runs import TaskRun
from models.schemas.flow_run_graph import Edge, Graph, GraphArtifact, GraphState, Node
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The most nodes a graph has, as the reference's default; a larger one is refused.
MAX_NODES: Final = 10_000
#: The most artifacts a graph shows, as the reference's default.
MAX_ARTIFACTS: Final = 10_000
#: The task input that names the runs a task run ran inside, rather than took results from.
ENCAPSULATING_INPUT: Final = "__parents__"


class GraphTooLarge(SignalboxError):
    """The flow run has too many task runs and subflow runs to draw."""


@dataclass
class GraphNode:
    """A node while the graph is built: what it is, and the ids its inputs name."""

    kind: Literal["flow-run", "task-run"]
    id: UUID
    label: str
    state_type: StateType | None
    start_time: datetime
    end_time: datetime | None
    inputs: list[tuple[str, UUID]]
    parents: list[GraphNode] = field(default_factory=list)
    children: list[GraphNode] = field(default_factory=list)
    encapsulating: list[GraphNode] = field(default_factory=list)


async def read_flow_run_graph(session: AsyncSession, flow_run_id: UUID, since: datetime) -> Graph:
    """The graph of a flow run, with only the nodes that ended at `since` or later (or have
    not ended); raises ObjectNotFound, and GraphTooLarge past MAX_NODES nodes."""
    times = (
        await session.execute(
            select(
                func.coalesce(FlowRun.start_time, FlowRun.expected_start_time), FlowRun.end_time
            ).where(FlowRun.id == flow_run_id)
        )
    ).first()
    if times is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    nodes = link(await read_nodes(session, flow_run_id))
    shown = sorted(
        (node for node in nodes if node.end_time is None or node.end_time >= since),
        key=lambda node: (node.start_time, node.end_time is None, node.end_time),
    )
    if len(shown) > MAX_NODES:
        raise GraphTooLarge(f"The graph of flow run {flow_run_id} has more than {MAX_NODES} nodes.")
    artifacts = await read_graph_artifacts(session, flow_run_id)
    states = await read_flow_run_states(session, flow_run_id)
    return Graph(
        start_time=times[0],
        end_time=times[1],
        root_node_ids=[node.id for node in shown if not node.parents],
        nodes=[(node.id, graph_node(node, artifacts.get(node.id, []))) for node in shown],
        artifacts=artifacts.get(None, []),
        states=[
            GraphState(id=state.id, timestamp=state.timestamp, type=state.type, name=state.name)
            for state in states
        ],
    )


async def read_nodes(session: AsyncSession, flow_run_id: UUID) -> list[GraphNode]:
    """The flow run's task runs, each replaced by the subflow run it stands for, if any."""
    rows = await session.execute(
        select(
            TaskRun.id,
            TaskRun.name,
            TaskRun.state_type,
            func.coalesce(TaskRun.start_time, TaskRun.expected_start_time),
            TaskRun.end_time,
            TaskRun.expected_start_time,
            TaskRun.task_inputs,
            FlowRun.id,
            Flow.name + " / " + FlowRun.name,
            FlowRun.state_type,
            func.coalesce(FlowRun.start_time, FlowRun.expected_start_time),
            FlowRun.end_time,
        )
        .select_from(TaskRun)
        .outerjoin(FlowRun, FlowRun.parent_task_run_id == TaskRun.id)
        .outerjoin(Flow, Flow.id == FlowRun.flow_id)
        .where(TaskRun.flow_run_id == flow_run_id)
        .order_by(TaskRun.id)
    )
    nodes: dict[UUID, GraphNode] = {}
    for (
        task_run_id, task_run_name, task_run_type, task_run_start, task_run_end, expected,
        task_inputs, subflow_id, subflow_label, subflow_type, subflow_start, subflow_end,
    ) in rows:  # fmt: skip
        start = subflow_start or task_run_start
        if start is None or task_run_id in nodes:  # never scheduled; or a second subflow
            continue
        completed_at = expected if task_run_type == StateType.COMPLETED else None
        nodes[task_run_id] = GraphNode(
            kind="flow-run" if subflow_id else "task-run",
            id=subflow_id or task_run_id,
            label=subflow_label or task_run_name,
            state_type=subflow_type or task_run_type,
            start_time=start,
            end_time=subflow_end or task_run_end or completed_at,
            inputs=list(input_ids(task_inputs)),
        )
    return list(nodes.values())


def input_ids(task_inputs: dict[str, Any] | None) -> list[tuple[str, UUID]]:
    """(input name, run id) for each upstream run a task run's inputs name."""
    named = []
    for name, inputs in (task_inputs or {}).items():
        for upstream in inputs if isinstance(inputs, list) else []:
            if isinstance(upstream, dict) and upstream.get("id"):
                try:
                    named.append((name, UUID(str(upstream["id"]))))
                except ValueError:
                    continue
    return named


def link(nodes: list[GraphNode]) -> list[GraphNode]:
    """The nodes with their edges to the other nodes their inputs name, each in start order."""
    by_id = {node.id: node for node in nodes}
    for node in nodes:
        for name, upstream_id in node.inputs:
            upstream = by_id.get(upstream_id)
            if upstream is None:
                continue
            if name == ENCAPSULATING_INPUT:
                node.encapsulating.append(upstream)
            else:
                node.parents.append(upstream)
                upstream.children.append(node)
    return nodes


def graph_node(node: GraphNode, artifacts: list[GraphArtifact]) -> Node:
    def edges(linked: list[GraphNode]) -> list[Edge]:
        ids = dict.fromkeys(other.id for other in sorted(linked, key=lambda n: n.start_time))
        return [Edge(id=id_) for id_ in ids]

    return Node(
        kind=node.kind,
        id=node.id,
        label=node.label,
        state_type=node.state_type,
        start_time=node.start_time,
        end_time=node.end_time,
        parents=edges(node.parents),
        children=edges(node.children),
        encapsulating=edges(node.encapsulating),
        artifacts=artifacts,
    )


async def read_graph_artifacts(
    session: AsyncSession, flow_run_id: UUID
) -> dict[UUID | None, list[GraphArtifact]]:
    """The flow run's artifacts (results left out) by task run; None for the flow run's own."""
    rows = await session.execute(
        select(Artifact, ArtifactCollection.id)
        .outerjoin(
            ArtifactCollection,
            and_(
                ArtifactCollection.key == Artifact.key, ArtifactCollection.latest_id == Artifact.id
            ),
        )
        .where(Artifact.flow_run_id == flow_run_id, Artifact.type != "result")
        .order_by(Artifact.created)
        .limit(MAX_ARTIFACTS)
    )
    by_task_run: dict[UUID | None, list[GraphArtifact]] = defaultdict(list)
    for artifact, latest_in_collection in rows:
        by_task_run[artifact.task_run_id].append(
            GraphArtifact(
                id=artifact.id,
                created=artifact.created,
                key=artifact.key,
                type=artifact.type,
                is_latest=artifact.key is None or latest_in_collection is not None,
                data=artifact.data if artifact.type == "progress" else None,
            )
        )
    return by_task_run

"""Counting flow runs no further than a bound: the runs and flow pages' pagers, the
dashboard's late runs."""

from __future__ import annotations

from uuid import uuid4

from models.db.database import Database
from models.filters.bodies import FlowRunCountBody
from models.runs.flow_runs import FlowRun, count_flow_runs, count_flow_runs_up_to
from models.runs.flows import Flow
from models.states import StateType


async def test_the_count_stops_at_its_bound_and_keeps_the_filter(database: Database) -> None:
    flow = Flow(id=uuid4(), name=f"flow-{uuid4().hex[:6]}")
    other = Flow(id=uuid4(), name=f"flow-{uuid4().hex[:6]}")
    runs = [
        FlowRun(
            id=uuid4(),
            flow_id=flow.id,
            name=f"run-{number}",
            state_type=StateType.FAILED if number % 3 == 0 else StateType.COMPLETED,
        )
        for number in range(12)
    ] + [FlowRun(id=uuid4(), flow_id=other.id, name="other-run") for _ in range(2)]
    async with database.sessions.begin() as session:
        session.add_all([flow, other])
        await session.flush()
        session.add_all(runs)
    everything = FlowRunCountBody()
    of_flow = FlowRunCountBody.model_validate({"flows": {"id": {"any_": [flow.id]}}})
    failed = FlowRunCountBody.model_validate(
        {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}
    )
    async with database.read_sessions() as session:
        assert await count_flow_runs(session, everything) == 14
        assert await count_flow_runs_up_to(session, everything, 5) == 5
        assert await count_flow_runs_up_to(session, everything, 50) == 14
        assert await count_flow_runs_up_to(session, of_flow, 5) == 5
        assert await count_flow_runs_up_to(session, of_flow, 50) == 12
        assert await count_flow_runs_up_to(session, failed, 3) == 3
        assert await count_flow_runs_up_to(session, failed, 50) == 4

"""The flow runs a work-pool polling benchmark seeds, as plain values (standard library only).

Both seeders read this plan: bench/bench_work_pool_polling.py writes it into Signalbox's
tables, bench/seed_prefect_flow_runs.py (run by the reference server's own Python) into
Prefect's. Every run is in the pool's one queue. Most are history (finished, spread over
90 days); some are SCHEDULED far ahead, as a scheduler leaves them; and the `due` ones come
due one after the other during the measurement, so the pollers always have work.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

#: Final states of the history runs and how often each occurs.
FINAL_STATES: Final = (
    ("COMPLETED", "Completed", 0.90),
    ("FAILED", "Failed", 0.07),
    ("CANCELLED", "Cancelled", 0.02),
    ("CRASHED", "Crashed", 0.01),
)
HISTORY_DAYS: Final = 90
#: How far ahead the not-yet-due scheduled runs are (a scheduler's horizon).
AHEAD_DAYS: Final = 100


@dataclass(frozen=True)
class PlannedRun:
    id: UUID
    state_id: UUID
    name: str
    state_type: str
    state_name: str
    state_timestamp: datetime
    expected_start_time: datetime
    #: Set on SCHEDULED runs only.
    next_scheduled_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    run_seconds: float


@dataclass(frozen=True)
class Plan:
    """How many runs of each kind, and when the due ones come due."""

    total: int
    due: int
    ahead: int
    #: The due runs come due evenly between these two moments.
    due_from: datetime
    due_until: datetime
    seed: int = 14

    @property
    def history(self) -> int:
        return self.total - self.due - self.ahead


def planned_runs(plan: Plan) -> Iterator[PlannedRun]:
    """Every run of the plan: history first, then the runs ahead, then the due ones."""
    rng = random.Random(plan.seed)
    now = datetime.now(UTC)
    weights = [share for *_, share in FINAL_STATES]

    def ids() -> tuple[UUID, UUID]:
        # From the seeded generator: a million calls to os.urandom cost seconds.
        return UUID(int=rng.getrandbits(128), version=4), UUID(int=rng.getrandbits(128), version=4)

    for number in range(plan.history):
        state_type, state_name, _ = rng.choices(FINAL_STATES, weights=weights)[0]
        expected = now - timedelta(seconds=rng.uniform(3600, HISTORY_DAYS * 86_400))
        started = expected + timedelta(seconds=rng.uniform(0.2, 5.0))
        seconds = rng.lognormvariate(3.0, 1.2)
        ended = started + timedelta(seconds=seconds)
        run_id, state_id = ids()
        yield PlannedRun(run_id, state_id, f"history-{number}", state_type, state_name, ended,
                         expected, None, started, ended, seconds)  # fmt: skip
    for number in range(plan.ahead):
        when = now + timedelta(seconds=rng.uniform(3600, AHEAD_DAYS * 86_400))
        run_id, state_id = ids()
        yield PlannedRun(run_id, state_id, f"ahead-{number}", "SCHEDULED", "Scheduled", now,
                         when, when, None, None, 0.0)  # fmt: skip
    span = (plan.due_until - plan.due_from).total_seconds()
    for number in range(plan.due):
        when = plan.due_from + timedelta(seconds=span * number / max(plan.due, 1))
        run_id, state_id = ids()
        yield PlannedRun(run_id, state_id, f"due-{number}", "SCHEDULED", "Scheduled", now,
                         when, when, None, None, 0.0)  # fmt: skip


def chunks(runs: Iterator[PlannedRun], size: int) -> Iterator[list[PlannedRun]]:
    chunk: list[PlannedRun] = []
    for run in runs:
        chunk.append(run)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

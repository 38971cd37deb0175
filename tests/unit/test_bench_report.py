"""bench/report.py's targets: each a share of the ceiling probe measured in the same run."""

from __future__ import annotations

from typing import Any

from bench.report import render_targets

META: dict[str, Any] = {"concurrency": [1, 64], "seconds": 8.0, "seeded_runs": 1_000}


def result(target: str, scenario: str, throughput: float, p99_ms: float = 10.0,
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    concurrency = 21 if scenario.startswith("mixed:") else 64
    return {
        "target": target, "scenario": scenario, "concurrency": concurrency, "clients": 64,
        "throughput": throughput, "unit": "/s", "errors": 0, "latency": {"p99_ms": p99_ms},
    } | extra  # fmt: skip


def verdicts(meta: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, str]:
    """Each target row's first words and its verdict."""
    rows = [line.split(" | ") for line in render_targets(meta, results)[2:]]
    return {cells[0].lstrip("| ").split(" (")[0]: cells[-1].rstrip(" |") for cells in rows}


def test_transitions_are_held_to_60_percent_on_sqlite_and_40_on_postgresql() -> None:
    results = [result("ceiling", "transitions", 1_000), result("signalbox", "transitions", 500)]

    on_sqlite = verdicts(META, results)
    on_postgresql = verdicts(META | {"postgresql": "15"}, results)

    assert on_sqlite["transitions/s at 64 clients, 0 errors"] == "**no**"
    assert on_postgresql["transitions/s at 64 clients, 0 errors"] == "yes"


def test_each_part_of_the_mix_is_compared_with_the_same_part_of_the_ceiling() -> None:
    results = [
        result("ceiling", "mixed:transitions", 100, p99_ms=200),
        result("signalbox", "mixed:transitions", 60, p99_ms=500),
        result("ceiling", "mixed:read", 100),
        result("signalbox", "mixed:read", 40),
    ]

    found = verdicts(META, results)

    assert found["mixed load at 64 clients: transitions"] == "yes"
    assert found["mixed load at 64 clients: p99 of transitions"] == "**no**"  # 2.5x
    assert found["mixed load at 64 clients: read"] == "**no**"


def test_events_count_as_persisted_over_the_load_and_the_wait_to_read_them_back() -> None:
    # 8 s of load at 10,000/s read back 8 s later: 5,000/s persisted, half the ceiling's, but
    # not readable within 2 s.
    readable = {"seconds": 8.0, "timed_out": False}
    results = [
        result("ceiling", "events", 10_000),
        result("signalbox", "events", 10_000, readable=readable, unconfirmed_events=0),
    ]

    row = next(line for line in render_targets(META, results) if "task-run events" in line)

    assert "5,000 persisted" in row
    assert "50%" in row
    assert row.endswith("**no** |")


def test_memory_at_rest_is_the_whole_tree_against_200_mb() -> None:
    meta = META | {"at_rest_mb": {"signalbox": {"api": 90.0, "redis": 4.0, "worker": 100.0},
                                  "prefect": {"python": 180.0}}}  # fmt: skip

    found = verdicts(meta, [])

    assert found["memory at rest, the whole tree with Redis"] == "yes"
    assert "194 MB" in next(line for line in render_targets(meta, []) if "at rest" in line)

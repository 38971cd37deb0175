"""Trigger evaluation's pure rules: label matching, buckets, composite triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from models.automations.buckets import Bucket, reach_deadline, react_to_event
from models.automations.composites import ChildFiring, composite_ready, still_counting
from models.automations.matching import CandidateEvent, bucketing_key, label_matches
from models.automations.sweep import like_patterns
from models.automations.trigger_rules import (
    CompositeRule,
    EventRule,
    Posture,
    read_automation_rules,
    read_event_rule,
)

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
AUTOMATION = uuid4()


def event(name: str, at: timedelta = timedelta(0), **labels: Any) -> CandidateEvent:
    related = labels.pop("related", [])
    return CandidateEvent(
        id=uuid4(),
        occurred=T0 + at,
        received=T0 + at,
        event=name,
        resource={"prefect.resource.id": labels.pop("resource_id", "prefect.flow-run.1"), **labels},
        related=related,
        payload={},
    )


def rule(**fields: Any) -> EventRule:
    return read_event_rule({"id": str(uuid4()), "posture": "Reactive", **fields}, AUTOMATION, None)


def run(trigger: EventRule, events: list[CandidateEvent]) -> tuple[Bucket | None, int]:
    """Feed the events through one bucket; returns the bucket left and how many fired."""
    bucket, fired = None, 0
    for each in events:
        bucket, firings = react_to_event(trigger, bucket, each)
        fired += len(firings)
    return bucket, fired


def test_a_negated_label_pattern_matches_every_other_value_but_not_a_missing_label() -> None:
    assert label_matches("!prefect.flow-run.1", "prefect.flow-run.2")
    assert not label_matches("!prefect.flow-run.1", "prefect.flow-run.1")
    assert not label_matches("!prefect.flow-run.1", None)
    assert label_matches("prefect.flow.*", "prefect.flow.abc")


def test_a_trigger_covers_an_event_only_when_name_resource_and_related_all_match() -> None:
    trigger = rule(
        expect=["prefect.flow-run.Failed"],
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "flow", "prefect.resource.name": "etl"},
    )
    flow = {"prefect.resource.id": "prefect.flow.1", "prefect.resource.role": "flow"}
    assert trigger.covers(
        event("prefect.flow-run.Failed", related=[{**flow, "prefect.resource.name": "etl"}])
    )
    assert not trigger.covers(
        event("prefect.flow-run.Failed", related=[{**flow, "prefect.resource.name": "other"}])
    )
    assert not trigger.covers(
        event("prefect.flow-run.Completed", related=[{**flow, "prefect.resource.name": "etl"}])
    )
    assert not trigger.covers(event("prefect.flow-run.Failed", resource_id="prefect.task-run.1"))


def test_for_each_reads_related_labels_by_role_and_sorts_its_labels() -> None:
    trigger = rule(for_each=["related:flow:prefect.resource.id", "prefect.resource.id"])
    flow = {"prefect.resource.id": "prefect.flow.9", "prefect.resource.role": "flow"}
    key = bucketing_key(trigger.for_each, event("x", related=[flow]))
    assert key == ("prefect.flow-run.1", "prefect.flow.9")


def test_an_immediate_reactive_trigger_fires_once_per_event_and_keeps_no_bucket() -> None:
    bucket, fired = run(
        rule(expect=["prefect.flow-run.Failed"]), [event("prefect.flow-run.Failed")] * 2
    )
    assert (bucket, fired) == (None, 2)


def test_a_threshold_within_a_window_fires_once_when_reached_then_waits_for_the_next_window() -> (
    None
):
    trigger = rule(expect=["boom"], threshold=3, within=60)
    events = [event("boom", timedelta(seconds=s)) for s in (0, 10, 20, 30, 40)]
    bucket, fired = run(trigger, events)
    assert fired == 1
    assert bucket is not None and bucket.start == T0 + timedelta(seconds=60)


def test_events_spread_wider_than_the_window_do_not_reach_the_threshold() -> None:
    trigger = rule(expect=["boom"], threshold=2, within=10)
    _, fired = run(trigger, [event("boom"), event("boom", timedelta(seconds=30))])
    assert fired == 0


def test_a_reactive_trigger_with_after_counts_only_once_the_after_event_was_seen() -> None:
    trigger = rule(
        after=["prefect.flow-run.Running"], expect=["prefect.flow-run.Failed"], within=60
    )
    _, before = run(trigger, [event("prefect.flow-run.Failed")])
    _, after = run(
        trigger,
        [event("prefect.flow-run.Running"), event("prefect.flow-run.Failed", timedelta(seconds=5))],
    )
    assert (before, after) == (0, 1)


def test_a_proactive_trigger_fires_when_its_window_ends_without_the_expected_event() -> None:
    trigger = rule(
        posture="Proactive",
        after=["prefect.flow-run.Running"],
        expect=["prefect.flow-run.Completed"],
        for_each=["prefect.resource.id"],
        within=30,
    )
    bucket, fired = run(trigger, [event("prefect.flow-run.Running")])
    assert bucket is not None and fired == 0
    still_open, early = reach_deadline(trigger, bucket, T0 + timedelta(seconds=29))
    assert early == [] and still_open == bucket
    closed, firings = reach_deadline(trigger, bucket, T0 + timedelta(seconds=30))
    assert closed is None and len(firings) == 1
    assert firings[0].labels == {"prefect.resource.id": "prefect.flow-run.1"}
    assert firings[0].cause == f"window:{(T0 + timedelta(seconds=30)).isoformat()}"


def test_a_proactive_trigger_stays_silent_when_the_expected_event_comes_in_time() -> None:
    trigger = rule(
        posture="Proactive",
        after=["prefect.flow-run.Running"],
        expect=["prefect.flow-run.Completed"],
        within=30,
    )
    bucket, _ = run(
        trigger,
        [
            event("prefect.flow-run.Running"),
            event("prefect.flow-run.Completed", timedelta(seconds=5)),
        ],
    )
    assert bucket is not None and bucket.count == 1
    _, firings = reach_deadline(trigger, bucket, T0 + timedelta(seconds=31))
    assert firings == []


def test_a_proactive_trigger_without_within_waits_ten_seconds_as_prefect() -> None:
    assert rule(posture="Proactive", expect=["x"]).within == timedelta(seconds=10)


def child(trigger_id: UUID, at: timedelta) -> ChildFiring:
    return ChildFiring(trigger_id, uuid4(), T0 + at, None)


def test_a_compound_trigger_needs_as_many_children_as_it_requires() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    two_of_three = CompositeRule(uuid4(), AUTOMATION, "compound", (a, b, c), 2, None)
    assert not composite_ready(two_of_three, [child(a, timedelta(0))])
    assert composite_ready(two_of_three, [child(a, timedelta(0)), child(c, timedelta(1))])


def test_a_sequence_trigger_fires_only_when_its_children_fired_in_order() -> None:
    a, b = uuid4(), uuid4()
    sequence = CompositeRule(uuid4(), AUTOMATION, "sequence", (a, b), 2, None)
    assert composite_ready(sequence, [child(a, timedelta(0)), child(b, timedelta(seconds=1))])
    assert not composite_ready(sequence, [child(b, timedelta(0)), child(a, timedelta(seconds=1))])


def test_child_firings_older_than_the_composites_window_no_longer_count() -> None:
    a, b = uuid4(), uuid4()
    within_a_minute = CompositeRule(
        uuid4(), AUTOMATION, "compound", (a, b), 2, timedelta(minutes=1)
    )
    old, new = child(a, timedelta(0)), child(b, timedelta(minutes=5))
    assert still_counting(within_a_minute, [old, new], T0 + timedelta(minutes=5)) == [new]


def test_a_stored_compound_trigger_reads_as_its_children_and_what_it_requires() -> None:
    trigger = {
        "type": "compound",
        "id": str(uuid4()),
        "require": "any",
        "within": 60.0,
        "triggers": [
            {"type": "event", "id": str(uuid4()), "posture": "Reactive", "expect": ["a"]},
            {"type": "event", "id": str(uuid4()), "posture": "Proactive", "expect": ["b"]},
        ],
    }
    rules = read_automation_rules(AUTOMATION, "name", trigger)
    composite = rules.composites[UUID(trigger["id"])]
    assert composite.required == 1 and composite.within == timedelta(minutes=1)
    assert [each.posture for each in rules.events] == [Posture.REACTIVE, Posture.PROACTIVE]
    assert all(each.parent_id == composite.id for each in rules.events)


def test_the_sweep_reads_only_event_names_some_trigger_may_evaluate() -> None:
    narrow = read_automation_rules(
        AUTOMATION,
        "narrow",
        {
            "type": "event",
            "id": str(uuid4()),
            "posture": "Reactive",
            "expect": ["prefect.flow_run.*"],
        },
    )
    anything = read_automation_rules(
        AUTOMATION, "anything", {"type": "event", "id": str(uuid4()), "posture": "Reactive"}
    )
    assert like_patterns([narrow]) == ["prefect.flow\\_run.%"]  # `_` is no LIKE wildcard here
    assert like_patterns([narrow, anything]) is None

"""Event filters: what an `/api/events/out` subscriber is sent."""

from __future__ import annotations

from datetime import UTC, datetime

from models.events.subscriptions import EventFilter

CANCELLING = {
    "id": "0192f7b0-0000-7000-8000-000000000001",
    "occurred": "2026-11-25T18:01:44.803088Z",
    "event": "prefect.flow-run.Cancelling",
    "resource": {"prefect.resource.id": "prefect.flow-run.abc", "prefect.state-type": "CANCELLING"},
    "related": [{"prefect.resource.id": "prefect.flow.f1", "prefect.resource.role": "flow"}],
}
SINCE = {"since": datetime(2026, 11, 25, 18, 0, tzinfo=UTC).isoformat()}


def test_a_runner_subscribed_to_cancelling_gets_cancelling_events_only() -> None:
    wanted = EventFilter.model_validate(
        {"occurred": SINCE, "event": {"name": ["prefect.flow-run.Cancelling"]}}
    )
    assert wanted.matches(CANCELLING)
    assert not wanted.matches({**CANCELLING, "event": "prefect.flow-run.Running"})


def test_events_before_since_are_not_sent() -> None:
    late = EventFilter.model_validate({"occurred": {"since": "2026-11-25T19:00:00Z"}})
    assert not late.matches(CANCELLING)


def test_prefix_exclusion_and_related_roles_narrow_the_match() -> None:
    base = {"occurred": SINCE}
    assert EventFilter.model_validate({**base, "event": {"prefix": ["prefect.flow-run."]}}).matches(
        CANCELLING
    )
    assert not EventFilter.model_validate(
        {**base, "event": {"exclude_prefix": ["prefect.flow-run."]}}
    ).matches(CANCELLING)
    assert EventFilter.model_validate(
        {**base, "related": {"role": ["flow"], "id": ["prefect.flow.f1"]}}
    ).matches(CANCELLING)
    assert not EventFilter.model_validate({**base, "related": {"role": ["deployment"]}}).matches(
        CANCELLING
    )
    assert EventFilter.model_validate(
        {**base, "any_resource": {"id_prefix": ["prefect.flow-run."]}}
    ).matches(CANCELLING)


def test_empty_lists_are_no_criterion_as_in_the_clients_default_filter() -> None:
    # What `get_events_subscriber()` and `prefect events stream` send when given no filter.
    default = EventFilter.model_validate(
        {
            "occurred": SINCE,
            "event": {"prefix": [], "exclude_prefix": [], "name": [], "exclude_name": []},
            "any_resource": {"id": [], "id_prefix": []},
            "related": {"id": [], "role": []},
            "id": {"id": []},
        }
    )
    assert default.matches(CANCELLING)
    assert default.matches({**CANCELLING, "related": []})
    assert not EventFilter.model_validate(
        {"occurred": SINCE, "id": {"id": ["0192f7b0-0000-7000-8000-000000000002"]}}
    ).matches(CANCELLING)

"""What answers mean, and the next status of a delivery after an attempt."""

from __future__ import annotations

import pytest

from models.notifications.outcomes import (
    Answer,
    DeliveryStatus,
    Outcome,
    RetryPolicy,
    Verdict,
    classify_status,
    decide,
)

POLICY = RetryPolicy(
    max_attempts=5, max_age_seconds=3600, backoff_seconds=2, max_backoff_seconds=60
)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (408, Outcome.TRANSIENT),
        (425, Outcome.TRANSIENT),
        (429, Outcome.TRANSIENT),
        (500, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
        (301, Outcome.PERMANENT),
        (400, Outcome.PERMANENT),
        (401, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (410, Outcome.PERMANENT),
    ],
)
def test_statuses_are_read_as_channels_md_says(status: int, outcome: Outcome) -> None:
    assert classify_status(Answer(status)).outcome is outcome


def test_no_answer_is_transient_unless_the_url_itself_is_unusable() -> None:
    assert classify_status(Answer(None, error_class="TimeoutError")).outcome is Outcome.TRANSIENT
    assert classify_status(Answer(None, error_class="InvalidURL")).outcome is Outcome.PERMANENT


def test_a_transient_answer_carries_the_delay_asked_for() -> None:
    verdict = classify_status(Answer(429, {"Retry-After": "3"}))
    assert (verdict.outcome, verdict.delay_ms, verdict.reason) == (
        Outcome.TRANSIENT,
        3000,
        "HTTP 429",
    )


def transient(delay: int | None = None) -> Verdict:
    return Verdict(Outcome.TRANSIENT, "HTTP 503", delay)


def test_a_transient_failure_waits_the_asked_delay_or_the_doubling_backoff() -> None:
    assert decide([transient(1500)], retries=0, age_seconds=0, policy=POLICY).retry_in_ms == 1500
    assert decide([transient()], retries=0, age_seconds=0, policy=POLICY).retry_in_ms == 2000
    assert decide([transient()], retries=2, age_seconds=0, policy=POLICY).retry_in_ms == 8000
    assert POLICY.backoff_ms(20) == 60_000  # capped


def test_attempts_and_age_run_out_into_a_dead_delivery() -> None:
    last = decide([transient()], retries=4, age_seconds=0, policy=POLICY)
    assert last.status is DeliveryStatus.DEAD and "5 attempts" in (last.reason or "")
    late = decide([transient(10_000)], retries=0, age_seconds=3595, policy=POLICY)
    assert late.status is DeliveryStatus.DEAD and "maximum age" in (late.reason or "")


def test_permanent_answers_fail_at_once_and_all_delivered_is_delivered() -> None:
    refused = Verdict(Outcome.PERMANENT, "HTTP 404")
    delivered = Verdict(Outcome.DELIVERED, "HTTP 200")
    assert (
        decide([refused], retries=0, age_seconds=0, policy=POLICY).status is DeliveryStatus.FAILED
    )
    assert decide([delivered], retries=0, age_seconds=0, policy=POLICY).status is (
        DeliveryStatus.DELIVERED
    )


def test_with_several_recipients_a_transient_one_retries_and_a_refusal_fails_at_the_end() -> None:
    delivered, refused = (
        Verdict(Outcome.DELIVERED, "HTTP 201"),
        Verdict(Outcome.PERMANENT, "HTTP 400"),
    )
    mixed = decide([delivered, refused, transient()], retries=0, age_seconds=0, policy=POLICY)
    assert mixed.status is DeliveryStatus.PENDING
    later = decide([delivered], retries=1, age_seconds=0, policy=POLICY, refused_before=1)
    assert later.status is DeliveryStatus.FAILED

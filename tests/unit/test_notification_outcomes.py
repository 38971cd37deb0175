"""What answers mean, and the next status of a delivery after an attempt."""

from __future__ import annotations

import pytest

from models.notifications.outcomes import (
    Answer,
    AttemptOutcome,
    DeliveryStatus,
    RetryPolicy,
    Verdict,
    classify_status,
    decide_delivery,
)

POLICY = RetryPolicy(
    max_attempts=5, max_age_seconds=3600, backoff_seconds=2, max_backoff_seconds=60
)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, AttemptOutcome.DELIVERED),
        (202, AttemptOutcome.DELIVERED),
        (408, AttemptOutcome.TRANSIENT),
        (425, AttemptOutcome.TRANSIENT),
        (429, AttemptOutcome.TRANSIENT),
        (500, AttemptOutcome.TRANSIENT),
        (503, AttemptOutcome.TRANSIENT),
        (301, AttemptOutcome.PERMANENT),
        (400, AttemptOutcome.PERMANENT),
        (401, AttemptOutcome.PERMANENT),
        (404, AttemptOutcome.PERMANENT),
        (410, AttemptOutcome.PERMANENT),
    ],
)
def test_statuses_are_read_as_channels_md_says(status: int, outcome: AttemptOutcome) -> None:
    assert classify_status(Answer(status)).outcome is outcome


def test_no_answer_is_transient_unless_the_url_itself_is_unusable() -> None:
    assert (
        classify_status(Answer(None, error_class="TimeoutError")).outcome
        is AttemptOutcome.TRANSIENT
    )
    assert (
        classify_status(Answer(None, error_class="InvalidURL")).outcome is AttemptOutcome.PERMANENT
    )


def test_a_transient_answer_carries_the_delay_asked_for() -> None:
    verdict = classify_status(Answer(429, {"Retry-After": "3"}))
    assert (verdict.outcome, verdict.delay_ms, verdict.reason) == (
        AttemptOutcome.TRANSIENT,
        3000,
        "HTTP 429",
    )


def transient(delay: int | None = None) -> Verdict:
    return Verdict(AttemptOutcome.TRANSIENT, "HTTP 503", delay)


def test_a_transient_failure_waits_the_asked_delay_or_the_doubling_backoff() -> None:
    assert (
        decide_delivery([transient(1500)], retries=0, age_seconds=0, policy=POLICY).retry_in_ms
        == 1500
    )
    assert (
        decide_delivery([transient()], retries=0, age_seconds=0, policy=POLICY).retry_in_ms == 2000
    )
    assert (
        decide_delivery([transient()], retries=2, age_seconds=0, policy=POLICY).retry_in_ms == 8000
    )
    assert POLICY.backoff_ms(20) == 60_000  # capped


def test_attempts_and_age_run_out_into_a_dead_delivery() -> None:
    last = decide_delivery([transient()], retries=4, age_seconds=0, policy=POLICY)
    assert last.status is DeliveryStatus.DEAD and "5 attempts" in (last.reason or "")
    late = decide_delivery([transient(10_000)], retries=0, age_seconds=3595, policy=POLICY)
    assert late.status is DeliveryStatus.DEAD and "maximum age" in (late.reason or "")


def test_permanent_answers_fail_at_once_and_all_delivered_is_delivered() -> None:
    refused = Verdict(AttemptOutcome.PERMANENT, "HTTP 404")
    delivered = Verdict(AttemptOutcome.DELIVERED, "HTTP 200")
    assert (
        decide_delivery([refused], retries=0, age_seconds=0, policy=POLICY).status
        is DeliveryStatus.FAILED
    )
    assert decide_delivery([delivered], retries=0, age_seconds=0, policy=POLICY).status is (
        DeliveryStatus.DELIVERED
    )


def test_with_several_recipients_a_transient_one_retries_and_a_refusal_fails_at_the_end() -> None:
    delivered, refused = (
        Verdict(AttemptOutcome.DELIVERED, "HTTP 201"),
        Verdict(AttemptOutcome.PERMANENT, "HTTP 400"),
    )
    mixed = decide_delivery(
        [delivered, refused, transient()], retries=0, age_seconds=0, policy=POLICY
    )
    assert mixed.status is DeliveryStatus.PENDING
    later = decide_delivery([delivered], retries=1, age_seconds=0, policy=POLICY, refused_before=1)
    assert later.status is DeliveryStatus.FAILED

"""The broker's own settings on top of Dramatiq's Redis broker."""

from __future__ import annotations

from actors.broker import DELAY_QUEUE_POLL_MS, broker


def test_a_delay_queue_is_polled_less_often_than_its_queue() -> None:
    # A consumer's timeout is its longest pause between polls of an empty queue.
    assert broker.consume("state", prefetch=1, timeout=100).timeout == 100  # type: ignore[attr-defined]
    delayed = broker.consume("state.DQ", prefetch=1, timeout=100)
    assert delayed.timeout == DELAY_QUEUE_POLL_MS > 100  # type: ignore[attr-defined]

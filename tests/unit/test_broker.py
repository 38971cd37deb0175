"""The broker's own settings on top of Dramatiq's Redis broker."""

from __future__ import annotations

import os

from actors.broker import DELAY_QUEUE_POLL_MS, broker


def test_a_delay_queue_is_polled_less_often_than_its_queue() -> None:
    # A consumer's timeout is its longest pause between polls of an empty queue.
    assert broker.consume("state", prefetch=1, timeout=100).timeout == 100  # type: ignore[attr-defined]
    delayed = broker.consume("state.DQ", prefetch=1, timeout=100)
    assert delayed.timeout == DELAY_QUEUE_POLL_MS > 100  # type: ignore[attr-defined]


def test_a_forked_process_consumes_under_an_id_of_its_own() -> None:
    # Its ack sets and heartbeat are named by the id: shared with its parent's, the messages a
    # killed child held would never be handed back.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child only reports the id, then leaves without pytest's exit handlers
        os.write(write, broker.broker_id.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as report:
        child_id = report.read()
    os.waitpid(pid, 0)
    assert child_id and child_id != broker.broker_id

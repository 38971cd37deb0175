"""A bad record among good batches, through a whole `signalbox server start`: many clients send
good log batches and events at once while one sends a batch and a socket each holding one bad
record. The API coalesces records of many clients into one queue message; the bad one must
cost only itself: refused at the edge (a 422 for its own request, a 1003 close of its own
socket) or, when it gets past the edge, dead-lettered alone while its neighbours are stored.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aiohttp
import pytest
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import select
from sqlalchemy.engine import make_url

from models.events.tables import EventRow
from models.messages.dead_letters import DeadLetter
from models.runs.logs import Log
from tests.faults.conftest import WholeServer
from tests.faults.load import an_event
from tests.integration.test_server_start import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]

#: Good clients of each kind, the batches (or sockets) each sends, and records in each.
CLIENTS, ROUNDS, RECORDS = 6, 8, 50

#: Bad values, each in one log record and one event: a time past year 9999 in UTC (which the
#: edge refuses), and a lone surrogate (`\ud800`, which no database encodes).
BAD_TIMES = {"time": "9999-12-31T23:00:00-14:00"}
BAD_TEXTS = {"surrogate": "\\ud800"}
#: The same bad time in a message put on the server's Redis by hand (another producer, a
#: replay), so that it reaches the log writer beside good records: the edge never sees it.
PAST_THE_EDGE = "queued-by-hand"


@dataclass
class Sent:
    log_messages: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    bad: dict[str, Any] = field(default_factory=dict)


def good_logs(flow_run_id: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"name": "faults", "level": 20, "message": f"good-{uuid4().hex}", "timestamp": now,
         "flow_run_id": flow_run_id}
        for _ in range(RECORDS)
    ]  # fmt: skip


async def send_good_logs(base: str, flow_run_id: str, sent: Sent) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(ROUNDS):
            batch = good_logs(flow_run_id)
            async with http.post(f"{base}/logs/", json=batch) as answer:
                sent.statuses[answer.status] += 1
                if answer.status == 201:
                    sent.log_messages.update(record["message"] for record in batch)


async def open_events(http: aiohttp.ClientSession, base: str) -> aiohttp.ClientWebSocketResponse:
    url = base.replace("http://", "ws://") + "/events/in"
    socket = await http.ws_connect(url, protocols=("prefect",), autoping=False)
    await socket.send_json({"type": "auth", "token": None})
    assert (await socket.receive_json(timeout=10))["type"] == "auth_success"
    return socket


async def send_good_events(base: str, sent: Sent) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(ROUNDS):
            events = [an_event(f"faults.{uuid4().hex}") for _ in range(RECORDS)]
            async with await open_events(http, base) as socket:
                for event in events:
                    await socket.send_json(event)
                await socket.ping()
                if (await socket.receive(timeout=20)).type is aiohttp.WSMsgType.PONG:
                    sent.event_ids.update(event["id"] for event in events)


async def send_bad_log(base: str, flow_run_id: str, kind: str, sent: Sent) -> None:
    """A batch of good records with one bad one in the middle, sent as raw JSON text."""
    batch = good_logs(flow_run_id)
    middle = RECORDS // 2
    body = [json.dumps(record) for record in batch]
    bad_record = dict(batch[middle], message=f"bad-{kind}")
    if kind in BAD_TIMES:
        body[middle] = json.dumps(dict(bad_record, timestamp=BAD_TIMES[kind]))
    else:
        body[middle] = json.dumps(bad_record).replace("bad-", f"bad-{BAD_TEXTS[kind]}")
    async with aiohttp.ClientSession() as http:
        raw = "[" + ",".join(body) + "]"
        headers = {"Content-Type": "application/json"}
        async with http.post(f"{base}/logs/", data=raw, headers=headers) as answer:
            sent.bad["log batch"] = {"status": answer.status, "detail": await answer.text()}
            sent.statuses[answer.status] += 1
            if answer.status == 201:
                good = batch[:middle] + batch[middle + 1 :]
                sent.log_messages.update(record["message"] for record in good)


async def send_bad_event(base: str, kind: str, sent: Sent) -> None:
    """Good events, one bad, good events again, then a ping: what does the socket confirm?"""
    before = [an_event(f"faults.{uuid4().hex}") for _ in range(10)]
    after = [an_event(f"faults.{uuid4().hex}") for _ in range(10)]
    bad = an_event("faults.bad")
    if kind in BAD_TIMES:
        frame = json.dumps(dict(bad, occurred=BAD_TIMES[kind]))
    else:
        frame = json.dumps(dict(bad, event="bad-")).replace("bad-", f"bad-{BAD_TEXTS[kind]}")
    async with aiohttp.ClientSession() as http, await open_events(http, base) as socket:
        for event in before:
            await socket.send_json(event)
        await socket.send_str(frame)
        for event in after:
            await socket.send_json(event)
        await socket.ping()
        reply = await socket.receive(timeout=20)
        sent.bad["event socket"] = {"reply": reply.type.name, "data": str(reply.data)[:200],
                                    "extra": str(reply.extra)[:200]}  # fmt: skip
    if reply.type is aiohttp.WSMsgType.PONG:
        sent.event_ids.update(event["id"] for event in [*before, *after])
    else:  # closed on the bad frame: those before it were confirmed by the close
        sent.event_ids.update(event["id"] for event in before)
    sent.bad["event id"] = bad["id"]


def queue_by_hand(server: WholeServer, flow_run_id: str, sent: Sent) -> None:
    """One `persist_logs` message of 20 good records and one no database keeps (on
    PostgreSQL also one its text refuses: a NUL), put straight on the server's Redis while
    the clients send."""
    now = datetime.now(UTC).isoformat()
    good: list[dict[str, Any]] = [
        {"id": uuid4().hex, "name": "faults", "level": 20, "message": f"good-{uuid4().hex}",
         "timestamp": now, "flow_run_id": flow_run_id}
        for _ in range(20)
    ]  # fmt: skip
    bad = [dict(good[0], id=uuid4().hex, message="bad-queued", timestamp=BAD_TIMES["time"])]
    if make_url(server.database_url).get_backend_name() == "postgresql":
        bad.append(dict(good[0], id=uuid4().hex, message="bad-\x00-queued"))
    producer = RedisBroker(url=server.redis_url, namespace="signalbox")
    try:
        records = [*good[:10], bad[0], *good[10:], *bad[1:]]
        producer.enqueue(
            Message(queue_name="ingest", actor_name="persist_logs", args=(records,), kwargs={},
                    options={})
        )  # fmt: skip
    finally:
        producer.close()
    sent.log_messages.update(record["message"] for record in good)
    sent.bad["queued by hand"] = [record["id"] for record in bad]


@pytest.mark.parametrize("kind", [*BAD_TIMES, *BAD_TEXTS, PAST_THE_EDGE])
def test_a_bad_record_among_good_batches_costs_only_itself(
    whole_server: WholeServer, kind: str
) -> None:
    """Figures (both databases; see /work/notes/docs-faults.md): 6 clients x 8 batches x 50
    good logs and 6 clients x 8 sockets x 50 good events at once (4,800 records), beside one
    bad log batch and one bad socket (refused at the edge: a 422 for that batch alone, a 1003
    close of that socket alone after its 10 good events), or beside one queued message of 20
    good logs and 1 refused (2 on PostgreSQL, the second for a NUL): 20 stored, a dead letter
    for each refused record; lost 0, 5xx 0."""
    server = whole_server
    flow_run_id = str(uuid4())
    sent = Sent()

    async def everyone_at_once() -> None:
        bad: list[Coroutine[Any, Any, None]]
        if kind == PAST_THE_EDGE:
            bad = [asyncio.to_thread(queue_by_hand, server, flow_run_id, sent)]
        else:
            bad = [
                send_bad_log(server.base, flow_run_id, kind, sent),
                send_bad_event(server.base, kind, sent),
            ]
        await asyncio.gather(
            *(send_good_logs(server.base, flow_run_id, sent) for _ in range(CLIENTS)),
            *(send_good_events(server.base, sent) for _ in range(CLIENTS)),
            *bad,
        )

    asyncio.run(everyone_at_once())

    def stored() -> tuple[set[str], int]:
        logs = server.read(select(Log.message).where(Log.flow_run_id == UUID(flow_run_id)))
        events = server.read(
            select(EventRow.id).where(EventRow.id.in_([UUID(i) for i in sent.event_ids]))
        )
        return set(logs), len(events)

    wait_for(lambda: stored()[0] >= sent.log_messages and stored()[1] == len(sent.event_ids),
             "every acknowledged good record to be stored", 60)  # fmt: skip
    # (the dead letter, where there is one, is written as the writer splits: before the last
    # good half is stored.)
    logs, _ = stored()
    dead = server.read(select(DeadLetter.reason))
    figures = {"statuses": dict(sent.statuses), "good logs": len(sent.log_messages),
               "good events": len(sent.event_ids), "bad": sent.bad, "dead letters": dead,
               "access log": dict(server.answers())}  # fmt: skip
    print(json.dumps(figures, default=str))  # for the docs: read with pytest -s
    assert len(sent.log_messages) >= CLIENTS * ROUNDS * RECORDS, figures
    assert len(sent.event_ids) >= CLIENTS * ROUNDS * RECORDS, figures
    assert not [status for status in [*sent.statuses, *server.answers()] if status >= 500]
    assert not {message for message in logs if message.startswith("bad")}, figures
    if kind == PAST_THE_EDGE:  # the writer split the message until the bad record was alone
        assert len(dead) == len(sent.bad["queued by hand"]), figures  # one each
        assert all(reason.startswith("RecordRefused") for reason in dead), figures
        return
    assert dead == [], figures  # refused at the edge: nothing reached a writer
    # Refused whole, naming the bad record (or the JSON that holds it); its batch's good
    # records were not acknowledged, and no other client's request was refused.
    assert sent.bad["log batch"]["status"] == 422, figures
    assert '"loc": ["body"' in sent.bad["log batch"]["detail"], figures
    assert sent.statuses[422] == 1, figures
    # That socket alone closed, with the reason; the events before it were kept.
    assert sent.bad["event socket"]["reply"] == "CLOSE", figures
    assert sent.bad["event socket"]["data"] == "1003", figures
    assert sent.bad["event socket"]["extra"].startswith("Not an event: "), figures
    stored_bad_event = server.read(
        select(EventRow.id).where(EventRow.id == UUID(sent.bad["event id"]))
    )
    assert stored_bad_event == [], figures

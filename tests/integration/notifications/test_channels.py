"""Every channel against a stand-in of its service on 127.0.0.1: the documented request, and
what each kind of answer leads to (retry after the asked delay, exactly-once after a 500,
a dead letter after a 401/404, a timeout retried). No secret reaches a record or a log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from models.db.database import Database
from models.messages.dead_letters import DeadLetter
from tests.integration.notifications.receiver import Received, Receiver, Reply
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    fail_flow_run,
)
from tests.integration.notifications.shapes import (
    OPSGENIE_ALERT,
    PAGERDUTY_EVENT,
    validate,
    validate_teams_message,
)
from tests.running import Drain

SUBJECT = "Flow run etl-nightly/aquatic-cockatoo entered Failed"
SIGNING_KEY = b"0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class ChannelCase:
    """One channel: its block, where its requests land, and the shape they must have."""

    slug: str
    path: str
    data: Callable[[Receiver], dict[str, Any]]
    #: Values that must never appear in a record, an API answer or a log line.
    secrets: tuple[str, ...]
    #: Checks one request against the channel's documented format.
    check: Callable[[Received, str], None]
    #: The service's own way of saying "too many requests, wait a second".
    too_many: Callable[[], Reply]
    #: Requests one delivery makes (one per recipient for some channels).
    requests: int = 1

    def __str__(self) -> str:
        return self.slug


def retry_after_one_second() -> Reply:
    return Reply(429, '{"message": "rate limited"}', {"Retry-After": "1"})


def check_slack(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
    assert request.header("Content-Type") == "application/json"
    message = request.json()
    assert message["text"] == SUBJECT
    header, section, context = message["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": SUBJECT}}
    assert section["text"]["type"] == "mrkdwn"
    assert "entered state `Failed`" in section["text"]["text"]
    assert "State message: ValueError: boom 7" in section["text"]["text"]
    assert context["elements"][0]["text"].startswith("<http://signalbox.test/runs/flow-run/")


def check_discord(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/api/webhooks/112233445566778899/discord-token-abcdefghijkl"
    assert request.query == {"wait": "true"}
    message = request.json()
    assert message["content"].startswith(f"**{SUBJECT}**\n")
    assert len(message["content"]) <= 2000
    assert message["allowed_mentions"] == {"parse": []}
    assert message["username"] == "signalbox"


def check_mattermost(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/mm/hooks/mattermost-hook-key-1234"
    message = request.json()
    assert message["text"].startswith(f"#### {SUBJECT}\n")
    assert message["channel"] in {"ops", "data-eng"}


def check_teams(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/workflows/4f3e/triggers/manual/paths/invoke"
    # The trigger URL is posted verbatim: without api-version and sig, Teams refuses it.
    assert request.query["api-version"] == "1"
    assert request.query["sig"] == "teams-signature-0123456789"
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert len(request.body) < 28 * 1024
    message = request.json()
    validate_teams_message(message)
    card = message["attachments"][0]["content"]
    assert card["body"][0]["text"] == SUBJECT
    assert card["actions"][0]["url"].startswith("http://signalbox.test/runs/flow-run/")


def check_opsgenie(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/v2/alerts"
    assert request.header("Authorization") == "GenieKey genie-api-key-0123456789"
    alert = request.json()
    validate(alert, OPSGENIE_ALERT)
    assert alert["alias"] == f"signalbox-{delivery_id}"
    assert alert["priority"] == "P2"
    assert alert["responders"] == [{"type": "team", "name": "data-eng"}]


def check_pagerduty(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/v2/enqueue"
    assert request.header("Authorization") is None
    event = request.json()
    validate(event, PAGERDUTY_EVENT)
    assert event["routing_key"] == "0123456789abcdef0123456789abcdef"
    assert event["dedup_key"] == f"signalbox-{delivery_id}"
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "error"
    assert b"pagerduty-rest-api-key" not in request.body  # the REST token is never sent


def check_sendgrid(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/v3/mail/send"
    assert request.header("Authorization") == "Bearer SG.sendgrid-secret-key"
    mail = request.json()
    assert mail["personalizations"] == [
        {"to": [{"email": "oncall@example.com"}]},
        {"to": [{"email": "lead@example.com"}]},
    ]
    assert mail["from"] == {"email": "alerts@example.com", "name": "Signalbox"}
    assert mail["subject"] == SUBJECT
    assert mail["content"][0]["type"] == "text/plain"
    assert "entered state `Failed`" in mail["content"][0]["value"]
    assert mail["custom_args"] == {"delivery_id": delivery_id}


def check_twilio(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    credentials = base64.b64decode(request.header("Authorization").split()[1]).decode()  # type: ignore[union-attr]
    assert credentials == "AC0123456789abcdef:twilio-auth-token-secret"
    form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
    assert form["From"] == "+15017122661"
    assert form["To"] in {"+15558675310", "+15558675311"}
    assert form["Body"].startswith(SUBJECT + "\n")
    assert len(form["Body"]) <= 1600


def check_webhook(request: Received, delivery_id: str) -> None:
    assert request.method == "POST"
    assert request.path == "/custom"
    assert request.query == {"x": "ops-hook"}
    assert request.header("X-Token") == "webhook-header-secret"
    assert request.json() == {"title": SUBJECT, "text": "ops-hook says Failed"}
    # Standard Webhooks: the id is the delivery's; the signature covers id, time and body.
    assert request.header("webhook-id") == delivery_id
    timestamp = request.header("webhook-timestamp")
    assert timestamp is not None and abs(int(timestamp) - time.time()) < 60
    signed = f"{delivery_id}.{timestamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(SIGNING_KEY, signed, hashlib.sha256).digest()).decode()
    assert request.header("webhook-signature") == f"v1,{expected}"


CASES = [
    ChannelCase(
        "slack-webhook",
        "/services/",
        lambda r: {"url": f"{r.url}/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"},
        ("XXXXXXXXXXXXXXXXXXXXXXXX",),
        check_slack,
        retry_after_one_second,
    ),
    ChannelCase(
        "discord-webhook",
        "/api/webhooks/",
        lambda r: {
            "webhook_id": "112233445566778899",
            "webhook_token": "discord-token-abcdefghijkl",
            "botname": "signalbox",
        },
        ("discord-token-abcdefghijkl",),
        check_discord,
        lambda: Reply(
            429,
            json.dumps(
                {"message": "You are being rate limited.", "retry_after": 1.0, "global": False}
            ),
            {"Retry-After": "1", "Content-Type": "application/json"},
        ),
    ),
    ChannelCase(
        "mattermost-webhook",
        "/mm/hooks/",
        lambda r: {
            "hostname": "127.0.0.1",
            "port": r.port,
            "secure": False,
            "path": "mm",
            "token": "mattermost-hook-key-1234",
            "channels": ["ops", "data-eng"],
        },
        ("mattermost-hook-key-1234",),
        check_mattermost,
        retry_after_one_second,
        requests=2,
    ),
    ChannelCase(
        "ms-teams-webhook",
        "/workflows/",
        lambda r: {
            "url": f"{r.url}/workflows/4f3e/triggers/manual/paths/invoke?api-version=1"
            "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teams-signature-0123456789"
        },
        ("teams-signature-0123456789",),
        check_teams,
        retry_after_one_second,
    ),
    ChannelCase(
        "opsgenie-webhook",
        "/v2/alerts",
        lambda r: {
            "apikey": "genie-api-key-0123456789",
            "region_name": "us",
            "priority": 2,
            "tags": ["etl"],
            "target_team": ["data-eng"],
        },
        ("genie-api-key-0123456789",),
        check_opsgenie,
        retry_after_one_second,
    ),
    ChannelCase(
        "pager-duty-webhook",
        "/v2/enqueue",
        lambda r: {
            "integration_key": "0123456789abcdef0123456789abcdef",
            "api_key": "pagerduty-rest-api-key",
            "region_name": "us",
        },
        ("0123456789abcdef0123456789abcdef", "pagerduty-rest-api-key"),
        check_pagerduty,
        retry_after_one_second,
    ),
    ChannelCase(
        "sendgrid-email",
        "/v3/mail/send",
        lambda r: {
            "api_key": "SG.sendgrid-secret-key",
            "sender_email": "alerts@example.com",
            "to_emails": ["oncall@example.com", "lead@example.com"],
        },
        ("SG.sendgrid-secret-key",),
        check_sendgrid,
        lambda: Reply(
            429,
            json.dumps({"errors": [{"field": None, "message": "too many requests"}]}),
            {"X-RateLimit-Reset": str(int(time.time()) + 3)},
        ),
    ),
    ChannelCase(
        "twilio-sms",
        "/2010-04-01/Accounts/",
        lambda r: {
            "account_sid": "AC0123456789abcdef",
            "auth_token": "twilio-auth-token-secret",
            "from_phone_number": "+15017122661",
            "to_phone_numbers": ["+15558675310", "+15558675311"],
        },
        ("twilio-auth-token-secret",),
        check_twilio,
        lambda: Reply(
            429,
            json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429}),
            {"Retry-After": "1"},
        ),
        requests=2,
    ),
    ChannelCase(
        "custom-webhook",
        "/custom",
        lambda r: {
            "name": "ops-hook",
            "url": f"{r.url}/custom?x={{{{name}}}}",
            "method": "POST",
            "json_data": {"title": "{{subject}}", "text": "{{name}} says Failed"},
            "headers": {"X-Token": "{{tok}}"},
            "secrets": {"tok": "webhook-header-secret"},
            "signing_secret": "whsec_" + base64.b64encode(SIGNING_KEY).decode(),
        },
        ("webhook-header-secret", base64.b64encode(SIGNING_KEY).decode()),
        check_webhook,
        retry_after_one_second,
    ),
]

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


async def notify_and_fail(api: TestClient, receiver: Receiver, case: ChannelCase) -> str:
    """A policy on Failed for the channel's block, and a flow run that fails; the run's id."""
    block = await create_block(api, case.slug, case.data(receiver))
    await create_policy(api, block)
    return await fail_flow_run(api)


async def only_delivery(api: TestClient, flow_run_id: str) -> dict[str, Any]:
    [delivery] = await deliveries_of(api, flow_run_id)
    return delivery


async def assert_no_secret_anywhere(
    api: TestClient,
    database: Database,
    flow_run_id: str,
    case: ChannelCase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No secret in the delivery and attempts the API returns, dead letters, or log lines."""
    async with database.read_sessions() as session:
        reasons = [letter.reason for letter in await session.scalars(select(DeadLetter))]
    shown = json.dumps(await deliveries_of(api, flow_run_id)) + json.dumps(reasons)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in case.secrets:
        assert secret not in shown
        assert secret not in logged


async def test_a_delivery_sends_the_documented_request_once(
    case: ChannelCase,
    api: TestClient,
    receiver: Receiver,
    drain: Drain,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    flow_run_id = await notify_and_fail(api, receiver, case)
    await drain()

    delivery = await only_delivery(api, flow_run_id)
    requests = receiver.requests_to(case.path)
    assert len(requests) == case.requests
    for request in requests:
        case.check(request, delivery["id"])
    assert delivery["status"] == "delivered"
    assert [attempt["outcome"] for attempt in delivery["attempts"]] == ["delivered"] * case.requests
    assert all(attempt["status_code"] in {200, 201, 202} for attempt in delivery["attempts"])
    await assert_no_secret_anywhere(api, database, flow_run_id, case, caplog)


async def test_a_429_is_retried_after_the_delay_the_service_asked_for(
    case: ChannelCase, api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    too_many = case.too_many()
    receiver.script(case.path, too_many)
    flow_run_id = await notify_and_fail(api, receiver, case)
    await drain()

    requests = receiver.requests_to(case.path)
    assert len(requests) == case.requests + 1
    # One second asked for, or (SendGrid) until the Unix time it named.
    reset = too_many.headers.get("X-RateLimit-Reset")
    resumes_at = float(reset) if reset else requests[0].wall + 1.0
    assert resumes_at - 0.1 <= requests[-1].wall < resumes_at + 2.5
    delivery = await only_delivery(api, flow_run_id)
    assert delivery["status"] == "delivered"
    first = delivery["attempts"][0]
    assert (first["outcome"], first["status_code"]) == ("transient", 429)
    assert first["retry_after_ms"] is not None and first["retry_after_ms"] >= 0


async def test_a_500_then_a_200_delivers_exactly_once(
    case: ChannelCase, api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.script(case.path, Reply(500, "Internal Server Error"))
    flow_run_id = await notify_and_fail(api, receiver, case)
    await drain()

    assert len(receiver.requests_to(case.path)) == case.requests + 1
    delivery = await only_delivery(api, flow_run_id)
    outcomes = [attempt["outcome"] for attempt in delivery["attempts"]]
    assert delivery["status"] == "delivered"
    assert outcomes.count("transient") == 1
    assert outcomes.count("delivered") == case.requests


@pytest.mark.parametrize("status", [401, 404])
async def test_a_401_or_404_stops_after_one_attempt_and_leaves_a_dead_letter(
    case: ChannelCase,
    status: int,
    api: TestClient,
    receiver: Receiver,
    drain: Drain,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.script(case.path, *[Reply(status, '{"message": "Unknown Webhook"}')] * case.requests)
    flow_run_id = await notify_and_fail(api, receiver, case)
    await drain()

    assert len(receiver.requests_to(case.path)) == case.requests
    delivery = await only_delivery(api, flow_run_id)
    assert delivery["status"] == "failed"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [status] * case.requests
    async with database.read_sessions() as session:
        [letter] = list(await session.scalars(select(DeadLetter)))
    assert letter.message["args"] == [delivery["id"]]
    assert "PermanentDeliveryFailure" in letter.reason
    await assert_no_secret_anywhere(api, database, flow_run_id, case, caplog)


async def test_a_hanging_service_times_out_and_the_delivery_is_retried(
    case: ChannelCase, api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.script(case.path, *[Reply(hang=True)] * case.requests)
    flow_run_id = await notify_and_fail(api, receiver, case)
    await drain()

    assert len(receiver.requests_to(case.path)) == 2 * case.requests
    delivery = await only_delivery(api, flow_run_id)
    assert delivery["status"] == "delivered"
    timed_out = delivery["attempts"][: case.requests]
    assert {attempt["error_class"] for attempt in timed_out} == {"TimeoutError"}
    assert all(900 <= attempt["duration_ms"] < 3000 for attempt in timed_out)

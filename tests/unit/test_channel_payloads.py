"""Each channel's request, built offline: format, limits, auth, and how answers are read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import pytest

from actors.channels.delivery import InvalidBlockData, Notification
from actors.channels.discord import DISCORD
from actors.channels.http import url_secrets
from actors.channels.mattermost import MATTERMOST
from actors.channels.opsgenie import OPSGENIE
from actors.channels.pagerduty import PAGERDUTY
from actors.channels.sendgrid import SENDGRID
from actors.channels.slack import SLACK
from actors.channels.teams import TEAMS, is_legacy_connector
from actors.channels.twilio import TWILIO
from actors.channels.webhook import WEBHOOK
from models.notifications.outcomes import Answer, AttemptOutcome
from models.notifications.redaction import excerpt, redact
from models.settings import Settings
from tests.integration.notifications.shapes import (
    OPSGENIE_ALERT,
    PAGERDUTY_EVENT,
    validate,
    validate_teams_message,
)

DELIVERY_ID = UUID("3f1c0d1e-0000-4000-8000-00000000abcd")
SETTINGS = Settings(delivery_timeout_seconds=7.0)
DETAILS = {
    "flow_run_url": "https://ui.example.com/runs/flow-run/1",
    "flow_run_id": "1",
    "flow_run_state_type": "FAILED",
    "flow_run_state_name": "Failed",
    "flow_run_state_timestamp": "2026-11-25T18:23:26+00:00",
    "flow_run_state_message": "boom",
}


def notification(data: dict[str, Any], body: str = "State Failed", subject: str = "Run failed"):
    return Notification(DELIVERY_ID, subject, body, DETAILS, data)


def sent_json(request: Any) -> Any:
    return json.loads(request.body)


def test_slack_escapes_user_text_and_keeps_blocks_within_limits() -> None:
    body = "<!channel> & " + "x" * 5000
    [request] = SLACK.build(
        notification({"url": "https://hooks.slack.com/services/T/B/C"}, body, "s" * 300), SETTINGS
    )
    message = sent_json(request)
    header, section, _ = message["blocks"]
    assert len(header["text"]["text"]) == 150 and header["text"]["text"].endswith("[truncated]")
    assert section["text"]["text"].startswith("&lt;!channel&gt; &amp; ")
    assert len(section["text"]["text"]) == 3000
    assert request.timeout_seconds == 7.0


def test_discord_caps_content_at_2000_and_disables_mentions() -> None:
    data = {"webhook_id": "1", "webhook_token": "tok-123456789012", "tts": True}
    [request] = DISCORD.build(notification(data, "y" * 3000), SETTINGS)
    assert request.url == "https://discord.com/api/webhooks/1/tok-123456789012?wait=true"
    message = sent_json(request)
    assert len(message["content"]) == 2000 and message["content"].endswith("[truncated]")
    assert message["allowed_mentions"] == {"parse": []} and message["tts"] is True
    assert "tok-123456789012" in request.secrets


def test_discord_waits_the_longer_of_its_two_delays_and_a_404_is_final() -> None:
    limited = Answer(429, {"Retry-After": "1"}, json.dumps({"retry_after": 2.5, "global": False}))
    assert DISCORD.read(limited).delay_ms == 2500
    assert DISCORD.read(Answer(404, body='{"code": 10015}')).outcome is AttemptOutcome.PERMANENT
    delivered = DISCORD.read(Answer(200, body='{"id": "99"}'))
    assert (delivered.outcome, delivered.provider_id) == (AttemptOutcome.DELIVERED, "99")


def test_mattermost_posts_once_per_channel_to_its_hook_and_501_is_final() -> None:
    data = {"hostname": "mm.example.com", "secure": True, "port": 443, "path": "/chat/",
            "token": "hookkey", "channels": ["a", "b"], "botname": "sb"}  # fmt: skip
    requests = MATTERMOST.build(notification(data), SETTINGS)
    assert [request.url for request in requests] == [
        "https://mm.example.com:443/chat/hooks/hookkey"
    ] * 2
    assert [sent_json(request)["channel"] for request in requests] == ["a", "b"]
    assert [request.target for request in requests] == ["a", "b"]
    [single] = MATTERMOST.build(notification({**data, "channels": None}), SETTINGS)
    assert "channel" not in sent_json(single) and single.target is None
    assert MATTERMOST.read(Answer(501)).outcome is AttemptOutcome.PERMANENT
    assert MATTERMOST.read(Answer(400)).outcome is AttemptOutcome.PERMANENT
    assert MATTERMOST.read(Answer(503)).outcome is AttemptOutcome.TRANSIENT


def test_teams_posts_the_url_verbatim_with_an_adaptive_card() -> None:
    url = "https://x.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=abc"
    [request] = TEAMS.build(notification({"url": url}, "z" * 50_000), SETTINGS)
    assert request.url == url
    message = sent_json(request)
    validate_teams_message(message)
    assert len(request.body or b"") < 28 * 1024
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"


def test_teams_reads_the_legacy_connectors_errors_inside_a_200() -> None:
    assert is_legacy_connector("https://acme.webhook.office.com/webhookb2/x")
    assert not is_legacy_connector("https://x.logic.azure.com/workflows/1")
    throttled = Answer(200, body="Microsoft Teams endpoint returned HTTP error 429 with ...")
    assert TEAMS.read(throttled).outcome is AttemptOutcome.TRANSIENT
    too_big = Answer(200, body="Webhook message delivery failed with error: HTTP error 413")
    assert TEAMS.read(too_big).outcome is AttemptOutcome.PERMANENT
    assert TEAMS.read(Answer(200, body="1")).outcome is AttemptOutcome.DELIVERED
    assert TEAMS.read(Answer(202)).outcome is AttemptOutcome.DELIVERED


def test_opsgenie_alert_has_the_published_shape_and_an_alias_from_the_delivery() -> None:
    data = {"apikey": "key-1", "region_name": "eu", "priority": 9,
            "tags": [f"t{i}" for i in range(30)], "target_user": ["ann@example.com"],
            "target_schedule": ["night"], "entity": "etl", "details": {"team": "data"}}  # fmt: skip
    [request] = OPSGENIE.build(notification(data, subject="m" * 200), Settings())
    assert request.url == "https://api.eu.opsgenie.com/v2/alerts"
    assert request.headers["Authorization"] == "GenieKey key-1"
    alert = sent_json(request)
    validate(alert, OPSGENIE_ALERT)
    assert alert["alias"] == f"signalbox-{DELIVERY_ID}"
    assert alert["priority"] == "P5" and len(alert["tags"]) == 20 and len(alert["message"]) == 130
    assert alert["responders"] == [
        {"type": "user", "username": "ann@example.com"},
        {"type": "schedule", "name": "night"},
    ]
    assert alert["details"]["team"] == "data" and alert["details"]["flow_run_id"] == "1"
    period = OPSGENIE.read(Answer(429, {"X-RateLimit-Period-In-Sec": "60"}))
    assert (period.outcome, period.delay_ms) == (AttemptOutcome.TRANSIENT, 60_000)


def test_pagerduty_event_has_the_published_shape_and_never_carries_the_rest_token() -> None:
    data = {"integration_key": "R0123", "api_key": "rest-token", "region_name": "eu",
            "custom_details": {"team": "data"}, "group": "etl"}  # fmt: skip
    [request] = PAGERDUTY.build(notification(data), Settings())
    assert request.url == "https://events.eu.pagerduty.com/v2/enqueue"
    event = sent_json(request)
    validate(event, PAGERDUTY_EVENT)
    assert event["dedup_key"] == f"signalbox-{DELIVERY_ID}"
    assert event["payload"]["severity"] == "error"
    assert event["links"] == [{"href": DETAILS["flow_run_url"], "text": "Open the flow run"}]
    assert b"rest-token" not in (request.body or b"") and "Authorization" not in request.headers
    huge = PAGERDUTY.build(notification(data, "w" * 600_000), Settings())[0]
    assert len(huge.body or b"") < 512 * 1024
    validate(sent_json(huge), PAGERDUTY_EVENT)


def test_sendgrid_sends_one_personalization_per_recipient_and_waits_for_the_reset() -> None:
    data = {
        "api_key": "SG.k",
        "sender_email": "a@example.com",
        "to_emails": ["b@example.com", "c@example.com"],
    }
    [request] = SENDGRID.build(notification(data), Settings())
    assert request.url == "https://api.sendgrid.com/v3/mail/send"
    assert request.headers["Authorization"] == "Bearer SG.k"
    mail = sent_json(request)
    assert [p["to"] for p in mail["personalizations"]] == [
        [{"email": "b@example.com"}],
        [{"email": "c@example.com"}],
    ]
    assert DETAILS["flow_run_url"] in mail["content"][0]["value"]
    with pytest.raises(InvalidBlockData):
        SENDGRID.build(notification({**data, "to_emails": []}), Settings())
    assert SENDGRID.read(Answer(202, {"X-Message-Id": "m1"})).provider_id == "m1"


def test_twilio_sends_form_encoded_sms_of_at_most_1600_characters_per_number() -> None:
    data = {"account_sid": "AC1", "auth_token": "tok", "from_phone_number": "+1500",
            "to_phone_numbers": ["+1555", "+1666"]}  # fmt: skip
    requests = TWILIO.build(notification(data, "é" * 5000), Settings())
    assert [request.target for request in requests] == ["+1555", "+1666"]
    first = requests[0]
    assert first.url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"AC1:tok").decode()
    form = {key: value[0] for key, value in parse_qs((first.body or b"").decode()).items()}
    assert form["To"] == "+1555" and form["From"] == "+1500"
    assert len(form["Body"]) == 1600 and form["Body"].endswith("…")
    queue_full = TWILIO.read(Answer(400, body='{"code": 21611, "message": "queue overflow"}'))
    assert queue_full.outcome is AttemptOutcome.TRANSIENT and queue_full.delay_ms == 15 * 60 * 1000
    assert TWILIO.read(Answer(400, body='{"code": 21211}')).outcome is AttemptOutcome.PERMANENT
    assert TWILIO.read(Answer(201, body='{"sid": "SM1"}')).provider_id == "SM1"


def test_the_custom_webhook_fills_placeholders_and_signs_as_standard_webhooks_says() -> None:
    key = b"k" * 24
    data = {
        "name": "hook", "url": "https://hooks.example.com/in?n={{name}}&t={{tok}}", "method": "put",
        "form_data": {"msg": "{{subject}}: {{body}}", "who": "{{ name }}"},
        "headers": {"Authorization": "Bearer {{tok}}"}, "cookies": {"c": "{{tok}}"},
        "secrets": {"tok": "s3cret"}, "timeout": 30,
        "signing_secret": "whsec_" + base64.b64encode(key).decode(),
    }  # fmt: skip
    [request] = WEBHOOK.build(notification(data, "B", "S"), SETTINGS)
    assert request.method == "PUT"
    assert request.url == "https://hooks.example.com/in?n=hook&t=s3cret"
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.cookies == {"c": "s3cret"}
    assert parse_qs((request.body or b"").decode()) == {"msg": ["S: B"], "who": ["hook"]}
    assert request.timeout_seconds == 7.0  # never longer than the setting
    headers = request.headers
    signed = f"{DELIVERY_ID}.{headers['webhook-timestamp']}.".encode() + (request.body or b"")
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-id"] == str(DELIVERY_ID)
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert "s3cret" in request.secrets


def test_the_custom_webhook_without_a_body_sends_our_event_and_no_signature() -> None:
    [request] = WEBHOOK.build(notification({"name": "h", "url": "http://127.0.0.1:9/x"}), SETTINGS)
    event = sent_json(request)
    assert event["type"] == "flow_run.state_changed" and event["id"] == str(DELIVERY_ID)
    assert event["state"] == "Failed" and event["url"] == DETAILS["flow_run_url"]
    assert "webhook-signature" not in request.headers and "webhook-id" in request.headers
    with pytest.raises(InvalidBlockData):
        WEBHOOK.build(
            notification({"name": "h", "url": "http://x", "signing_secret": "whsec_!!"}), SETTINGS
        )


def test_redirects_are_not_followed_but_refused() -> None:
    assert (
        WEBHOOK.read(Answer(302, {"Location": "http://elsewhere"})).outcome
        is AttemptOutcome.PERMANENT
    )


def test_secrets_are_blanked_out_of_excerpts_as_they_are_and_url_encoded() -> None:
    secrets = url_secrets("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX?sig=a/b+c")
    text = "bad hook XXXXXXXXXXXXXXXX, sig a%2Fb%2Bc and a/b+c"
    cleaned = redact(text, secrets)
    assert (
        "XXXXXXXXXXXXXXXX" not in cleaned and "a%2Fb%2Bc" not in cleaned and "a/b+c" not in cleaned
    )
    assert excerpt("", secrets) is None
    assert len(excerpt("x" * 5000, []) or "") == 500


@pytest.mark.parametrize(
    ("channel", "body", "provider_id"),
    [
        (OPSGENIE, '{"result": "Request will be processed", "requestId": "req-42"}', "req-42"),
        (PAGERDUTY, '{"status": "success", "dedup_key": "signalbox-1"}', "signalbox-1"),
        (DISCORD, '{"id": 99}', "99"),
        (OPSGENIE, "<html>accepted</html>", None),
        (PAGERDUTY, '["not", "an", "object"]', None),
        (DISCORD, "{}", None),
    ],
)
def test_a_delivered_answer_keeps_the_receivers_id_when_its_body_names_one(
    channel: Any, body: str, provider_id: str | None
) -> None:
    verdict = channel.read(Answer(202, body=body))
    assert (verdict.outcome, verdict.provider_id) == (AttemptOutcome.DELIVERED, provider_id)

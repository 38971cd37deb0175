"""Opsgenie: one alert per delivery, de-duplicated by an alias derived from the delivery.

POST `{base}/v2/alerts` with `Authorization: GenieKey <key>`. The base is the block's
region (US or EU) unless SIGNALBOX_OPSGENIE_BASE_URL says otherwise. While an alert with our
alias is open, a retried create only bumps its count: a retry never pages twice. Opsgenie
answers 202 with a `requestId` (kept); 429 when rate limited (we wait the period its
headers name, if any); every other 4xx is permanent.
"""

from __future__ import annotations

from typing import Any, Final

from actors.channels.delivery import InvalidBlockData, Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.retry_after import rate_limit_period_ms
from models.notifications.templates import truncate
from models.settings import Settings

#: The API host of each region.
REGION_BASE_URLS: Final = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
#: Opsgenie's field limits.
MESSAGE_CHARS: Final = 130
ALIAS_CHARS: Final = 512
DESCRIPTION_CHARS: Final = 15_000
MAX_TAGS: Final = 20
TAG_CHARS: Final = 50
#: The responder type of each of the block's target lists, and the key naming it.
RESPONDERS: Final = {
    "target_user": ("user", "username"),
    "target_team": ("team", "name"),
    "target_schedule": ("schedule", "name"),
    "target_escalation": ("escalation", "name"),
}


def alert_alias(notification: Notification) -> str:
    """The de-duplication key: the same on every retry of the delivery."""
    return truncate(f"signalbox-{notification.delivery_id}", ALIAS_CHARS)


def opsgenie_payload(notification: Notification) -> dict[str, Any]:
    data, details = notification.data, notification.details
    priority = data.get("priority") or 3
    alert_details = {str(key): str(value) for key, value in (data.get("details") or {}).items()}
    alert_details.update(
        {
            key: str(details[key])
            for key in ("flow_run_id", "flow_run_state_name", "flow_run_url")
            if details.get(key)
        }
    )
    payload: dict[str, Any] = {
        "message": truncate(notification.subject, MESSAGE_CHARS),
        "alias": alert_alias(notification),
        "description": truncate(notification.body, DESCRIPTION_CHARS),
        "priority": f"P{min(5, max(1, int(priority)))}",
        "source": "Signalbox",
        "details": alert_details,
    }
    tags = [truncate(str(tag), TAG_CHARS, "") for tag in data.get("tags") or []][:MAX_TAGS]
    if tags:
        payload["tags"] = tags
    if data.get("entity"):
        payload["entity"] = str(data["entity"])
    responders = [
        {"type": kind, key: str(name)}
        for field, (kind, key) in RESPONDERS.items()
        for name in data.get(field) or []
    ]
    if responders:
        payload["responders"] = responders
    return payload


def build_opsgenie_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    key = notification.data["apikey"]
    region = str(notification.data.get("region_name") or "us")
    if settings.opsgenie_base_url is None and region not in REGION_BASE_URLS:
        raise InvalidBlockData(f"region_name must be one of {sorted(REGION_BASE_URLS)}")
    base = (settings.opsgenie_base_url or REGION_BASE_URLS[region]).rstrip("/")
    return [
        json_request(
            f"{base}/v2/alerts",
            opsgenie_payload(notification),
            timeout_seconds=settings.delivery_timeout_seconds,
            headers={"Authorization": f"GenieKey {key}"},
            secrets=(str(key),),
        )
    ]


def read_opsgenie_answer(answer: Answer) -> Verdict:
    """202 keeps the request id; a 429 waits the rate-limit period when one is named."""
    verdict = classify_status(answer)
    if answer.status == 429 and verdict.delay_ms is None:
        return Verdict(
            AttemptOutcome.TRANSIENT, verdict.reason, rate_limit_period_ms(answer.headers)
        )
    if verdict.outcome is AttemptOutcome.DELIVERED:
        request_id = answer.json_field("requestId")
        return Verdict(AttemptOutcome.DELIVERED, verdict.reason, provider_id=request_id)
    return verdict


#: Actor `deliver_opsgenie` on queue `notify.opsgenie`; the registry reads this name.
OPSGENIE: Final = declare_channel(
    ChannelName.OPSGENIE, build_opsgenie_requests, read_opsgenie_answer
)

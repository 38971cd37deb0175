"""PagerDuty Events API v2: one `trigger` event per delivery, de-duplicated by its key.

POST `{base}/v2/enqueue` with the integration key as `routing_key` in the body (no REST
token is needed, and the block's `api_key` is never sent). The base is the block's region
unless SIGNALBOX_PAGERDUTY_BASE_URL says otherwise. The `dedup_key` is derived from the
delivery, so a retried trigger adds to the open alert instead of paging again. PagerDuty
answers 202; 400 is permanent; 429 and 5xx are retried (no Retry-After is promised).
"""

from __future__ import annotations

import json
from typing import Any, Final

from actors.channels.delivery import InvalidBlockData, Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.templates import truncate
from models.settings import Settings

#: The events host of each region.
REGION_BASE_URLS: Final = {
    "us": "https://events.pagerduty.com",
    "eu": "https://events.eu.pagerduty.com",
}
#: PagerDuty's limits: summary, dedup key, and the whole event.
SUMMARY_CHARS: Final = 1024
DEDUP_KEY_CHARS: Final = 255
EVENT_BYTES: Final = 512 * 1024
#: How bad each state type is, in PagerDuty's four severities.
SEVERITY: Final = {
    "FAILED": "error",
    "CRASHED": "critical",
    "CANCELLED": "warning",
    "CANCELLING": "warning",
    "PAUSED": "warning",
}


def dedup_key(notification: Notification) -> str:
    """The key PagerDuty folds repeats into: the same on every retry of the delivery."""
    return truncate(f"signalbox-{notification.delivery_id}", DEDUP_KEY_CHARS)


def pagerduty_event(notification: Notification) -> dict[str, Any]:
    data, details = notification.data, notification.details
    state_type = str(details.get("flow_run_state_type", ""))
    custom = {str(key): value for key, value in (data.get("custom_details") or {}).items()}
    custom.update(
        {
            "message": notification.body,
            **{
                key: details[key]
                for key in ("flow_run_id", "flow_run_state_name", "flow_run_state_message")
                if details.get(key)
            },
        }
    )
    payload: dict[str, Any] = {
        "summary": truncate(notification.subject, SUMMARY_CHARS),
        "source": str(data.get("source") or "Signalbox"),
        "severity": SEVERITY.get(state_type, "info"),
        "component": str(data.get("component") or "flow-run"),
        "class": str(data.get("class_id") or details.get("flow_run_state_name") or "flow-run"),
        "custom_details": custom,
    }
    if data.get("group"):
        payload["group"] = str(data["group"])
    if details.get("flow_run_state_timestamp"):
        payload["timestamp"] = details["flow_run_state_timestamp"]
    event: dict[str, Any] = {
        "routing_key": data["integration_key"],
        "event_action": "trigger",
        "dedup_key": dedup_key(notification),
        "payload": payload,
        "client": "Signalbox",
    }
    link = data.get("clickable_url") or details.get("flow_run_url")
    if isinstance(link, str) and link.startswith(("http://", "https://")):
        event["links"] = [{"href": link, "text": "Open the flow run"}]
    if len(json.dumps(event).encode()) > EVENT_BYTES:
        # As Alertmanager does: the details go first when an event is too large.
        payload["custom_details"] = {"message": truncate(notification.body, 10_000)}
    return event


def build_pagerduty_requests(
    notification: Notification, settings: Settings
) -> list[ChannelRequest]:
    region = str(notification.data.get("region_name") or "us")
    if settings.pagerduty_base_url is None and region not in REGION_BASE_URLS:
        raise InvalidBlockData(f"region_name must be one of {sorted(REGION_BASE_URLS)}")
    base = (settings.pagerduty_base_url or REGION_BASE_URLS[region]).rstrip("/")
    secrets = tuple(
        str(notification.data[key])
        for key in ("integration_key", "api_key")
        if notification.data.get(key)
    )
    return [
        json_request(
            f"{base}/v2/enqueue",
            pagerduty_event(notification),
            timeout_seconds=settings.delivery_timeout_seconds,
            secrets=secrets,
        )
    ]


def read_pagerduty_answer(answer: Answer) -> Verdict:
    verdict = classify_status(answer)
    if verdict.outcome is AttemptOutcome.DELIVERED:
        dedup_key = answer.json_field("dedup_key")
        return Verdict(AttemptOutcome.DELIVERED, verdict.reason, provider_id=dedup_key)
    return verdict


#: Actor `deliver_pagerduty` on queue `notify.pagerduty`; the registry reads this name.
PAGERDUTY: Final = declare_channel(
    ChannelName.PAGERDUTY, build_pagerduty_requests, read_pagerduty_answer
)

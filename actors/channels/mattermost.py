"""Mattermost incoming webhooks: one post per channel listed (or one to the hook's own).

POST `http(s)://{hostname}:{port}{path}/hooks/{token}` with `{"text"}` (plus `channel` and
`username` overrides, honoured when the admin allows them). Mattermost answers 200 `ok`.
An unknown or deleted hook is a 400, webhooks switched off a 501: both permanent, as are
403 and 404; 429 (when rate limiting is on) and other 5xx are transient.
"""

from __future__ import annotations

from typing import Any, Final

from actors.channels.delivery import Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.templates import truncate
from models.settings import Settings

#: Mattermost's longest post; longer text would be split into several posts.
POST_CHARS: Final = 16_383


def mattermost_url(data: Any) -> str:
    scheme = "https" if data.get("secure") else "http"
    path = str(data.get("path") or "").strip("/")
    prefix = f"/{path}" if path else ""
    return f"{scheme}://{data['hostname']}:{data.get('port') or 8065}{prefix}/hooks/{data['token']}"


def mattermost_payload(notification: Notification, channel: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "text": truncate(f"#### {notification.subject}\n{notification.body}", POST_CHARS)
    }
    if notification.data.get("botname"):
        payload["username"] = notification.data["botname"]
    if channel:
        payload["channel"] = channel
    return payload


def build_mattermost_requests(
    notification: Notification, settings: Settings
) -> list[ChannelRequest]:
    url = mattermost_url(notification.data)
    channels = list(notification.data.get("channels") or [])
    return [
        json_request(
            url,
            mattermost_payload(notification, channel),
            timeout_seconds=settings.delivery_timeout_seconds,
            target=channel,
            secrets=(str(notification.data["token"]),),
        )
        for channel in (channels or [None])
    ]


def read_mattermost_answer(answer: Answer) -> Verdict:
    """As the default, except that 501 (incoming webhooks disabled) is permanent."""
    if answer.status == 501:
        return Verdict(AttemptOutcome.PERMANENT, answer.describe())
    return classify_status(answer)


#: Actor `deliver_mattermost` on queue `notify.mattermost`; the registry reads this name.
MATTERMOST: Final = declare_channel(
    ChannelName.MATTERMOST, build_mattermost_requests, read_mattermost_answer
)

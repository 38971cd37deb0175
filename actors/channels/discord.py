"""Discord webhooks: the subject in bold, then the message, mentions disabled.

POST `{base}/api/webhooks/{id}/{token}?wait=true` (with `wait`, Discord answers 200 with the
created message, whose id we keep). A 429 carries Retry-After and `retry_after` in its JSON
body; a 404 means the webhook is gone ("you should not attempt to use it again"), 401 a bad
token: both permanent.
"""

from __future__ import annotations

from typing import Any, Final

from actors.channels.delivery import Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.retry_after import body_retry_after_ms, retry_after_ms
from models.notifications.templates import truncate
from models.settings import Settings

#: Where Discord webhooks live unless SIGNALBOX_DISCORD_BASE_URL says otherwise.
DISCORD_BASE_URL: Final = "https://discord.com"
#: Discord's limits: message content, and the username override.
CONTENT_CHARS: Final = 2000
USERNAME_CHARS: Final = 80


def discord_payload(notification: Notification) -> dict[str, Any]:
    data = notification.data
    content = f"**{notification.subject}**\n{notification.body}"
    payload: dict[str, Any] = {
        "content": truncate(content, CONTENT_CHARS),
        # User-controlled names must not ping @everyone.
        "allowed_mentions": {"parse": []},
    }
    if data.get("botname"):
        payload["username"] = truncate(str(data["botname"]), USERNAME_CHARS)
    if data.get("avatar_url"):
        payload["avatar_url"] = data["avatar_url"]
    if data.get("tts"):
        payload["tts"] = True
    return payload


def build_discord_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    base = (settings.discord_base_url or DISCORD_BASE_URL).rstrip("/")
    webhook_id, token = notification.data["webhook_id"], notification.data["webhook_token"]
    url = f"{base}/api/webhooks/{webhook_id}/{token}?wait=true"
    return [
        json_request(
            url,
            discord_payload(notification),
            timeout_seconds=settings.delivery_timeout_seconds,
            secrets=(str(webhook_id), str(token)),
        )
    ]


def read_discord_answer(answer: Answer) -> Verdict:
    """Discord's way: the delay of a 429 is the longer of the header and the body's."""
    verdict = classify_status(answer)
    if answer.status == 429:
        asked = [
            delay
            for delay in (retry_after_ms(answer.headers), body_retry_after_ms(answer.body))
            if delay is not None
        ]
        return Verdict(AttemptOutcome.TRANSIENT, verdict.reason, max(asked) if asked else None)
    if verdict.outcome is AttemptOutcome.DELIVERED:
        return Verdict(
            AttemptOutcome.DELIVERED, verdict.reason, provider_id=answer.json_field("id")
        )
    return verdict


#: Actor `deliver_discord` on queue `notify.discord`; the registry reads this name.
DISCORD: Final = declare_channel(ChannelName.DISCORD, build_discord_requests, read_discord_answer)

"""Slack incoming webhooks: a header with the subject, the message as a section.

POST the stored URL (`hooks.slack.com/services/...`; the whole URL is the credential) with
`{"text", "blocks"}`. Slack answers 200 `ok`; 429 with Retry-After when we post faster than
about one message a second; 400/403/404/410 with a short error string, all permanent.
"""

from __future__ import annotations

from typing import Any, Final

from actors.channels.delivery import Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.templates import truncate
from models.settings import Settings

#: Slack's limits: header text, section text, and the fallback text.
HEADER_CHARS: Final = 150
SECTION_CHARS: Final = 3000
TEXT_CHARS: Final = 40_000


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped so user text cannot form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notification: Notification) -> dict[str, Any]:
    """The message: fallback text, a header, the body, and a link to the flow run."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(notification.subject, HEADER_CHARS)},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(escape_mrkdwn(notification.body), SECTION_CHARS),
            },
        },
    ]
    url = notification.details.get("flow_run_url")
    if url:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{url}|Open the flow run>"}],
            }
        )
    return {"text": truncate(escape_mrkdwn(notification.subject), TEXT_CHARS), "blocks": blocks}


def build_slack_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    url = notification.data["url"]
    return [
        json_request(
            url, slack_payload(notification), timeout_seconds=settings.delivery_timeout_seconds
        )
    ]


#: Actor `deliver_slack` on queue `notify.slack`; the registry reads this name.
SLACK: Final = declare_channel(ChannelName.SLACK, build_slack_requests)

"""Microsoft Teams: an Adaptive Card, posted to a Workflows trigger or a legacy connector.

POST the stored URL verbatim, query string included (its `sig` is the credential). Both
kinds take the same `{"type": "message", "attachments": [<Adaptive Card 1.4>]}`. Workflows
answer 202 (the flow started); the legacy Office 365 connector answers 200 `1`, and reports
its errors, 429 included, as text inside a 200 ("... returned HTTP error 429"), which we
read. Microsoft is retiring the legacy connector: such URLs still work but are logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final
from urllib.parse import urlsplit

from actors.channels.delivery import Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import (
    TRANSIENT_STATUSES,
    Answer,
    AttemptOutcome,
    Verdict,
    classify_status,
)
from models.notifications.templates import truncate
from models.settings import Settings

logger = logging.getLogger(__name__)

#: The card's text stays well under Teams' 28 KB message limit (counted as UTF-16).
BODY_CHARS: Final = 12_000
SUBJECT_CHARS: Final = 500
#: Hosts of the legacy Office 365 connector.
LEGACY_HOSTS: Final = ("webhook.office.com", "outlook.office.com")
#: How the legacy connector reports an error inside a 200.
CONNECTOR_ERROR: Final = re.compile(r"HTTP error (\d{3})", re.IGNORECASE)


def adaptive_card(notification: Notification) -> dict[str, Any]:
    """The card: the subject in bold, the message, and a button to the flow run."""
    wrap = bool(notification.data.get("wrap", True))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": truncate(notification.subject, SUBJECT_CHARS),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": wrap,
            },
            {"type": "TextBlock", "text": truncate(notification.body, BODY_CHARS), "wrap": wrap},
        ],
        "msteams": {"width": "Full"},
    }
    url = notification.details.get("flow_run_url")
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the flow run", "url": url}]
    return card


def teams_payload(notification: Notification) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": adaptive_card(notification),
            }
        ],
    }


def is_legacy_connector(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith(LEGACY_HOSTS)


def build_teams_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    url = notification.data["url"]
    if is_legacy_connector(url):
        logger.warning(
            "Delivery %s goes to a legacy Office 365 connector, which Microsoft is retiring; "
            "move the block to a Workflows URL.",
            notification.delivery_id,
        )
    return [
        json_request(
            url,
            teams_payload(notification),
            timeout_seconds=settings.delivery_timeout_seconds,
            # Without the charset Teams counts the body as UTF-16 and refuses it sooner.
            content_type="application/json; charset=utf-8",
        )
    ]


def read_teams_answer(answer: Answer) -> Verdict:
    """A 200 whose body holds a connector error counts as that error's status."""
    verdict = classify_status(answer)
    if verdict.outcome is not AttemptOutcome.DELIVERED:
        return verdict
    text = answer.body.strip()
    if text in ("", "1"):
        return verdict
    if found := CONNECTOR_ERROR.search(text):
        status = int(found.group(1))
        reason = f"Teams error {status} in a {answer.status}"
        if status in TRANSIENT_STATUSES or status >= 500:
            return Verdict(AttemptOutcome.TRANSIENT, reason)
        return Verdict(AttemptOutcome.PERMANENT, reason)
    if "error" in text.lower():
        return Verdict(AttemptOutcome.TRANSIENT, f"Teams error text in a {answer.status}")
    return verdict


#: Actor `deliver_teams` on queue `notify.teams`; the registry reads this name.
TEAMS: Final = declare_channel(ChannelName.TEAMS, build_teams_requests, read_teams_answer)

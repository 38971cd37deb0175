"""SendGrid v3 Mail Send: one e-mail per delivery, one personalization per recipient.

POST `{base}/v3/mail/send` with `Authorization: Bearer <key>`. One personalization per
recipient keeps recipients from seeing each other on the To line. SendGrid answers 202
(200 in sandbox mode) with an `X-Message-Id` (kept); a 429 names its reset time in
`X-RateLimit-Reset` (Unix seconds), which we wait for; every other 4xx is permanent.
"""

from __future__ import annotations

from typing import Any, Final

from actors.channels.delivery import InvalidBlockData, Notification, declare_channel
from actors.channels.http import ChannelRequest, json_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.retry_after import header, rate_limit_reset_ms
from models.notifications.templates import truncate
from models.settings import Settings

#: SendGrid's global API host, unless SIGNALBOX_SENDGRID_BASE_URL says otherwise.
SENDGRID_BASE_URL: Final = "https://api.sendgrid.com"
#: SendGrid's cap on recipients per request.
MAX_RECIPIENTS: Final = 1000
#: A subject line longer than this is cut (mail headers fold badly past it).
SUBJECT_CHARS: Final = 900


def sendgrid_mail(notification: Notification) -> dict[str, Any]:
    recipients = [str(address) for address in notification.data.get("to_emails") or []]
    if not recipients:
        raise InvalidBlockData("to_emails is empty")
    text = notification.body
    url = notification.details.get("flow_run_url")
    if url and url not in text:
        text = f"{text}\n\n{url}"
    return {
        "personalizations": [
            {"to": [{"email": address}]} for address in recipients[:MAX_RECIPIENTS]
        ],
        "from": {"email": notification.data["sender_email"], "name": "Signalbox"},
        "subject": truncate(notification.subject, SUBJECT_CHARS),
        "content": [{"type": "text/plain", "value": text}],
        "custom_args": {"delivery_id": str(notification.delivery_id)},
    }


def build_sendgrid_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    key = notification.data["api_key"]
    base = (settings.sendgrid_base_url or SENDGRID_BASE_URL).rstrip("/")
    return [
        json_request(
            f"{base}/v3/mail/send",
            sendgrid_mail(notification),
            timeout_seconds=settings.delivery_timeout_seconds,
            headers={"Authorization": f"Bearer {key}"},
            secrets=(str(key),),
        )
    ]


def read_sendgrid_answer(answer: Answer) -> Verdict:
    """202 keeps X-Message-Id; a 429 waits until X-RateLimit-Reset when there is one."""
    verdict = classify_status(answer)
    if answer.status == 429 and verdict.delay_ms is None:
        return Verdict(
            AttemptOutcome.TRANSIENT, verdict.reason, rate_limit_reset_ms(answer.headers)
        )
    if verdict.outcome is AttemptOutcome.DELIVERED:
        message_id = header(answer.headers, "X-Message-Id") or None
        return Verdict(AttemptOutcome.DELIVERED, verdict.reason, provider_id=message_id)
    return verdict


#: Actor `deliver_sendgrid` on queue `notify.sendgrid`; the registry reads this name.
SENDGRID: Final = declare_channel(
    ChannelName.SENDGRID, build_sendgrid_requests, read_sendgrid_answer
)

"""Twilio SMS: one message per recipient number, form-encoded, at most 1600 characters.

POST `{base}/2010-04-01/Accounts/{sid}/Messages.json` with HTTP Basic `sid:token` and the
form `To`, `From`, `Body`. Each number is its own request and its own attempt: a retry
sends only to the numbers not yet served. Twilio answers 201 with the message `sid`
(kept); 429 (20429) is safe to retry; 21611 (the sender's queue is full) is transient but
needs a long wait; other 4xx (bad number, opted out, bad credentials) are permanent.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from actors.channels.delivery import InvalidBlockData, Notification, declare_channel
from actors.channels.http import ChannelRequest, form_request
from models.notifications.channels import ChannelName
from models.notifications.outcomes import Answer, AttemptOutcome, Verdict, classify_status
from models.notifications.templates import truncate
from models.settings import Settings

#: Twilio's API host, unless SIGNALBOX_TWILIO_BASE_URL says otherwise.
TWILIO_BASE_URL: Final = "https://api.twilio.com"
#: Twilio refuses longer bodies (error 21617).
BODY_CHARS: Final = 1600
#: "Queue overflow": the sender has more than 10 hours of messages queued.
QUEUE_FULL_CODE: Final = 21611
QUEUE_FULL_WAIT_MS: Final = 15 * 60 * 1000


def sms_text(notification: Notification) -> str:
    return truncate(f"{notification.subject}\n{notification.body}", BODY_CHARS, " …")


def build_twilio_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    data = notification.data
    sid, token = str(data["account_sid"]), str(data["auth_token"])
    numbers = [str(number) for number in data.get("to_phone_numbers") or []]
    if not numbers:
        raise InvalidBlockData("to_phone_numbers is empty")
    base = (settings.twilio_base_url or TWILIO_BASE_URL).rstrip("/")
    credentials = base64.b64encode(f"{sid}:{token}".encode()).decode()
    return [
        form_request(
            f"{base}/2010-04-01/Accounts/{sid}/Messages.json",
            {"To": number, "From": str(data["from_phone_number"]), "Body": sms_text(notification)},
            timeout_seconds=settings.delivery_timeout_seconds,
            headers={"Authorization": f"Basic {credentials}"},
            target=number,
            secrets=(token, credentials),
        )
        for number in numbers
    ]


def twilio_error(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def read_twilio_answer(answer: Answer) -> Verdict:
    verdict = classify_status(answer)
    if verdict.outcome is AttemptOutcome.DELIVERED:
        sid = twilio_error(answer.body).get("sid")
        return Verdict(
            AttemptOutcome.DELIVERED, verdict.reason, provider_id=str(sid) if sid else None
        )
    if twilio_error(answer.body).get("code") == QUEUE_FULL_CODE:
        return Verdict(AttemptOutcome.TRANSIENT, f"{verdict.reason} (21611)", QUEUE_FULL_WAIT_MS)
    return verdict


#: Actor `deliver_twilio` on queue `notify.twilio`; the registry reads this name.
TWILIO: Final = declare_channel(ChannelName.TWILIO, build_twilio_requests, read_twilio_answer)

"""Custom webhooks: the user's method, URL, headers and body, templated; signed when asked.

As Prefect's custom webhook block: `{{subject}}`, `{{body}}`, `{{name}}` and the keys of
`secrets` are substituted into the URL, query parameters, headers, cookies and the JSON or
form body. Without a body of their own, receivers get our event JSON. Every request carries
`webhook-id` (the delivery id, the same on every retry: receivers de-duplicate on it); with a
`signing_secret`, also `webhook-timestamp` and `webhook-signature` as Standard Webhooks
define them. 2xx is delivered; 408, 425, 429 and 5xx are retried; other answers, redirects
included, are permanent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from actors.channels.delivery import InvalidBlockData, Notification, declare_channel
from actors.channels.http import ChannelRequest, url_secrets
from models.automations.actions.notifications import WEBHOOK_PAYLOAD_DETAIL
from models.notifications.channels import ChannelName
from models.settings import Settings

#: `{{ name }}`, as Prefect's templating writes placeholders.
PLACEHOLDER: Final = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")
#: The prefix of a Standard Webhooks secret; the rest is base64.
SECRET_PREFIX: Final = "whsec_"


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """`value` with every known placeholder in its texts filled in (unknown ones stay)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), value)
    if isinstance(value, dict):
        return {key: substitute(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, values) for item in value]
    return value


def event_body(notification: Notification) -> dict[str, Any]:
    """Our own body, for a webhook that names none: the state change as an event."""
    details = notification.details
    return {
        "id": str(notification.delivery_id),
        "type": "flow_run.state_changed",
        "flow_run_id": details.get("flow_run_id"),
        "flow_run_name": details.get("flow_run_name"),
        "flow_name": details.get("flow_name"),
        "state": details.get("flow_run_state_name"),
        "state_type": details.get("flow_run_state_type"),
        "title": notification.subject,
        "summary": notification.body,
        "occurred_at": details.get("flow_run_state_timestamp"),
        "url": details.get("flow_run_url"),
    }


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` (Standard Webhooks)."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error:
            raise InvalidBlockData("signing_secret is not whsec_ followed by base64") from None
    else:
        key = secret.encode()
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_body(
    data: Mapping[str, Any], notification: Notification, values: Mapping[str, str]
) -> tuple[bytes | None, str | None]:
    """The body and its content type: a call-webhook action's payload, else the block's
    JSON, else its form, else our event."""
    payload = notification.details.get(WEBHOOK_PAYLOAD_DETAIL)
    if isinstance(payload, str):
        # Prefect's webhook block sends the rendered payload as it is, whatever it holds.
        try:
            json.loads(payload)
        except ValueError:
            return payload.encode(), "text/plain; charset=utf-8"
        return payload.encode(), "application/json"
    if data.get("json_data") is not None:
        return json.dumps(
            substitute(data["json_data"], values), ensure_ascii=False
        ).encode(), "application/json"
    form = data.get("form_data")
    if isinstance(form, dict):
        return urlencode(substitute(form, values)).encode(), "application/x-www-form-urlencoded"
    if isinstance(form, str):
        return substitute(form, values).encode(), "application/x-www-form-urlencoded"
    return json.dumps(event_body(notification), ensure_ascii=False).encode(), "application/json"


def build_webhook_requests(notification: Notification, settings: Settings) -> list[ChannelRequest]:
    data = notification.data
    secrets = {str(key): str(value) for key, value in (data.get("secrets") or {}).items()}
    values = {
        "subject": notification.subject,
        "body": notification.body,
        "name": str(data.get("name") or ""),
        **secrets,
    }
    url = substitute(str(data["url"]), values)
    body, content_type = webhook_body(data, notification, values)
    message_id = str(notification.delivery_id)
    headers = {
        str(key): str(value) for key, value in substitute(data.get("headers") or {}, values).items()
    }
    if content_type and not any(key.lower() == "content-type" for key in headers):
        headers["Content-Type"] = content_type
    headers["webhook-id"] = message_id
    signing_secret = data.get("signing_secret")
    if signing_secret:
        timestamp = int(time.time())
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = signature(
            str(signing_secret), message_id, timestamp, body or b""
        )
    timeout = min(
        float(data.get("timeout") or settings.delivery_timeout_seconds),
        settings.delivery_timeout_seconds,
    )
    return [
        ChannelRequest(
            method=str(data.get("method") or "POST").upper(),
            url=url,
            headers=headers,
            body=body,
            params=substitute(data.get("params"), values) or None,
            cookies=substitute(data.get("cookies"), values) or None,
            timeout_seconds=timeout,
            secrets=(
                *secrets.values(),
                *([str(signing_secret)] if signing_secret else []),
                *url_secrets(url),
            ),
        )
    ]


#: Actor `deliver_webhook` on queue `notify.webhook`; the registry reads this name.
WEBHOOK: Final = declare_channel(ChannelName.WEBHOOK, build_webhook_requests)

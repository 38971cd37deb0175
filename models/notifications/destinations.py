"""Where notifications may go: http(s) URLs only, and, when asked, public addresses only.

Two checks, at two moments. When a block document is stored, the URL fields of the block
types that send somewhere (the notification channels' blocks and Prefect's `webhook`) must
be http or https URLs with a host: `file://`, `gopher://` and the like are refused there.
When a delivery is sent with private addresses refused (the block's `allow_private_urls`
is false, or SIGNALBOX_BLOCK_PRIVATE_URLS is on), every address the receiver's name
resolves to must be public; the check runs on the resolved address the connection then
uses (actors/channels/http.py), so a name that changes its answer cannot slip past it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from models.errors import InvalidRequest
from models.notifications.channels import CHANNEL_FOR_BLOCK_TYPE

#: The block types whose documents hold URLs Signalbox (or a Prefect client) sends to.
SENDING_BLOCK_TYPES: Final = frozenset({*CHANNEL_FOR_BLOCK_TYPE, "webhook"})
#: Their fields that are URLs to send to.
URL_FIELDS: Final = ("url",)
#: The schemes a notification may use.
WEB_SCHEMES: Final = frozenset({"http", "https"})
#: Cloud providers' instance metadata services, refused even where another rule would pass
#: them (Alibaba's sits in the shared address space, AWS's IPv6 one in a unique-local range).
METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


class RefusedDestination(OSError):
    """A receiver's address that private-address protection refuses; the text names the
    address, never the URL (which may hold a token)."""


def check_block_urls(block_type_slug: str, data: Mapping[str, Any]) -> None:
    """Raise InvalidRequest when a sending block's URL field is not an http(s) URL.

    A secret field sent back as stars, or a value that is not text (a reference), is left
    to the rest of the validation.
    """
    if block_type_slug not in SENDING_BLOCK_TYPES:
        return
    for name in URL_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and not is_web_url(value):
            raise InvalidRequest(
                f"Block field {name!r} must be an http or https URL with a host; "
                "other schemes are refused."
            )


def is_web_url(url: str) -> bool:
    """Whether `url` is http or https with a host (placeholders allowed elsewhere in it)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def refuses_private_addresses(data: Mapping[str, Any], *, server_wide: bool) -> bool:
    """Whether a delivery with this block data may only reach public addresses.

    As Prefect's blocks, `allow_private_urls` is true unless the block says otherwise.
    """
    return server_wide or data.get("allow_private_urls") is False


def private_address_reason(address: str) -> str | None:
    """Why `address` (an IP literal) is not a public one, or None when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    for kind, matches in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if matches:
            return f"{ip} is a {kind} address"
    if not ip.is_global:  # the shared address space (100.64/10) and other special ranges
        return f"{ip} is not a public address"
    return None


def check_public_address(address: str) -> None:
    """Raise RefusedDestination unless `address` is public."""
    reason = private_address_reason(address)
    if reason is not None:
        raise RefusedDestination(f"Refused destination: {reason}")

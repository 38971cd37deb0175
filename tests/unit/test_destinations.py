"""Where notifications may go: http(s) URLs only, and which addresses count as private."""

from __future__ import annotations

import pytest

from models.errors import InvalidRequest
from models.notifications.destinations import (
    RefusedDestination,
    check_block_urls,
    check_public_address,
    private_address_reason,
    refuses_private_addresses,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not a public"),
    ],
)
def test_non_public_addresses_are_named_with_their_kind(address: str, kind: str) -> None:
    reason = private_address_reason(address)
    assert reason is not None and kind in reason
    with pytest.raises(RefusedDestination, match="Refused destination"):
        check_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert private_address_reason(address) is None
    check_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "ftp://example.com/x",
        "http://",
        "javascript:alert(1)",
        "hooks.slack.com/services/x",
    ],
)
def test_a_sending_block_refuses_urls_that_are_not_http_or_https(url: str) -> None:
    for slug in ("custom-webhook", "slack-webhook", "ms-teams-webhook", "webhook"):
        with pytest.raises(InvalidRequest, match="http or https"):
            check_block_urls(slug, {"url": url})


def test_web_urls_stars_and_other_block_types_pass() -> None:
    check_block_urls("custom-webhook", {"url": "https://hooks.example.com/{{token}}"})
    check_block_urls("slack-webhook", {"url": "http://127.0.0.1:8080/x"})
    check_block_urls("slack-webhook", {"url": {"$ref": "elsewhere"}})  # not text: not ours
    check_block_urls("secret", {"url": "file:///etc/passwd"})  # not a sending block


def test_private_addresses_are_allowed_unless_the_block_or_the_server_says_no() -> None:
    assert not refuses_private_addresses({}, server_wide=False)
    assert not refuses_private_addresses({"allow_private_urls": True}, server_wide=False)
    assert refuses_private_addresses({"allow_private_urls": False}, server_wide=False)
    assert refuses_private_addresses({"allow_private_urls": True}, server_wide=True)

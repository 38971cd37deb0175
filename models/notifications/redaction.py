"""Keeping secrets out of what we record: attempt excerpts, errors and log lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus

from models.blocks.secrets import OBFUSCATED

#: Characters of the receiver's answer kept with an attempt.
EXCERPT_CHARS: Final = 500


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (as is, or URL-encoded) replaced by stars."""
    forms = {
        form
        for secret in secrets
        if secret
        for form in (secret, quote(secret, safe=""), quote_plus(secret))
    }
    for form in sorted(forms, key=len, reverse=True):  # longest first: no partial leftovers
        text = text.replace(form, OBFUSCATED)
    return text


def excerpt(text: str, secrets: Iterable[str], limit: int = EXCERPT_CHARS) -> str | None:
    """The start of a receiver's answer, secrets removed before it is cut; None when empty."""
    if not text:
        return None
    return redact(text, secrets)[:limit]

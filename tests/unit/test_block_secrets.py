"""Secret fields: starred on the way out, kept when the stars come back, listed for redaction."""

from __future__ import annotations

from models.blocks.secrets import (
    OBFUSCATED,
    keep_unchanged_secrets,
    obfuscate_secrets,
    secret_values,
)

DATA = {
    "url": "https://hooks.slack.com/services/T/B/secret",
    "secrets": {"tok": "s3cr3t", "other": "x"},
    "value": {"username": "johndoe", "password": "hunter2"},
    "name": "ops",
    "token": None,
}
FIELDS = ["url", "secrets.*", "value", "token"]


def test_secrets_read_as_stars_and_other_fields_as_they_are() -> None:
    shown = obfuscate_secrets(DATA, FIELDS)
    assert shown["url"] == OBFUSCATED
    assert shown["secrets"] == {"tok": OBFUSCATED, "other": OBFUSCATED}
    assert shown["value"] == OBFUSCATED  # a JSON secret is starred whole
    assert shown["name"] == "ops"
    assert shown["token"] is None  # nothing to hide
    assert DATA["url"].endswith("secret")  # the original is untouched


def test_stars_sent_back_keep_the_stored_secret_and_new_values_replace_it() -> None:
    update = {"url": OBFUSCATED, "secrets": {"tok": OBFUSCATED, "other": "new"}, "name": "x"}
    kept = keep_unchanged_secrets(update, DATA, FIELDS)
    assert kept["url"] == DATA["url"]
    assert kept["secrets"] == {"tok": "s3cr3t", "other": "new"}
    assert kept["name"] == "x"


def test_every_secret_text_is_listed_nested_ones_included() -> None:
    assert sorted(secret_values(DATA, FIELDS)) == sorted(
        [DATA["url"], "s3cr3t", "x", "johndoe", "hunter2"]
    )

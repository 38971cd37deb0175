"""Block schema checksums are the Prefect client's own, byte for byte."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from models.blocks.checksums import block_schema_checksum
from models.blocks.prefect_catalog import prefect_catalog
from models.blocks.registration import catalog_block_schemas
from models.notifications.block_types import SIGNED_WEBHOOK_VERSION

#: What Prefect 3.9.1's `Block._calculate_schema_checksum` gives for its notification blocks.
PREFECT_CHECKSUMS = {
    "slack-webhook": "sha256:415bae7e5906d98e387f8848ccdfd3f3b9cdf01624f08ca228709e1193ac005f",
    "discord-webhook": "sha256:b3ea94c0ce1573b22c0e7bf2457f5f52a210327e0f7be05c74970a246304b1e2",
    "mattermost-webhook": "sha256:34daad1160b59fb6d5c8fc59d09abb2cbf9c2283b7b9f6a76cbaad827002d14c",
    "ms-teams-webhook": "sha256:213ff858fcad8ecddb90a120636c5461fc8ad6fb2877188c9e79f07e6c390c7c",
    "opsgenie-webhook": "sha256:c9d307a75b69d82460134069d071804fefde0ec2c2b9aed67c90201fee041755",
    "pager-duty-webhook": "sha256:78ccfd9313655493e834f59f515865f3160bd395b6003d6e664fefd1a6f49c86",
    "sendgrid-email": "sha256:b67583d3b7ce215cd84a58ba42bb8936294cc1417ff3fe54d0fb08447932c6f2",
    "twilio-sms": "sha256:2ab73fedd20ff1c25ffcc47f5b4a7a86c70c307321af1262f9d03defba5c8cc6",
    "custom-webhook": "sha256:69076241f2b9959ae97554957a22ec428886b46f6ed4732af160e117d487c0cf",
}

#: sha256 of all nine block types (sorted-key JSON) as copied from Prefect 3.9.1: any edit to
#: the data file, even to a description or a logo URL the checksums do not cover, shows here.
PREFECT_BLOCK_TYPES_SHA256 = "d5b76cc4935fc6810daa50065ee5013cf8e6ecb5cd0a178bf2b421c825c397c2"


def prefect_notification_block_types() -> list[dict[str, Any]]:
    """The nine notification types of the catalog, each with its one Prefect schema, in the
    order of PREFECT_CHECKSUMS and the shape their data had when they were pinned."""
    catalog = prefect_catalog()
    types = {entry.slug: entry for entry in catalog.block_types}
    schemas = {entry.block_type_slug: entry for entry in catalog.block_schemas}
    return [
        {
            **types[slug].model_dump(exclude={"is_protected"}),
            "capabilities": schemas[slug].capabilities,
            "version": schemas[slug].version,
            "fields": schemas[slug].fields,
        }
        for slug in PREFECT_CHECKSUMS
    ]


#: The fields the client posted for its own `MyConfig` block, and the checksum the reference
#: server computed (traces/f_blocks.jsonl).
MY_CONFIG_FIELDS = {
    "block_schema_references": {},
    "block_type_slug": "my-config",
    "description": "custom json-ish block",
    "properties": {
        "value": {"title": "Value", "type": "object", "position": 0},
        "token": {
            "anyOf": [
                {"format": "password", "type": "string", "writeOnly": True},
                {"type": "null"},
            ],
            "default": None,
            "title": "Token",
            "position": 1,
        },
    },
    "required": ["value"],
    "secret_fields": ["token"],
    "title": "MyConfig",
    "type": "object",
}


def test_the_checksum_of_a_client_block_is_the_reference_servers() -> None:
    assert block_schema_checksum(MY_CONFIG_FIELDS) == (
        "sha256:ab3f477577a7140f8ee7dd8d2da25664220baf06cacd2c76b8b5d8c79bb84eb9"
    )


def test_secret_fields_do_not_change_the_checksum() -> None:
    without = {key: value for key, value in MY_CONFIG_FIELDS.items() if key != "secret_fields"}
    assert block_schema_checksum(without) == block_schema_checksum(MY_CONFIG_FIELDS)


def test_every_notification_block_type_has_prefects_checksum() -> None:
    for entry in prefect_notification_block_types():
        assert block_schema_checksum(entry["fields"]) == PREFECT_CHECKSUMS[entry["slug"]]


def test_the_block_catalog_holds_prefects_nine_notification_types_unchanged() -> None:
    data = json.dumps(prefect_notification_block_types(), sort_keys=True)
    assert hashlib.sha256(data.encode()).hexdigest() == PREFECT_BLOCK_TYPES_SHA256


def test_the_signed_webhook_schema_adds_a_secret_and_has_its_own_version() -> None:
    webhooks = [
        entry for entry in catalog_block_schemas() if entry.block_type_slug == "custom-webhook"
    ]
    assert [webhook.version for webhook in webhooks] == ["3.9.1", SIGNED_WEBHOOK_VERSION]
    prefects, signed = webhooks
    assert "signing_secret" in signed.fields["secret_fields"]
    assert "signing_secret" not in prefects.fields["properties"]
    assert prefects.checksum == PREFECT_CHECKSUMS["custom-webhook"]
    assert block_schema_checksum(signed.fields) == signed.checksum
    assert signed.checksum != PREFECT_CHECKSUMS["custom-webhook"]


def test_definitions_of_blocks_are_left_out_and_others_kept() -> None:
    fields = copy.deepcopy(MY_CONFIG_FIELDS)
    fields["properties"]["inner"] = {"$ref": "#/definitions/Inner"}
    fields["properties"]["child"] = {"$ref": "#/definitions/ChildBlock"}
    fields["definitions"] = {
        "Inner": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "ChildBlock": {"type": "object", "block_type_slug": "child"},
    }
    only_inner = copy.deepcopy(fields)
    only_inner["definitions"] = {"Inner": fields["definitions"]["Inner"]}
    assert block_schema_checksum(fields) == block_schema_checksum(only_inner)

    blocks_only = copy.deepcopy(fields)
    del blocks_only["properties"]["inner"]
    no_definitions = copy.deepcopy(blocks_only)
    del no_definitions["definitions"]
    assert block_schema_checksum(blocks_only) == block_schema_checksum(no_definitions)

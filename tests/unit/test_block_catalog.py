"""The block catalog's data: Prefect 3.9.1's 54 block types and 64 schemas, plus our one."""

from __future__ import annotations

from collections import Counter

from models.blocks.checksums import block_schema_checksum
from models.blocks.prefect_catalog import prefect_catalog
from models.blocks.registration import (
    block_schema_id,
    block_type_id,
    catalog_block_schemas,
    catalog_block_types,
)
from models.notifications.block_types import SIGNED_WEBHOOK_VERSION

#: What Prefect 3.9.1's server registers for its own classes: the protected three, the other
#: blocks of the `prefect` package, with their capabilities.
PREFECT_PACKAGE_SCHEMAS = {
    "webhook": [],
    "secret": [],
    "local-file-system": ["get-directory", "read-path", "put-directory", "write-path"],
    "remote-file-system": ["get-directory", "read-path", "put-directory", "write-path"],
    "smb": ["get-directory", "read-path", "put-directory", "write-path"],
    "slack-webhook": ["notify"],
    "ms-teams-webhook": ["notify"],
    "pager-duty-webhook": ["notify"],
    "twilio-sms": ["notify"],
    "opsgenie-webhook": ["notify"],
    "mattermost-webhook": ["notify"],
    "discord-webhook": ["notify"],
    "custom-webhook": ["notify"],
    "sendgrid-email": ["notify"],
}

#: The types the reference server registers with more than one schema, and how many.
SEVERAL_SCHEMAS = {
    "snowflake-credentials": 3,
    "snowflake-connector": 3,
    "azure-blob-storage-credentials": 2,
    "database-credentials": 2,
    "gcp-credentials": 2,
    "sqlalchemy-connector": 2,
    "dbt-cli-snowflake-target-configs": 2,
    "dbt-cli-target-configs": 2,
}


def test_the_catalog_holds_54_types_and_64_schemas_each_of_a_known_type() -> None:
    catalog = prefect_catalog()
    slugs = [entry.slug for entry in catalog.block_types]
    names = [entry.name for entry in catalog.block_types]
    assert len(slugs) == len(set(slugs)) == 54
    assert len(names) == len(set(names)) == 54
    per_type = Counter(schema.block_type_slug for schema in catalog.block_schemas)
    assert sum(per_type.values()) == 64
    assert set(per_type) == set(slugs)  # every type has a schema, every schema a type
    assert {slug: n for slug, n in per_type.items() if n > 1} == SEVERAL_SCHEMAS
    keys = [(schema.checksum, schema.version) for schema in catalog.block_schemas]
    assert len(set(keys)) == 64  # the table's unique key


def test_only_secret_webhook_and_local_file_system_are_protected() -> None:
    protected = {entry.slug for entry in catalog_block_types() if entry.is_protected}
    assert protected == {"secret", "webhook", "local-file-system"}


def test_every_schemas_checksum_is_what_the_client_computes_from_its_fields() -> None:
    for schema in catalog_block_schemas():
        assert block_schema_checksum(schema.fields) == schema.checksum, schema.block_type_slug


def test_the_prefect_packages_own_blocks_are_version_3_9_1_with_their_capabilities() -> None:
    own = {
        schema.block_type_slug: schema.capabilities
        for schema in prefect_catalog().block_schemas
        if schema.version == "3.9.1"
    }
    assert own == PREFECT_PACKAGE_SCHEMAS
    collections = [
        schema
        for schema in prefect_catalog().block_schemas
        if schema.block_type_slug not in PREFECT_PACKAGE_SCHEMAS
    ]
    # A collection's schemas carry its version, or none when registered as a nested block.
    assert {schema.version for schema in collections} >= {"0.4.14", "0.5.8", "non-versioned"}
    assert all(schema.version != "3.9.1" for schema in collections)
    buckets = {
        schema.block_type_slug: schema.capabilities for schema in collections if schema.capabilities
    }
    storage = ["get-directory", "put-directory", "read-path", "write-path"]
    repository = ["get-directory"]
    assert buckets == {
        "s3-bucket": storage,
        "gcs-bucket": storage,
        "azure-blob-storage-container": storage,
        "github-repository": repository,
        "gitlab-repository": repository,
        "bitbucket-repository": repository,
    }


def test_signalboxs_signed_webhook_is_registered_right_after_prefects_version() -> None:
    schemas = catalog_block_schemas()
    assert len(schemas) == 65
    versions = [(schema.block_type_slug, schema.version) for schema in schemas]
    prefects = versions.index(("custom-webhook", "3.9.1"))
    assert versions[prefects + 1] == ("custom-webhook", SIGNED_WEBHOOK_VERSION)


def test_ids_are_derived_from_the_catalog_and_never_collide() -> None:
    assert block_type_id("secret") == block_type_id("secret") != block_type_id("webhook")
    ids = {block_schema_id(schema.checksum, schema.version) for schema in catalog_block_schemas()}
    assert len(ids) == 65

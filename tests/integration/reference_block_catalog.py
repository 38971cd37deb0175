"""What Prefect 3.9.1's server answers about its block catalog on a fresh database.

Recorded from its `POST /api/block_types/filter` and `POST /api/block_schemas/filter` (limit
200); `tests/compat/test_block_catalog_client.py` checks them against a live reference server
when SIGNALBOX_TEST_REFERENCE_PREFECT=1.
"""

from __future__ import annotations

from typing import Final

#: The block types, in the order of the answer (by name): slug and whether it is protected.
REFERENCE_BLOCK_TYPES: Final[tuple[tuple[str, bool], ...]] = (
    ("aws-credentials", False),
    ("aws-secret", False),
    ("azure-blob-storage-container", False),
    ("azure-blob-storage-credentials", False),
    ("azure-container-instance-credentials", False),
    ("azure-cosmos-db-credentials", False),
    ("azureml-credentials", False),
    ("bigquery-warehouse", False),
    ("bitbucket-credentials", False),
    ("bitbucket-repository", False),
    ("custom-webhook", False),
    ("database-credentials", False),
    ("databricks-credentials", False),
    ("discord-webhook", False),
    ("docker-host", False),
    ("docker-registry-credentials", False),
    ("email-server-credentials", False),
    ("gcp-credentials", False),
    ("gcs-bucket", False),
    ("gcpsecret", False),
    ("github-credentials", False),
    ("github-repository", False),
    ("gitlab-credentials", False),
    ("gitlab-repository", False),
    ("kubernetes-cluster-config", False),
    ("kubernetes-credentials", False),
    ("lambda-function", False),
    ("local-file-system", True),
    ("mattermost-webhook", False),
    ("ms-teams-webhook", False),
    ("minio-credentials", False),
    ("opsgenie-webhook", False),
    ("pager-duty-webhook", False),
    ("remote-file-system", False),
    ("s3-bucket", False),
    ("smb", False),
    ("sqlalchemy-connector", False),
    ("secret", True),
    ("sendgrid-email", False),
    ("shell-operation", False),
    ("slack-credentials", False),
    ("slack-webhook", False),
    ("snowflake-connector", False),
    ("snowflake-credentials", False),
    ("twilio-sms", False),
    ("webhook", True),
    ("dbt-cli-bigquery-target-configs", False),
    ("dbt-cli-global-configs", False),
    ("dbt-cli-postgres-target-configs", False),
    ("dbt-cli-profile", False),
    ("dbt-cli-snowflake-target-configs", False),
    ("dbt-cli-target-configs", False),
    ("dbt-cloud-credentials", False),
    ("dbt-core-operation", False),
)

#: The block schemas, in the order of the answer (newest first): slug, version, checksum.
REFERENCE_BLOCK_SCHEMAS: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "sqlalchemy-connector",
        "0.4.0",
        "sha256:01e6c0bdaac125860811b201f5a5e98ffefd5f8a49f1398b6996aec362643acc",
    ),
    (
        "database-credentials",
        "0.4.0",
        "sha256:76d1ccbf0ab2038fea77e9689b91a7c8b6398e080e95d9303f65a93a4c03162e",
    ),
    (
        "snowflake-credentials",
        "0.27.3",
        "sha256:b24edfb413527c951cb2a8b4b4c16aec096523f871d941889e29ac2e6e92e036",
    ),
    (
        "snowflake-connector",
        "0.27.3",
        "sha256:dd0d36d69bbe0d44870fd754f3c00754e37e3f52209590083eaee4c585ce0bd0",
    ),
    (
        "slack-credentials",
        "0.2.2",
        "sha256:f79058d8fcf22ed575f824b27daa68a52fedaa0e40f7a8a542d4ac9cf3ee8317",
    ),
    (
        "shell-operation",
        "0.2.2",
        "sha256:9525e2fd40af302916ff7a4c33ec9c0e20d8970b09243ca010d729fac144811d",
    ),
    (
        "kubernetes-credentials",
        "0.3.7",
        "sha256:957fa8dca90bd1b5fb9c575ee09e80b454116c0b134287fbc2eff47a72564c3b",
    ),
    (
        "kubernetes-cluster-config",
        "0.4.0",
        "sha256:90d421e948bfbe4cdc98b124995f0edd0f84b0837549ad1390423bad8e31cf3b",
    ),
    (
        "gitlab-repository",
        "0.2.2",
        "sha256:ac874a97e2ff2403a4b63181b6ae85dd51b4a0df0337d290d922627f5123af44",
    ),
    (
        "gitlab-credentials",
        "0.2.2",
        "sha256:7d8d6317127bc66afe9e97ae5658ee8e1decdc598350eb292fb62be379f0246c",
    ),
    (
        "github-repository",
        "0.2.2",
        "sha256:3d2b2de1cd9336264ccc73f7078264d9053dc956941136516e18050c9953abf0",
    ),
    (
        "github-credentials",
        "0.2.2",
        "sha256:74a34b668838ba661d9160ab127053dd44a22dd04e89562839645791e70d046a",
    ),
    (
        "gcs-bucket",
        "0.5.8",
        "sha256:6f44cdbd523fb8d4029fbc504a89095d67d27439aec09d2c1871b03a1f4e14e9",
    ),
    (
        "gcpsecret",
        "0.5.8",
        "sha256:0311dc4cd2480a4af70d3b30ecd14d296243e73e7245ba064b753e4c0b25acdf",
    ),
    (
        "gcp-credentials",
        "0.5.8",
        "sha256:f764f9c506a2bed9e5ed7cc9083d06d95f13c01c8c9a9e45bae5d9b4dc522624",
    ),
    (
        "bigquery-warehouse",
        "0.5.8",
        "sha256:e8495199f3b490e3b15ba1bc67a97cf04b23aa8a7cba67161291d7cbc882d025",
    ),
    (
        "email-server-credentials",
        "0.3.2",
        "sha256:56d6491f4b2d4aaae5ce604652416f44d0c8fa39ca68c5f747aee7cb518a41d0",
    ),
    (
        "docker-registry-credentials",
        "0.4.5",
        "sha256:d5cbcfdf092e1f904ea26c274fcd0f23d86ecbbd0afae0f254f575ac3e40915d",
    ),
    (
        "docker-host",
        "0.4.5",
        "sha256:bf0961e9f2d88fd81bca2c7b78c025bd289776ad84ae8ef22d8f3db8b9561478",
    ),
    (
        "dbt-core-operation",
        "0.4.1",
        "sha256:0f685bc693353f66d1fc83687c8af67511feba052b5343506033141c9a2441c7",
    ),
    (
        "dbt-cloud-credentials",
        "0.4.1",
        "sha256:0e1b2e94e09041e7d732822354503e87b99ddb31422d9d2c83c671be249aa231",
    ),
    (
        "dbt-cli-target-configs",
        "0.4.1",
        "sha256:85f7476977e725617af89930889b843147320b2df37df911e24806dd6dacc870",
    ),
    (
        "snowflake-credentials",
        "non-versioned",
        "sha256:b24edfb413527c951cb2a8b4b4c16aec096523f871d941889e29ac2e6e92e036",
    ),
    (
        "snowflake-connector",
        "non-versioned",
        "sha256:dd0d36d69bbe0d44870fd754f3c00754e37e3f52209590083eaee4c585ce0bd0",
    ),
    (
        "dbt-cli-snowflake-target-configs",
        "0.4.1",
        "sha256:1e5be296bb63d7e2b04f0e9b99543db12521af269399d10e2bc290da4244a575",
    ),
    (
        "dbt-cli-target-configs",
        "non-versioned",
        "sha256:d0c8411280a2529a973b70fb86142959008aad2fe3844c63ab03190e232f776a",
    ),
    (
        "snowflake-credentials",
        "non-versioned",
        "sha256:35bea1e0ca2277b003ca6d1c220e59ce9a58330934c051fe26a549c2fa380b1f",
    ),
    (
        "snowflake-connector",
        "non-versioned",
        "sha256:a8cba7cafe80dd13d0dc167f351c2dda8d17698b02c7a2f9e7e0fceb1da00994",
    ),
    (
        "dbt-cli-snowflake-target-configs",
        "non-versioned",
        "sha256:a70fca75226dc280c38ab0dda3679d3b0ffdee21af4463f3fb1ad6278405e370",
    ),
    (
        "dbt-cli-profile",
        "0.4.1",
        "sha256:f55b0f96cb9e1cf2f508bb882b25d9246b351be8b0ad18140a73281674a40d6d",
    ),
    (
        "database-credentials",
        "non-versioned",
        "sha256:64175f83f2ae15bef7893a4d9a02658f2b5288747d54594ca6d356dc42e9993c",
    ),
    (
        "sqlalchemy-connector",
        "non-versioned",
        "sha256:01e6c0bdaac125860811b201f5a5e98ffefd5f8a49f1398b6996aec362643acc",
    ),
    (
        "dbt-cli-postgres-target-configs",
        "0.4.1",
        "sha256:1552a2d5c102961df4082329f39c10b8a51e26ee687148efd6d71ce8be8850c0",
    ),
    (
        "dbt-cli-global-configs",
        "0.4.1",
        "sha256:63df9d18a1aafde1cc8330cd49f81f6600b4ce6db92955973bbf341cc86e916d",
    ),
    (
        "gcp-credentials",
        "non-versioned",
        "sha256:f764f9c506a2bed9e5ed7cc9083d06d95f13c01c8c9a9e45bae5d9b4dc522624",
    ),
    (
        "dbt-cli-bigquery-target-configs",
        "0.4.1",
        "sha256:842c5dc7d4d1557eedff36982eafeda7b0803915942f72224a7f627efdbe5ff5",
    ),
    (
        "databricks-credentials",
        "0.2.3",
        "sha256:58bae1446ee7a01ec90d15cf756f8acc221329e3b3580b077b508ff0f2425e35",
    ),
    (
        "bitbucket-repository",
        "0.2.2",
        "sha256:b159a8f21358b694f13fb67b73f20bf3f8b74138940fc0f16ab08107e78d5237",
    ),
    (
        "bitbucket-credentials",
        "0.2.2",
        "sha256:ef96bdc56cde651f152e3f8938018d53d725b25b5ae98777872c0962250ba0fc",
    ),
    (
        "azureml-credentials",
        "0.3.7",
        "sha256:11338ccb5cd90992ac378f9b7a73cbf1942fae58343ac2026b3718ed688b52e6",
    ),
    (
        "azure-cosmos-db-credentials",
        "0.3.7",
        "sha256:2f9f6e6f6c2eb570a05113638e6237fe74f7684993a351018657211d4705a83a",
    ),
    (
        "azure-container-instance-credentials",
        "0.3.7",
        "sha256:17a9122f9f345a4547128cc05f7ff7146da9a72c4bac2850004fcc6c8d9be2d1",
    ),
    (
        "azure-blob-storage-credentials",
        "0.3.7",
        "sha256:73e835b6cb9a1902fd869037fb7f8a90f974508dda7a168e748a1206e7c325eb",
    ),
    (
        "azure-blob-storage-credentials",
        "non-versioned",
        "sha256:73e835b6cb9a1902fd869037fb7f8a90f974508dda7a168e748a1206e7c325eb",
    ),
    (
        "azure-blob-storage-container",
        "0.3.7",
        "sha256:dcb604fba31292177868c0998110c7b4c0ba0b5601ee39679b2936adfd836f19",
    ),
    (
        "s3-bucket",
        "0.4.14",
        "sha256:da1e638612365b12ec83b6102986cc5efe54e84b7144bd668629f6972afe748f",
    ),
    (
        "minio-credentials",
        "0.4.14",
        "sha256:5b4f1e5270f3a3670ff3d06b7e6e8246d54dacba976321dec42abe51c33415fb",
    ),
    (
        "lambda-function",
        "0.4.14",
        "sha256:93fb424309b85c0ef9a8e69cc9d0df1e0afa0f2ed15f1ecc710ec3463513b2e4",
    ),
    (
        "aws-secret",
        "0.4.14",
        "sha256:d10fde5ac25b10edca4859c4d0bf61b4a9106215cd79ab80997f29859b190b7d",
    ),
    (
        "aws-credentials",
        "0.4.14",
        "sha256:17b73297ed60f080fb235b3a5a145a6d9b28a09b3ff2d9d17810b5e2c2075ebe",
    ),
    ("smb", "3.9.1", "sha256:849cd014b777a64ee219f6b8b13c15b37c34ea4138d9224c4d45bf00ba2e4681"),
    (
        "remote-file-system",
        "3.9.1",
        "sha256:3bca63009aa57af6c7053fc17a2a336a1e1801bbb19ca2c5939b59afe435c531",
    ),
    (
        "sendgrid-email",
        "3.9.1",
        "sha256:b67583d3b7ce215cd84a58ba42bb8936294cc1417ff3fe54d0fb08447932c6f2",
    ),
    (
        "custom-webhook",
        "3.9.1",
        "sha256:69076241f2b9959ae97554957a22ec428886b46f6ed4732af160e117d487c0cf",
    ),
    (
        "discord-webhook",
        "3.9.1",
        "sha256:b3ea94c0ce1573b22c0e7bf2457f5f52a210327e0f7be05c74970a246304b1e2",
    ),
    (
        "mattermost-webhook",
        "3.9.1",
        "sha256:34daad1160b59fb6d5c8fc59d09abb2cbf9c2283b7b9f6a76cbaad827002d14c",
    ),
    (
        "opsgenie-webhook",
        "3.9.1",
        "sha256:c9d307a75b69d82460134069d071804fefde0ec2c2b9aed67c90201fee041755",
    ),
    (
        "twilio-sms",
        "3.9.1",
        "sha256:2ab73fedd20ff1c25ffcc47f5b4a7a86c70c307321af1262f9d03defba5c8cc6",
    ),
    (
        "pager-duty-webhook",
        "3.9.1",
        "sha256:78ccfd9313655493e834f59f515865f3160bd395b6003d6e664fefd1a6f49c86",
    ),
    (
        "ms-teams-webhook",
        "3.9.1",
        "sha256:213ff858fcad8ecddb90a120636c5461fc8ad6fb2877188c9e79f07e6c390c7c",
    ),
    (
        "slack-webhook",
        "3.9.1",
        "sha256:415bae7e5906d98e387f8848ccdfd3f3b9cdf01624f08ca228709e1193ac005f",
    ),
    (
        "local-file-system",
        "3.9.1",
        "sha256:0fc8b7f936f38f465715ef2df4a817ac9fe38b80bb01d5c6c9649a6da6ae6971",
    ),
    ("secret", "3.9.1", "sha256:c078ed9c1e813e224c0b353d7ad4564a11d51d3198d9ac0686478165a1911c78"),
    ("webhook", "3.9.1", "sha256:58bb03f0d84592252ad568ed9a8c899792ae5d0ad2dd4a2428e99674f9050cf1"),
)

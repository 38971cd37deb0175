"""Matrix actions: variables, artifacts and blocks, from the SDK."""

import asyncio

from prefect import flow, task
from prefect.artifacts import (
    Artifact,
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.blocks.core import Block
from prefect.blocks.system import Secret
from prefect.variables import Variable
from pydantic import SecretStr
from recording import action, raised, run_actions
from running import ran


class MatrixSettings(Block):
    """A user's own block type, registered by saving it."""

    _block_type_name = "Matrix Settings"
    host: str
    port: int = 5432
    password: SecretStr | None = None


@action("variable-set-get")
def variable_set_get() -> object:
    Variable.set("mx_int", 42)
    return Variable.get("mx_int")


@action("variable-set-json")
def variable_set_json() -> object:
    Variable.set("mx_json", {"a": [1, 2], "b": {"c": None}})
    return Variable.get("mx_json")


@action("variable-set-refuses-existing")
def variable_set_refuses_existing() -> object:
    Variable.set("mx_once", "first")
    return raised(lambda: Variable.set("mx_once", "second"))


@action("variable-set-overwrite")
def variable_set_overwrite() -> object:
    Variable.set("mx_over", "first")
    Variable.set("mx_over", "second", overwrite=True)
    return Variable.get("mx_over")


@action("variable-get-default")
def variable_get_default() -> object:
    return Variable.get("mx_missing", default="fallback")


@action("variable-unset")
def variable_unset() -> object:
    Variable.set("mx_gone", 1)
    return {"unset": Variable.unset("mx_gone"), "after": Variable.get("mx_gone", default=None)}


@action("variable-tags")
def variable_tags() -> object:
    Variable.set("mx_tagged", "v", tags=["mx-t1", "mx-t2"])
    return Variable.get("mx_tagged")


@action("variable-async")
def variable_async() -> object:
    async def use() -> object:
        await Variable.aset("mx_async", [1, 2, 3])
        return await Variable.aget("mx_async")

    return asyncio.run(use())


@flow(name="mx-variable-in-flow")
def variable_in_flow() -> object:
    Variable.set("mx_in_flow", "inside")
    return Variable.get("mx_in_flow")


@action("variable-in-flow")
def variable_in_flow_action() -> object:
    return ran(variable_in_flow)


@task
def table_in_task() -> None:
    create_table_artifact([{"a": 1, "b": 2}, {"a": 3, "b": 4}], key="mx-table")


@flow(name="mx-artifacts")
def artifacts() -> None:
    create_markdown_artifact("# Report\n*fine*", key="mx-markdown", description="mx desc")
    create_link_artifact("https://example.invalid/mx", link_text="mx link", key="mx-link")
    table_in_task()
    progress = create_progress_artifact(10.0, key="mx-progress")
    update_progress_artifact(progress, 75.0)
    create_image_artifact("https://example.invalid/mx.png", key="mx-image")
    create_table_artifact({"col": [1, 2, 3]}, key="mx-columns")
    create_markdown_artifact("no key")


@action("artifacts-in-flow")
def artifacts_in_flow() -> object:
    return ran(artifacts)


@action("artifact-get-by-key")
def artifact_get() -> object:
    found = Artifact.get("mx-markdown")
    return None if found is None else {"type": found.type, "data": found.data}


@action("artifact-new-version")
def artifact_new_version() -> object:
    create_markdown_artifact("version 1", key="mx-versions")
    create_markdown_artifact("version 2", key="mx-versions")
    found = Artifact.get("mx-versions")
    return None if found is None else found.data


@action("artifact-get-missing")
def artifact_get_missing() -> object:
    return Artifact.get("mx-no-such-artifact")


@action("block-custom-save-load")
def block_custom_save_load() -> object:
    MatrixSettings(host="db.example", port=6543, password=SecretStr("s3cret")).save("mx-db")
    loaded = MatrixSettings.load("mx-db")
    secret = loaded.password.get_secret_value() if loaded.password else None
    return {"host": loaded.host, "port": loaded.port, "password": secret}


@action("block-save-refuses-existing")
def block_save_refuses_existing() -> object:
    MatrixSettings(host="a").save("mx-once")
    return raised(lambda: MatrixSettings(host="b").save("mx-once"))


@action("block-save-overwrite")
def block_save_overwrite() -> object:
    MatrixSettings(host="a").save("mx-over")
    MatrixSettings(host="b").save("mx-over", overwrite=True)
    return MatrixSettings.load("mx-over").host


@action("block-load-missing")
def block_load_missing() -> object:
    return raised(lambda: MatrixSettings.load("mx-no-such-block"))


@action("block-delete")
def block_delete() -> object:
    MatrixSettings(host="a").save("mx-deleted")
    MatrixSettings.delete("mx-deleted")
    return raised(lambda: MatrixSettings.load("mx-deleted"))


@action("block-secret")
def block_secret() -> object:
    Secret(value="hunter2").save("mx-secret")
    return Secret.load("mx-secret").get()


@action("block-load-by-slug")
def block_load_by_slug() -> object:
    return Block.load("matrix-settings/mx-db").host  # type: ignore[attr-defined]


if __name__ == "__main__":
    run_actions()

"""UI scenario for the blocks and variables pages: blocks with secrets, and variables.

Run by the Prefect virtualenv's python. Saves a Secret block, a block with a SecretStr field,
and a block that refers to it, and sets variables (one holding HTML). Prints `RESULT {json}`
with the block ids and the secret texts the tests search every page for.
"""

import json
from uuid import uuid4

from prefect.blocks.core import Block
from prefect.blocks.system import Secret
from prefect.variables import Variable
from pydantic import SecretStr

#: Secrets unique to this run: the tests search every page for them.
SECRET_VALUE = f"ui-blocks-secret-{uuid4().hex}"
PASSWORD = f"ui-blocks-password-{uuid4().hex}"


class UiBlocksCredentials(Block):
    """A login for the ui-blocks scenario."""

    _block_type_name = "UI Blocks Credentials"
    username: str
    password: SecretStr
    endpoint: str = "https://example.invalid/api"


class UiBlocksService(Block):
    """A service that logs in with stored credentials."""

    _block_type_name = "UI Blocks Service"
    label: str
    credentials: UiBlocksCredentials


def main() -> None:
    secret_id = Secret(value=SECRET_VALUE).save("ui-blocks-secret", overwrite=True)
    credentials = UiBlocksCredentials(username="ui-blocks-user", password=PASSWORD)
    credentials_id = credentials.save("ui-blocks-credentials", overwrite=True)
    service_id = UiBlocksService(label="ui-blocks", credentials=credentials).save(
        "ui-blocks-service", overwrite=True
    )
    answer = {"answer": 42, "html": "<b>not bold</b>"}
    Variable.set("ui_blocks_answer", answer, overwrite=True, tags=["ui-blocks"])
    Variable.set("ui_blocks_greeting", "hello", overwrite=True)
    result = {
        "secret_id": str(secret_id),
        "credentials_id": str(credentials_id),
        "service_id": str(service_id),
        "secrets": [SECRET_VALUE, PASSWORD],
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

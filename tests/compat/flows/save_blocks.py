"""Compat scenario: blocks saved, loaded and overwritten (scenario f), and a Slack webhook.

Run by the Prefect virtualenv's python (prefect and the stdlib only) with the Slack webhook
URL as its argument. Prints one last line `RESULT {json}` with what was loaded back.
"""

import json
import sys
from typing import Any

from prefect.blocks.core import Block
from prefect.blocks.notifications import SlackWebhook
from prefect.blocks.system import Secret
from pydantic import SecretStr


class MyConfig(Block):
    """custom json-ish block"""

    _block_type_name = "My Config"
    value: dict[str, Any]
    token: SecretStr | None = None


def main() -> None:
    """Save, load and overwrite each block, then print the RESULT line."""
    Secret(value="s3cr3t").save("mysecret", overwrite=True)
    MyConfig(value={"k": [1, 2]}, token="tok").save("myjson", overwrite=True)
    secret = Secret.load("mysecret").get()
    first = MyConfig.load("myjson")
    MyConfig(value={"k": 3}).save("myjson", overwrite=True)
    second = MyConfig.load("myjson")
    generic = Block.load("secret/mysecret").get()
    slack_id = SlackWebhook(url=sys.argv[1]).save("ops-slack", overwrite=True)
    slack = SlackWebhook.load("ops-slack")
    result = {
        "secret": secret,
        "first": {"value": first.value, "token": first.token.get_secret_value()},
        "second": {"value": second.value, "token": second.token},
        "generic": generic,
        "slack_id": str(slack_id),
        "slack_url": slack.url.get_secret_value(),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

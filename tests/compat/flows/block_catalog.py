"""Compat scenario: the `prefect` package's own blocks saved and loaded from the catalog.

Run by the Prefect virtualenv's python (prefect and the stdlib only) with a folder for the
local file system as its argument. Prints one last line `RESULT {json}` with the saved
documents' ids and what was loaded back.
"""

import json
import sys
from pathlib import Path

from prefect.blocks.system import Secret
from prefect.blocks.webhook import Webhook
from prefect.filesystems import LocalFileSystem


def main() -> None:
    """Save a Secret, a LocalFileSystem and a Webhook, load each back, print the RESULT line."""
    folder = Path(sys.argv[1])
    secret_id = Secret(value="x").save("name")
    storage_id = LocalFileSystem(basepath=str(folder)).save("scratch")
    webhook_id = Webhook(url="http://127.0.0.1:9/hook").save("hook")
    storage = LocalFileSystem.load("scratch")
    storage.write_path("greeting.txt", b"hello")
    result = {
        "ids": {
            "secret": str(secret_id),
            "local-file-system": str(storage_id),
            "webhook": str(webhook_id),
        },
        "secret": Secret.load("name").get(),
        "basepath": storage.basepath,
        "read_back": storage.read_path("greeting.txt").decode(),
        "webhook_url": Webhook.load("hook").url.get_secret_value(),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

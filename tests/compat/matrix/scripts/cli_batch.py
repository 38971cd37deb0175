"""Runs the matrix's CLI rows, in order, with the Prefect CLI invoked in this one process.

Usage: cli_batch.py ROWS.json. Each row is {"name", "argv", "setup", "stdin"}: its setup
commands run first, then its command, through the CLI's own in-process runner (the CLI
imports once, not once per command). Before the rows, a few runs are made for them to name:
`{flow_run_id}` and the others below fill the placeholders of each command line.
Prints `RESULT {row name: {"exit_code", "output", and the placeholders}}`.
"""

import asyncio
import importlib.util
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.states import Scheduled
from prefect.testing.cli import CycloptsCliRunner
from prefect.types._datetime import now

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@task(tags=["mx-cli-task"])
def cli_task() -> int:
    get_run_logger().info("mx cli task log")
    return 1


@flow(name="mx-cli-flow")
def cli_flow() -> int:
    get_run_logger().info("mx cli flow log")
    create_markdown_artifact("cli artifact", key="mx-cli-artifact")
    return cli_task()


@flow(name="mx-cli-scheduled")
def cli_scheduled() -> None:
    pass


BLOCKS_FILE = """
from prefect.blocks.core import Block


class MxCliBlock(Block):
    _block_type_name = "mx-cli-block"
    _block_type_slug = "mx-cli-block"
    url: str = "https://example.invalid"
"""


def save_block(folder: Path) -> str:
    """Write the file `block register` reads, and save one document of its block type."""
    path = folder / "mx_cli_blocks.py"
    path.write_text(BLOCKS_FILE)
    spec = importlib.util.spec_from_file_location("mx_cli_blocks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mx_cli_blocks"] = module
    spec.loader.exec_module(module)
    module.MxCliBlock().save("mx-cli-doc", overwrite=True)
    return str(path)


def placeholders() -> dict[str, str]:
    """What the commands can name: a finished flow run and its task run, scheduled runs."""
    state = cli_flow(return_state=True)
    flow_run_id = str(state.state_details.flow_run_id)

    of_flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))

    async def read() -> dict[str, str]:
        async with get_client() as client:
            task_runs: list[Any] = []
            while not task_runs:  # they reach the server after the flow run ends
                task_runs = await client.read_task_runs(flow_run_filter=of_flow_run)
                await asyncio.sleep(0.2)  # polling interval; the test's timeout bounds it
            # The log rows read both lines back: wait until the server has stored them.
            wanted = {"mx cli flow log", "mx cli task log"}
            of_logs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            while not wanted <= {log.message for log in await client.read_logs(of_logs)}:
                await asyncio.sleep(0.2)  # polling interval; the test's timeout bounds it
            later = Scheduled(scheduled_time=now("UTC") + timedelta(hours=1))
            scheduled = await client.create_flow_run(cli_scheduled, state=later)
            doomed = await client.create_flow_run(cli_scheduled, state=later)
            return {
                "flow_run_id": flow_run_id,
                "task_run_id": str(task_runs[0].id),
                "scheduled_run_id": str(scheduled.id),
                "doomed_run_id": str(doomed.id),
            }

    return {**asyncio.run(read()), "blocks_file": save_block(Path.cwd())}


def filled(command: list[str], names: dict[str, str]) -> list[str]:
    """`command` with each `{name}` replaced (JSON arguments keep their own braces)."""
    for name, value in names.items():
        command = [part.replace("{" + name + "}", value) for part in command]
    return command


def main() -> None:
    rows = json.loads(Path(sys.argv[1]).read_text())
    names = placeholders()
    runner = CycloptsCliRunner()
    results = {}
    for row in rows:
        for command in row["setup"]:
            runner.invoke(filled(command, names))
        done = runner.invoke(filled(row["argv"], names), input=row["stdin"])
        output = ANSI.sub("", done.output)
        results[row["name"]] = {"exit_code": done.exit_code, "output": output, **names}
        print(f"ACTION {row['name']} {json.dumps(results[row['name']])}", flush=True)
    print("RESULT " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()

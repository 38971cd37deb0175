"""The compatibility matrix: every row pytest runs, and the rows still waiting for a feature.

ACTIONS are collected by tests/compat/test_matrix.py and counted, by area, in the README's
table. PENDING_ACTIONS have the same format and a `pending` reason; each is switched on by
moving it to ACTIONS once what it needs has landed.
"""

from __future__ import annotations

from typing import Final

from tests.compat.matrix.cli_actions import CLI_ACTIONS, FLOW_RUN, TASK_RUN
from tests.compat.matrix.reads import flow_run, logs
from tests.compat.matrix.rows import Action, Read, cli, ok, refused, sdk, some
from tests.compat.matrix.sdk_actions import SDK_ACTIONS

# fmt: off
#: Rows that waited for a feature (filter fields, the root routes, pause and resume, the block
#: catalog, finished runs refusing cancellation); they run after the others, as they always did.
SWITCHED_ON: Final[list[Action]] = [
    sdk("client_reads", "client reads", "read-task-runs-by-tag", 1),
    sdk("client_reads", "client reads", "read-logs-of-flow-run", True),
    sdk("client_reads", "client reads", "client-hello", {"status_code": 200}),
    sdk("client_reads", "client reads", "client-api-version", {"version": "3.9.1"}),
    sdk("pausing", "pause/resume/input", "pause-then-resume", {"state_type": "COMPLETED"},
        flow_run(state_type="COMPLETED")),
    sdk("pausing", "pause/resume/input", "pause-with-input", {"value": "typed"},
        flow_run(state_type="COMPLETED")),
    sdk("pausing", "pause/resume/input", "send-and-receive-input", {"value": [1, 2]}),
    # A finished run refuses cancellation: the CLI prints the server's reason and exits 1.
    cli(FLOW_RUN, "cli-flow-run-cancel-finished", ["flow-run", "cancel", "{flow_run_id}"],
        refused("Run is already in terminal state COMPLETED"),
        Read("/flow_runs/{flow_run_id}", {"state_type": "COMPLETED"})),
    cli(FLOW_RUN, "cli-flow-run-logs", ["flow-run", "logs", "{flow_run_id}"],
        ok("mx cli flow log", "mx cli task log")),
    cli(FLOW_RUN, "cli-flow-run-logs-head", ["flow-run", "logs", "{flow_run_id}", "--head"],
        ok("mx cli flow log")),
    cli(FLOW_RUN, "cli-flow-run-logs-tail",
        ["flow-run", "logs", "{flow_run_id}", "--tail", "--num-logs", "2"], ok()),
    cli(TASK_RUN, "cli-task-run-ls", ["task-run", "ls"], ok("cli_task")),
    cli(TASK_RUN, "cli-task-run-logs", ["task-run", "logs", "{task_run_id}"],
        ok("mx cli task log"), logs(some({"message": "mx cli task log"}))),
    cli("cli block", "cli-block-type-ls-catalog", ["block", "type", "ls"],
        ok("secret", "local-file-system")),
]

PENDING_ACTIONS: Final[list[Action]] = []
# fmt: on


#: Every row pytest runs: the SDK rows, then the CLI rows (one batch, in order).
ACTIONS: Final[list[Action]] = [*SDK_ACTIONS, *CLI_ACTIONS, *SWITCHED_ON]

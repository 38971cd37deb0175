"""Compat flows that deployments run: served, or loaded by entrypoint from a project folder.

Each writes lines to a marker file the test reads afterwards: `append_run_id` one line with
its flow run id (so a run that executes twice shows twice), `sleep_then_mark` a line when it
starts and one when it finishes (so a cancelled run shows only the first).
"""

import os
import time

from prefect import flow, runtime


def write_line(marker: str, line: str) -> None:
    """Append one line to the marker file."""
    with open(marker, "a") as lines:
        lines.write(line + "\n")


@flow(name="compat-append-run-id")
def append_run_id(marker: str, label: str = "", seconds: float = 0) -> str:
    """Wait `seconds`, append `<flow run id> <label>` to the marker file, return the label.

    When the run's environment has COMPAT_ORIGIN (a job variable of its deployment), the
    line ends with ` <its value>`.
    """
    time.sleep(seconds)
    origin = os.environ.get("COMPAT_ORIGIN")
    write_line(marker, f"{runtime.flow_run.id} {label}" + (f" {origin}" if origin else ""))
    return label


@flow(name="compat-sleep-then-mark")
def sleep_then_mark(marker: str, seconds: float = 120) -> None:
    """Mark the start, sleep, mark the end: a run cancelled meanwhile never marks its end."""
    write_line(marker, f"started {runtime.flow_run.id}")
    time.sleep(seconds)
    write_line(marker, f"finished {runtime.flow_run.id}")

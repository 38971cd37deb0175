"""The `signalbox` command: a thin shell of nouns and verbs over the lower layers."""

from __future__ import annotations

import importlib
from typing import Any

import click
from pydantic import ValidationError

#: Each command group and the module that holds it, imported only when the group is used:
#: `signalbox worker` needs every actor, `signalbox server start` none of them.
COMMANDS = {
    "api-key": "cli.api_keys",
    "config": "cli.config",
    "database": "cli.database",
    "notifications": "cli.notifications",
    "queue": "cli.queue",
    "server": "cli.server",
    "worker": "cli.worker",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they run (or when --help lists them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = getattr(importlib.import_module(COMMANDS[cmd_name]), cmd_name.replace("-", "_"))
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as failure:
            if failure.title != "Settings":
                raise
            raise click.ClickException(describe_bad_settings(failure)) from None


def describe_bad_settings(failure: ValidationError) -> str:
    """One line naming each SIGNALBOX_* variable pydantic refused, and why (never the value:
    it may be a password or a URL holding one)."""
    problems = [
        f"SIGNALBOX_{str(error['loc'][0]).upper() if error['loc'] else '?'}: {error['msg']}"
        for error in failure.errors(include_url=False)
    ]
    return f"Bad setting: {'; '.join(problems)}."


@click.group(cls=LazyGroup)
@click.version_option(
    package_name="signalbox", prog_name="signalbox", message="%(prog)s %(version)s"
)
def signalbox() -> None:
    """Signalbox: a self-hosted workflow-orchestration server that speaks Prefect's API."""

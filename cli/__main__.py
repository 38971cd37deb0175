"""`python -m cli`: the same as the `signalbox` command."""

from cli.main import signalbox

signalbox()

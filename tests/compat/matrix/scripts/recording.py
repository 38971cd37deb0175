"""Runs a matrix script's actions in order and prints what the client saw of each.

Imported by the scripts beside it, in the Prefect virtualenv. Each action is a function
returning JSON-able data; one that raises is recorded as {"raised": "<ExceptionClass>"}, so one
broken action never hides the others. The last line is `RESULT {action name: seen}`.
"""

import json
from collections.abc import Callable
from typing import Any

_ACTIONS: list[tuple[str, Callable[[], Any]]] = []


def action(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register the decorated function as the matrix action `name`."""

    def register(function: Callable[[], Any]) -> Callable[[], Any]:
        _ACTIONS.append((name, function))
        return function

    return register


def raised(function: Callable[[], Any]) -> str | None:
    """The class name of what `function` raised, or None when it returned."""
    try:
        function()
    except Exception as exc:
        return type(exc).__name__
    return None


def run_actions() -> None:
    """Run every registered action and print one line per action, then the RESULT line."""
    results: dict[str, Any] = {}
    for name, function in _ACTIONS:
        try:
            seen = function()
        except Exception as exc:
            seen = {"raised": type(exc).__name__, "message": str(exc)[:500]}
        results[name] = seen
        print(f"ACTION {name} {json.dumps(seen, default=str)}", flush=True)
    print("RESULT " + json.dumps(results, default=str), flush=True)

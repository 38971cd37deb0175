"""One row of the compatibility matrix: a user action, how it runs, and what must follow.

A row runs either inside an SDK script (many actions per process, since importing the client
costs about two seconds) or as a CLI command in the batch that runs every CLI row in one
process. What the client saw is matched against `sees`; then each `Read` is sent to the
server until its answer matches, as Prefect's own server answers it.

Expectations are partial: a dict names only the keys that matter, a list must match element
by element, and a `Matcher` says something looser (a length, a substring, any order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

#: How a row runs: `SDK_PREFIX + <script stem>`, or CLI.
SDK_PREFIX: Final = "sdk:"
CLI: Final = "cli"


class Matcher:
    """A looser expectation than equality; `describe` is what a failure prints."""

    def __init__(self, test: Callable[[Any], bool], description: str) -> None:
        self.test = test
        self.description = description

    def __repr__(self) -> str:
        return self.description


def matches(observed: Any, expected: Any) -> bool:
    """Whether `observed` meets `expected` (dict keys: a subset; lists: element by element)."""
    if isinstance(expected, Matcher):
        return expected.test(observed)
    if isinstance(expected, Mapping):
        return isinstance(observed, Mapping) and all(
            key in observed and matches(observed[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list | tuple):
        return (
            isinstance(observed, list | tuple)
            and len(observed) == len(expected)
            and all(matches(seen, wanted) for seen, wanted in zip(observed, expected, strict=True))
        )
    return bool(observed == expected)


def length(count: int) -> Matcher:
    """A list (or string) of exactly `count` items."""
    return Matcher(lambda seen: hasattr(seen, "__len__") and len(seen) == count, f"length {count}")


def containing(*fragments: str) -> Matcher:
    """A string holding every fragment."""
    return Matcher(
        lambda seen: isinstance(seen, str) and all(part in seen for part in fragments),
        f"a string containing {list(fragments)}",
    )


def lacking(*fragments: str) -> Matcher:
    """A string holding none of the fragments."""
    return Matcher(
        lambda seen: isinstance(seen, str) and not any(part in seen for part in fragments),
        f"a string without {list(fragments)}",
    )


def each(expected: Any, *, at_least: int = 1) -> Matcher:
    """A list of at least `at_least` items, every one matching `expected`."""
    return Matcher(
        lambda seen: (
            isinstance(seen, list)
            and len(seen) >= at_least
            and all(matches(item, expected) for item in seen)
        ),
        f"at least {at_least} items, each matching {expected!r}",
    )


def some(expected: Any) -> Matcher:
    """A list with at least one item matching `expected`."""
    return Matcher(
        lambda seen: isinstance(seen, list) and any(matches(item, expected) for item in seen),
        f"a list with an item matching {expected!r}",
    )


def unordered(*expected: Any) -> Matcher:
    """A list of plain values equal to `expected` in any order."""
    wanted = sorted(map(repr, expected))
    return Matcher(
        lambda seen: isinstance(seen, list) and sorted(map(repr, seen)) == wanted,
        f"in any order: {list(expected)}",
    )


def plucked(key: str, expected: Any) -> Matcher:
    """A list of objects whose `key` values, in order, match `expected`."""
    return Matcher(
        lambda seen: (
            isinstance(seen, list)
            and all(isinstance(item, Mapping) for item in seen)
            and matches([item.get(key) for item in seen], expected)
        ),
        f"items whose {key!r} values match {expected!r}",
    )


def nothing() -> Matcher:
    """None itself (an expectation of None means "not checked")."""
    return Matcher(lambda seen: seen is None, "None")


def present() -> Matcher:
    """Any value but None."""
    return Matcher(lambda seen: seen is not None, "not None")


@dataclass(frozen=True)
class Read:
    """One request to the server after the action, and the answer it must give.

    `path` and string values in `body` are templates filled from what the client saw
    (`{flow_run_id}`), so a read can name the objects the action made.
    """

    path: str
    expect: Any = None  # the decoded body must match this (None: not checked)
    method: str = "GET"
    body: Any = None
    status: int = 200


@dataclass(frozen=True)
class Action:
    """A user action: its pytest id, its README area, how it runs, and what must follow."""

    name: str
    area: str
    runs: str  # SDK_PREFIX + script stem, or CLI
    sees: Any = None  # what the client saw must match this (None: not checked)
    reads: tuple[Read, ...] = ()
    argv: tuple[str, ...] = ()  # CLI rows: the command after `prefect`
    setup: tuple[tuple[str, ...], ...] = ()  # CLI rows: commands run first, unchecked
    stdin: str | None = None  # CLI rows: what the user types at a prompt
    pending: str = ""  # PENDING_ACTIONS only: why the row is not collected yet

    @property
    def script(self) -> str | None:
        """The SDK script stem this row runs in, or None for a CLI row."""
        return self.runs.removeprefix(SDK_PREFIX) if self.runs.startswith(SDK_PREFIX) else None


def sdk(
    script: str, area: str, name: str, sees: Any = None, *reads: Read, pending: str = ""
) -> Action:
    """A row run by the named SDK script, which records what the client saw under `name`."""
    return Action(name, area, SDK_PREFIX + script, sees, tuple(reads), pending=pending)


def cli(
    area: str,
    name: str,
    argv: Sequence[str],
    sees: Any = None,
    *reads: Read,
    setup: Sequence[Sequence[str]] = (),
    stdin: str | None = None,
    pending: str = "",
) -> Action:
    """A row run as `prefect <argv>`; the client sees {"exit_code": ..., "output": ...}."""
    return Action(
        name,
        area,
        CLI,
        sees,
        tuple(reads),
        argv=tuple(argv),
        setup=tuple(tuple(command) for command in setup),
        stdin=stdin,
        pending=pending,
    )


def ok(*fragments: str) -> dict[str, Any]:
    """A CLI command that exited 0 and printed every fragment."""
    return {"exit_code": 0, "output": containing(*fragments)}


def refused(*fragments: str) -> dict[str, Any]:
    """A CLI command that exited 1 and printed every fragment."""
    return {"exit_code": 1, "output": containing(*fragments)}

"""Secret fields of block documents: shown as stars, kept when the stars come back, listed.

A block schema names its secret fields in `secret_fields` as dotted paths; `*` stands for
every key at that level (`secrets.*`). A secret is returned only when the caller asks with
`include_secrets`; otherwise it reads `********`, and a client that sends those stars back in
an update keeps the stored value instead of overwriting it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, Final

#: What a secret reads as when secrets are not included (Prefect's obfuscated value).
OBFUSCATED: Final = "********"


def obfuscate_secrets(data: dict[str, Any], secret_fields: Iterable[str]) -> dict[str, Any]:
    """A copy of `data` with every secret that has a value replaced by stars.

    A secret holding an object (a JSON `Secret`) is starred whole, not field by field.
    """
    shown = copy.deepcopy(data)
    for path in secret_fields:
        visit(shown, path.split("."), lambda parent, key: star(parent, key))
    return shown


def star(parent: dict[str, Any], key: str) -> None:
    if parent.get(key) is not None:
        parent[key] = OBFUSCATED


def keep_unchanged_secrets(
    update: dict[str, Any], current: dict[str, Any], secret_fields: Iterable[str]
) -> dict[str, Any]:
    """`update` with every secret that came back as stars replaced by its stored value.

    A client that read a document without secrets and saves all of it back must not
    overwrite the secrets with their stars.
    """
    kept = copy.deepcopy(update)

    def restore(parent: dict[str, Any], key: str, stored: Any) -> None:
        if parent.get(key) == OBFUSCATED and stored is not None:
            parent[key] = copy.deepcopy(stored)

    for path in secret_fields:
        visit_pairs(kept, current, path.split("."), restore)
    return kept


def secret_values(data: dict[str, Any], secret_fields: Iterable[str]) -> list[str]:
    """Every secret text in `data` (nested values included), to blank out of what we record."""
    found: list[str] = []

    def collect(parent: dict[str, Any], key: str) -> None:
        found.extend(leaf_texts(parent.get(key)))

    for path in secret_fields:
        visit(data, path.split("."), collect)
    return found


def leaf_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in leaf_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in leaf_texts(item)]
    return [] if value is None else [str(value)]


def visit(node: Any, path: list[str], action: Callable[[dict[str, Any], str], None]) -> None:
    """Call `action(parent, key)` for every key the path names inside `node`."""
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    keys = list(node) if head == "*" else [head] if head in node else []
    for key in keys:
        if rest:
            visit(node[key], rest, action)
        else:
            action(node, key)


def visit_pairs(
    node: Any,
    stored: Any,
    path: list[str],
    action: Callable[[dict[str, Any], str, Any], None],
) -> None:
    """Like `visit`, walking the stored data alongside and passing its value at each key."""
    if not isinstance(node, dict) or not path:
        return
    stored = stored if isinstance(stored, dict) else {}
    head, rest = path[0], path[1:]
    keys = list(node) if head == "*" else [head] if head in node else []
    for key in keys:
        if rest:
            visit_pairs(node[key], stored.get(key), rest, action)
        else:
            action(node, key, stored.get(key))

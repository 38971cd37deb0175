"""Automation action templates: users' Jinja subjects, bodies and payloads, rendered in a
sandbox.

Templates are written by whoever may create automations and rendered inside a worker process,
so they run in Jinja's immutable sandbox: no underscored attribute, no method that changes
an object, no unsafe callable. Unlike Prefect's server, which renders an unknown name as
nothing, a name the context does not hold is an error naming it (a misspelt `flow_run.nme`
would otherwise send an empty message and nobody would notice). What a template renders is
bounded in size, and so are the strings and ranges it can build on the way.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any, Final

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

#: The most `{% for %}` loops a template may hold, and how deep they may nest (Prefect's
#: limits, so a template Prefect accepts is accepted here).
MAX_LOOPS: Final = 10
MAX_LOOP_DEPTH: Final = 2
#: The longest `range()` a template may make.
MAX_RANGE_LENGTH: Final = 100
#: The longest string or list a template may build with `*` or `~` on the way to its output.
MAX_VALUE_LENGTH: Final = 1_000_000


class TemplateFailure(ValueError):
    """A template could not be rendered: bad syntax, an unknown name, something the sandbox
    refuses, or output too large. The text says which, for the action's recorded reason."""


def limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE_LENGTH:
        raise SecurityError(f"range() may make at most {MAX_RANGE_LENGTH} numbers")
    return numbers


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with unknown names as errors and bounded values."""

    # `*` and `**` are the operators that can make a huge value out of a short template.
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False)
        self.globals["range"] = limited_range

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 100:
                raise SecurityError("exponents above 100 are not allowed in templates")
            return operator.pow(left, right)
        if operator_name == "*":
            for sized, times in ((left, right), (right, left)):
                if (
                    isinstance(sized, (str, list, tuple))
                    and isinstance(times, int)
                    and len(sized) * times > MAX_VALUE_LENGTH
                ):
                    raise SecurityError(
                        f"a value longer than {MAX_VALUE_LENGTH} is not allowed in templates"
                    )
            return operator.mul(left, right)
        return super().call_binop(context, operator_name, left, right)


#: One sandbox for every template: compiling is per template, the environment is shared.
SANDBOX: Final = TemplateSandbox()


def loop_depth(node: nodes.Node, depth: int = 0) -> int:
    if isinstance(node, nodes.For):
        depth += 1
    return max((loop_depth(child, depth) for child in node.iter_child_nodes()), default=depth)


def check_template(text: str) -> None:
    """Raise ValueError, with the reason, if `text` is not a template Signalbox will render.

    Called when an automation is saved, so that a bad template is a 422 then rather than a
    failed action later.
    """
    try:
        parsed = SANDBOX.parse(text)
    except TemplateSyntaxError as error:
        raise TemplateFailure(f"line {error.lineno}: {error.message}") from None
    loops = list(parsed.find_all(nodes.For))
    if len(loops) > MAX_LOOPS:
        raise TemplateFailure(f"a template may hold at most {MAX_LOOPS} for loops")
    if loops and loop_depth(parsed) > MAX_LOOP_DEPTH:
        raise TemplateFailure(f"for loops may nest at most {MAX_LOOP_DEPTH} deep")


def is_template(text: str) -> bool:
    """Whether `text` holds any Jinja at all; plain text is sent as it is."""
    return "{{" in text or "{%" in text or "{#" in text


def names_in_template(text: str) -> set[str]:
    """The top-level names a template reads (`flow_run`, `deployment`...): only those
    objects are looked up for its context."""
    try:
        parsed = SANDBOX.parse(text)
    except TemplateSyntaxError:
        return set()
    return {node.name for node in parsed.find_all(nodes.Name) if node.ctx == "load"}


def render_template(text: str, context: Mapping[str, Any], *, max_bytes: int) -> str:
    """`text` rendered with `context` in the sandbox; raises TemplateFailure with the reason.

    The output is streamed and given up as soon as it passes `max_bytes` (UTF-8), so a
    template looping over a large value never builds the whole of it.
    """
    if not is_template(text):
        if len(text.encode()) > max_bytes:
            raise TemplateFailure(f"the rendered text is longer than {max_bytes} bytes")
        return text
    check_template(text)
    pieces: list[str] = []
    size = 0
    try:
        for piece in SANDBOX.from_string(text).generate(dict(context)):
            size += len(piece.encode())
            if size > max_bytes:
                raise TemplateFailure(f"the rendered text is longer than {max_bytes} bytes")
            pieces.append(piece)
    except TemplateFailure:
        raise
    except UndefinedError as error:
        raise TemplateFailure(f"unknown name in template: {error.message}") from None
    except SecurityError as error:
        raise TemplateFailure(f"not allowed in a template: {error}") from None
    except TemplateSyntaxError as error:
        raise TemplateFailure(f"line {error.lineno}: {error.message}") from None
    except Exception as error:  # a user's template may fail in any way Python can
        raise TemplateFailure(f"template failed: {type(error).__name__}: {error}") from None
    return "".join(pieces)

"""Values no database stores alike: NUL characters, and NaN or Infinity as JSON numbers.

PostgreSQL refuses a NUL in text and JSONB, and NaN or Infinity in JSONB, where SQLite
keeps all three; Python's JSON reader accepts NaN and Infinity although JSON has no such
numbers. One rule for both databases: a request carrying one is refused, naming where.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import orjson
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

#: How JSON writes a NUL inside a string: the only way a body can carry one.
NUL_ESCAPE: Final = b"\\u0000"
#: The words Python's JSON reader takes for numbers; orjson, like JSON, refuses them.
NON_FINITE_WORDS: Final = (b"NaN", b"Infinity")
#: The same words, to search a websocket frame's text before encoding it.
UNSTORABLE_WORDS_TEXT: Final = tuple(word.decode() for word in (NUL_ESCAPE, *NON_FINITE_WORDS))
#: What a place holding a NUL is said to hold.
NUL: Final = "a NUL character (\\u0000)"


class NonFiniteNumber(str):
    """A NaN or Infinity read from a body, as its word, marked for `unstorable_places`."""


def may_hold_unstorable_values(body: bytes) -> bool:
    """Whether a JSON body may hold a NUL or a NaN/Infinity; most bodies are cleared here
    by a byte search, without being read."""
    if NUL_ESCAPE in body:
        return True
    if not any(word in body for word in NON_FINITE_WORDS):
        return False
    try:  # the words may be inside strings; orjson refuses them as numbers
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return True
    return False


#: Where a value is: keys and list indexes from the top of the body, as pydantic's `loc`.
Place = tuple[str | int, ...]


def find_unstorable_value(
    body: bytes | str, *, allow_nul: bool = False
) -> tuple[Place, str] | None:
    """Where the first NUL or NaN/Infinity of a JSON body is, and what it holds; or None.

    A body that is not JSON at all is None too: reading it is the route's job, and its 422.
    """
    if isinstance(body, str):  # a websocket frame: encoded only when it may hold one
        if not any(word in body for word in UNSTORABLE_WORDS_TEXT):
            return None
        body = body.encode()
    if not may_hold_unstorable_values(body):
        return None
    try:
        value = json.loads(body, parse_constant=NonFiniteNumber)
    except ValueError:
        return None
    for place, problem in unstorable_places(value, ()):
        if problem is NUL and allow_nul:
            continue
        return place, problem
    return None


def describe_place(place: Place, problem: str) -> str:
    """`payload.extra holds NaN, which is not a JSON number`."""
    return f"{'.'.join(str(part) for part in place) or 'the value'} holds {problem}"


def unstorable_value_error(place: Place, problem: str) -> ValidationError:
    """The 422 of a body holding an unstorable value, shaped as every other body error."""
    error = PydanticCustomError("unstorable_value", "Value holds {problem}", {"problem": problem})
    return ValidationError.from_exception_data(
        "request body", [InitErrorDetails(type=error, loc=place, input=None)]
    )


def unstorable_places(value: Any, place: Place) -> Iterator[tuple[Place, str]]:
    """Each place in a JSON value holding a NUL (in a key or a string) or NaN/Infinity."""
    if isinstance(value, NonFiniteNumber):
        yield place, f"{value}, which is not a JSON number"
    elif isinstance(value, str):
        if "\x00" in value:
            yield place, NUL
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*place, key.replace("\x00", "\\u0000")), NUL
            yield from unstorable_places(item, (*place, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable_places(item, (*place, index))

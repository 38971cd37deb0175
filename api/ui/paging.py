"""Pages of a list: which page a request asks for, and whether another follows.

A list reads one row more than it shows: that row says a next page exists, so no list has
to count what it matches (a count over a large table costs more than the page itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from aiohttp import web

from models.errors import InvalidRequest

Item = TypeVar("Item")

#: Rows one page shows.
PAGE_SIZE: Final = 50
#: The last page a link may ask for (its offset stays a 32-bit integer).
MAX_PAGE: Final = 100_000


def requested_page(request: web.Request) -> int:
    """The `?page=` number (from 1); anything else is a bad request."""
    text = request.query.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidRequest(f"page must be a number from 1 to {MAX_PAGE}")
    return int(text)


def page_offset(number: int) -> int:
    """Rows before page `number`."""
    return (number - 1) * PAGE_SIZE


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list and where it stands."""

    items: list[Item]
    number: int
    has_next: bool

    @classmethod
    def of(cls, rows: list[Item], number: int) -> Page[Item]:
        """The page from rows read with a limit of PAGE_SIZE + 1."""
        return cls(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)

"""Pages of a list: which page a request asks for, and whether another follows.

Most lists read one row more than they show: that row says a next page exists, so they
never count what they match (a count over a large table costs more than the page itself).
Lists of flow runs and flows also say how many they hold; their count stops at a bound, so
a million runs cost no more to count than the bound (`Page.counted`).
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
    #: Rows the list holds, when it was counted (never more than the count's bound).
    count: int | None = None
    #: Whether the list holds more rows than its count went up to.
    more_than_count: bool = False

    @property
    def pages(self) -> int | None:
        """Pages the list fills, when its count reached its end."""
        if self.count is None or self.more_than_count:
            return None
        return max(1, -(-self.count // PAGE_SIZE))

    @classmethod
    def of(cls, rows: list[Item], number: int) -> Page[Item]:
        """The page from rows read with a limit of PAGE_SIZE + 1."""
        return cls(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)

    @classmethod
    def counted(
        cls, rows: list[Item], number: int, counted: int, bound: int | None = None
    ) -> Page[Item]:
        """The page from rows read with a limit of PAGE_SIZE, in a list counted in full or up
        to `bound + 1` rows (a count past `bound` means "more than `bound`")."""
        more = bound is not None and counted > bound
        has_next = len(rows) == PAGE_SIZE and (more or number * PAGE_SIZE < counted)
        return cls(rows, number, has_next, counted if bound is None else min(counted, bound), more)

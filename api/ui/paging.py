"""How list pages are split into pages: which page the query asks for, and whether another
follows, found by reading one row more than a page rather than by counting every row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from models.errors import InvalidRequest

Row = TypeVar("Row")

#: Rows on one page, unless the query asks for another size.
PAGE_SIZE: Final = 50
#: The largest page a query may ask for (a filter call returns at most 200 rows).
MAX_PAGE_SIZE: Final = 199
#: The deepest page a query may ask for: deep offsets are slow, and a search is quicker.
MAX_PAGE: Final = 10_000


@dataclass(frozen=True)
class Paging:
    """Page `number` (from 1) of `size` rows."""

    number: int = 1
    size: int = PAGE_SIZE

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Paging:
        """The page `?page=N&size=M` asks for; a value that is not a number is a 400 page."""
        number = whole_number(query, "page", 1, MAX_PAGE)
        size = whole_number(query, "size", PAGE_SIZE, MAX_PAGE_SIZE)
        return cls(number, size)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def fetch(self) -> int:
        """Rows to read: one more than a page tells whether a next page exists."""
        return self.size + 1

    def rows(self, fetched: Sequence[Row]) -> tuple[list[Row], bool]:
        """The page's rows of those read, and whether a next page exists."""
        return list(fetched[: self.size]), len(fetched) > self.size


def whole_number(query: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    text = query.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidRequest(f"{name} must be a whole number, not {text!r}") from None
    if not 1 <= value <= maximum:
        raise InvalidRequest(f"{name} must be between 1 and {maximum}")
    return value

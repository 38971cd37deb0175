"""Pages of a list: the page a query asks for, whether a next page follows, and how many
pages a counted list fills."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from api.ui.paging import MAX_PAGE, PAGE_SIZE, Page, page_offset, requested_page
from models.errors import InvalidRequest


def test_a_page_number_comes_from_the_query() -> None:
    assert requested_page(make_mocked_request("GET", "/variables")) == 1
    assert requested_page(make_mocked_request("GET", "/variables?page=3")) == 3
    assert page_offset(3) == 2 * PAGE_SIZE


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", str(MAX_PAGE + 1)])
def test_a_page_out_of_range_is_a_bad_request(page: str) -> None:
    with pytest.raises(InvalidRequest):
        requested_page(make_mocked_request("GET", f"/variables?page={page}"))


def test_one_row_more_than_a_page_means_a_next_page() -> None:
    full = Page.of(list(range(PAGE_SIZE + 1)), 2)
    assert full.items == list(range(PAGE_SIZE)) and full.has_next and full.number == 2
    last = Page.of(list(range(PAGE_SIZE)), 1)
    assert len(last.items) == PAGE_SIZE and not last.has_next


def test_a_counted_page_knows_how_many_pages_the_list_fills() -> None:
    first = Page.counted(list(range(PAGE_SIZE)), 1, PAGE_SIZE + 1)
    assert first.has_next and first.pages == 2 and first.count == PAGE_SIZE + 1
    second = Page.counted([0], 2, PAGE_SIZE + 1)
    assert not second.has_next and second.pages == 2
    assert Page.counted([], 1, 0).pages == 1


def test_a_count_past_its_bound_says_more_and_leaves_the_pages_unknown() -> None:
    page = Page.counted(list(range(PAGE_SIZE)), 300, 10_001, 10_000)
    assert page.more_than_count and page.count == 10_000 and page.pages is None
    assert page.has_next  # past the bound a full page may always be followed by another
    within = Page.counted(list(range(PAGE_SIZE)), 4, 200, 10_000)
    assert not within.more_than_count and within.pages == 4 and not within.has_next

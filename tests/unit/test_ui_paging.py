"""Pages of a list: the page a query asks for, and whether a next page follows."""

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

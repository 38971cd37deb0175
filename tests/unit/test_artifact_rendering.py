"""Artifact data rendered for a page: markdown, tables, links, progress and images, with
everything hostile in them coming out as inert text."""

from __future__ import annotations

import json

import pytest

from api.ui.artifact_rendering import (
    is_web_url,
    progress_percentage,
    read_table,
    render_artifact,
    render_image,
    render_link,
    render_markdown,
    render_progress,
    render_table,
)


def test_markdown_renders_headings_emphasis_and_tables() -> None:
    html = render_markdown("# Report\n\n*done*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Report</h1>" in html
    assert "<em>done</em>" in html
    assert '<th scope="col">a</th>' in html
    assert "<td>2</td>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">x</a>',
        "<iframe src='https://example.invalid'></iframe>",
    ],
)
def test_raw_html_in_markdown_comes_out_as_text(hostile: str) -> None:
    html = render_markdown(f"before\n\n{hostile}\n")
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<a " not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "data:text/html,x"]
)
def test_markdown_links_to_scripts_stay_text(url: str) -> None:
    html = render_markdown(f"[click]({url}) ![pic]({url})")
    assert "href=" not in html
    assert "src=" not in html


def test_markdown_links_open_nothing_of_the_page() -> None:
    html = render_markdown("[docs](https://docs.prefect.io/)")
    assert '<a href="https://docs.prefect.io/" rel="noopener nofollow">docs</a>' in html


def test_markdown_in_a_table_cell_keeps_html_as_text() -> None:
    html = render_markdown("| a |\n|---|\n| <b onmouseover=alert(1)>x</b> |\n")
    assert "<b" not in html
    assert "&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;" in html


def test_a_table_of_rows_becomes_columns_from_every_row() -> None:
    table = read_table(json.dumps([{"a": 1, "b": "x"}, {"a": 2, "c": None}]))
    assert table is not None
    assert table.columns == ["a", "b", "c"]
    assert table.rows == [["1", "x", ""], ["2", "", ""]]


def test_a_table_of_columns_is_read_row_by_row() -> None:
    table = read_table({"a": [1, 2, 3], "b": ["x"]})
    assert table is not None
    assert table.columns == ["a", "b"]
    assert table.rows == [["1", "x"], ["2", ""], ["3", ""]]


def test_a_table_of_lists_has_no_header() -> None:
    html = render_table([[1, "two"], [3, {"four": 4}]])
    assert "<thead>" not in html
    assert "<td>two</td>" in html
    assert "<td>{&#34;four&#34;: 4}</td>" in html


def test_html_in_table_headers_and_cells_is_escaped() -> None:
    html = render_table(json.dumps([{"<script>h</script>": "<img src=x onerror=alert(1)>"}]))
    assert "<script" not in html
    assert "<img" not in html
    assert '<th scope="col">&lt;script&gt;h&lt;/script&gt;</th>' in html
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in html


def test_data_that_is_no_table_is_shown_as_json() -> None:
    assert read_table("not json") is None
    assert render_table({"a": 1}) == "<pre>{\n  &#34;a&#34;: 1\n}</pre>"


def test_a_link_artifact_links_only_to_the_web() -> None:
    assert 'href="https://example.invalid/r"' in render_link("[report](https://example.invalid/r)")
    assert 'href="https://example.invalid/r"' in render_link("https://example.invalid/r")
    for hostile in ("[x](javascript:alert(1))", "[x](mailto:a@b.c)", "[x](/relative)"):
        assert "href=" not in render_link(hostile)


def test_an_image_artifact_is_a_link_to_a_web_image() -> None:
    html = render_image("https://example.invalid/i.png")
    assert '<a href="https://example.invalid/i.png" rel="noopener nofollow">' in html
    assert "<img" not in html
    hostile = render_image("javascript:alert(1)")
    assert "href=" not in hostile
    assert "javascript:alert(1)" in hostile


@pytest.mark.parametrize(
    ("data", "expected"),
    [(42, 42.0), ("17.5", 17.5), (-3, 0.0), (250, 100.0), ("x", None), (None, None),
     (True, None), (float("nan"), None)],
)  # fmt: skip
def test_progress_is_a_percentage_between_0_and_100(data: object, expected: float | None) -> None:
    assert progress_percentage(data) == expected


def test_progress_is_a_bar_with_its_percentage_as_text() -> None:
    html = render_progress(42.0)
    assert '<progress max="100" value="42">42%</progress>' in html
    assert '<span class="progress-text">42%</span>' in html
    assert "<progress" not in render_progress("<b>")


def test_an_artifact_renders_by_its_type() -> None:
    assert "<h1>" in render_artifact("markdown", "# x")
    assert "<table" in render_artifact("table", [{"a": 1}])
    assert "<progress" in render_artifact("progress", 5)
    assert "<a " in render_artifact("image", "https://example.invalid/i.png")
    assert render_artifact("result", {"<b>": 1}) == "<pre>{\n  &#34;&lt;b&gt;&#34;: 1\n}</pre>"
    # Markdown that is not text is shown as JSON, never rendered.
    assert render_artifact("markdown", ["# x"]).startswith("<pre>")


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://a.b/c", True), ("HTTP://a.b", True), ("https://", False), ("ftp://a.b", False),
     ("javascript://a.b/%0aalert(1)", False), ("//a.b", False)],
)  # fmt: skip
def test_web_urls_are_http_or_https_with_a_host(url: str, expected: bool) -> None:
    assert is_web_url(url) is expected

"""How an artifact's data reads on a page: markdown, table, link, progress, image, or JSON.

Artifact data comes from whoever ran the flow, so nothing in it may become markup of its own:
markdown is rendered with raw HTML turned off (markdown-it escapes it) and its links checked
by markdown-it (no `javascript:`), table cells and everything else are escaped text, and the
link and image types only ever link to http or https.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

#: The schemes a link or image artifact may point at.
WEB_SCHEMES: Final = frozenset({"http", "https"})
#: What every link in rendered markdown carries: it opens nothing with our page's window and
#: lends the link no standing with search engines.
LINK_REL: Final = "noopener nofollow"


def link_with_rel(
    renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[index].attrSet("rel", LINK_REL)
    return renderer.renderToken(tokens, index, options, env)


def header_with_scope(
    renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[index].attrSet("scope", "col")
    return renderer.renderToken(tokens, index, options, env)


def markdown_renderer() -> MarkdownIt:
    """CommonMark with tables; raw HTML is shown as text, links get `rel`, headers `scope`."""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    renderer.add_render_rule("link_open", link_with_rel)
    renderer.add_render_rule("th_open", header_with_scope)
    return renderer


def is_web_url(url: str) -> bool:
    """An absolute http or https URL with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)


MARKDOWN: Final = markdown_renderer()
#: Link artifacts are markdown too (`[text](url)`, as the Prefect client sends them), and
#: their one link may only go to the web.
LINK_MARKDOWN: Final = markdown_renderer()
LINK_MARKDOWN.validateLink = is_web_url  # type: ignore[method-assign]


def render_markdown(text: str) -> Markup:
    """Markdown as HTML that runs nothing: raw HTML escaped, unsafe links left as text."""
    return Markup('<div class="markdown">{}</div>').format(Markup(MARKDOWN.render(text)))


def render_link(data: Any) -> Markup:
    """A link artifact: a bare http(s) URL becomes a link; markdown renders with web links
    only."""
    text = data if isinstance(data, str) else json.dumps(data)
    if is_web_url(text):
        return Markup('<a href="{url}" rel="{rel}">{url}</a>').format(
            url=text.strip(), rel=LINK_REL
        )
    return Markup('<div class="markdown">{}</div>').format(Markup(LINK_MARKDOWN.render(text)))


def render_image(data: Any) -> Markup:
    """An image artifact as a link to the image (the page fetches nothing from elsewhere)."""
    url = data if isinstance(data, str) else ""
    if not is_web_url(url):
        return Markup('<p class="muted">No image link: <code>{}</code></p>').format(data)
    return Markup(
        '<p><a href="{url}" rel="{rel}">Open the image</a> <code>{url}</code></p>'
    ).format(url=url.strip(), rel=LINK_REL)


def progress_percentage(data: Any) -> float | None:
    """A progress artifact's value between 0 and 100, or None when it is not a number."""
    if isinstance(data, bool):
        return None
    try:
        value = float(data)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    return max(0.0, min(100.0, value))


def render_progress(data: Any) -> Markup:
    """A progress bar with the percentage written out (a screen reader and a copy read it)."""
    value = progress_percentage(data)
    if value is None:
        return Markup('<p class="muted">Progress unknown: <code>{}</code></p>').format(data)
    text = f"{value:g}%"
    return Markup(
        '<p class="progress"><progress max="100" value="{value}">{text}</progress> '
        '<span class="progress-text">{text}</span></p>'
    ).format(value=f"{value:g}", text=text)


@dataclass(frozen=True)
class Table:
    """A table artifact as rows of cell texts; `columns` is empty when the rows are bare
    lists."""

    columns: list[str]
    rows: list[list[str]]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def read_table(data: Any) -> Table | None:
    """The table Prefect stores (JSON text of a list of rows, a list of lists, or a dict of
    columns), or None when the data is none of those."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if isinstance(data, dict) and all(isinstance(cells, list) for cells in data.values()):
        columns = [str(name) for name in data]
        height = max((len(cells) for cells in data.values()), default=0)
        rows = [
            [cell_text(cells[i]) if i < len(cells) else "" for cells in data.values()]
            for i in range(height)
        ]
        return Table(columns, rows)
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        columns = list(dict.fromkeys(str(key) for row in data for key in row))
        return Table(columns, [[cell_text(row.get(name)) for name in columns] for row in data])
    if isinstance(data, list) and all(isinstance(row, list) for row in data):
        return Table([], [[cell_text(cell) for cell in row] for row in data])
    return None


def render_table(data: Any) -> Markup:
    """A table artifact as an HTML table; every header and cell is escaped text."""
    table = read_table(data)
    if table is None:
        return render_json(data)
    head = Markup("")
    if table.columns:
        head = Markup("<thead><tr>{}</tr></thead>").format(
            Markup("").join(Markup('<th scope="col">{}</th>').format(c) for c in table.columns)
        )
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c) for c in row))
        for row in table.rows
    )
    return Markup('<table class="artifact-table">{head}<tbody>{body}</tbody></table>').format(
        head=head, body=body
    )


def render_json(data: Any) -> Markup:
    """Any other data as indented JSON text."""
    text = data if isinstance(data, str) else json.dumps(data, indent=2, default=str)
    return Markup("<pre>{}</pre>").format(text)


def render_artifact(artifact_type: str | None, data: Any) -> Markup:
    """An artifact's data as the HTML its type calls for."""
    if artifact_type == "markdown" and isinstance(data, str):
        return render_markdown(data)
    if artifact_type == "table":
        return render_table(data)
    if artifact_type == "link":
        return render_link(data)
    if artifact_type == "progress":
        return render_progress(data)
    if artifact_type == "image":
        return render_image(data)
    return render_json(data)

"""The words of an event text search, as Prefect's server reads its `text.query`.

Terms are separated by spaces and match anywhere, in any case. A plain term is one of which
any may be present; `+term` must be present; `-term` or `!term` must not. `"a phrase"` is one
term (`\\"` and `\\\\` inside it stand for a quote and a backslash). A `-`, `!` or `+` followed
by a space stands for nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

TOKEN: Final = re.compile(
    r"""(?P<lone>[-!+](?=\s|$))
      | (?P<sign>[-!+])?
        (?: "(?P<phrase>(?:\\.|[^"\\]|\\$)*)"? | (?P<word>[^\s"]+) )""",
    re.VERBOSE | re.DOTALL,
)
ESCAPED: Final = re.compile(r"\\([\"\\])")


@dataclass(frozen=True)
class TextSearch:
    any_of: list[str] = field(default_factory=list)
    all_of: list[str] = field(default_factory=list)
    none_of: list[str] = field(default_factory=list)


def parse_text_search(query: str) -> TextSearch:
    """The terms of a text search query, sorted by what each requires."""
    search = TextSearch()
    for token in TOKEN.finditer(query):
        if token["lone"]:
            continue
        if token["phrase"] is not None:
            term = ESCAPED.sub(r"\1", token["phrase"])
            if not term.strip():
                continue
        else:
            term = token["word"]
        sign = token["sign"]
        target = search.none_of if sign in ("-", "!") else search.all_of if sign else search.any_of
        target.append(term)
    return search

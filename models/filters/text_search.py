"""The log search box's query language: words and quoted phrases, some excluded or required.

`error timeout` matches text holding either word; `-debug` (or `!debug`) leaves out text
holding it; `+db` keeps only text holding it; `"connection reset"` is one phrase, in which
`\\"` is a quote and `\\\\` a backslash. Matching is by case-insensitive substring. A sign
followed by a space is dropped, and an unclosed quote runs to the end: a search box never
refuses what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

#: The longest query accepted, as Prefect's.
MAX_QUERY_LENGTH: Final = 200

#: What a sign in front of a word or phrase makes of it.
EXCLUDING: Final = frozenset("-!")
REQUIRING: Final = "+"


@dataclass(frozen=True)
class SearchTerms:
    """A parsed query: the text must hold any of `include` (when there are some), none of
    `exclude` and all of `required`."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)

    def add(self, sign: str | None, term: str) -> None:
        if sign in EXCLUDING:
            self.exclude.append(term)
        elif sign == REQUIRING:
            self.required.append(term)
        else:
            self.include.append(term)


def parse_search_query(query: str) -> SearchTerms:
    """The terms of a search query (see the module's docstring for the language)."""
    terms = SearchTerms()
    position, end = 0, len(query)
    while position < end:
        if query[position].isspace():
            position += 1
            continue
        sign = None
        if query[position] in "-!+":
            if position + 1 < end and not query[position + 1].isspace():
                sign = query[position]
            position += 1
            if sign is None:
                continue  # a lone sign says nothing
        if query[position] == '"':
            phrase, position = read_phrase(query, position + 1)
            if phrase.strip():
                terms.add(sign, phrase)
            continue
        start = position
        while position < end and not query[position].isspace() and query[position] != '"':
            position += 1
        if position > start:
            terms.add(sign, query[start:position])
    return terms


def read_phrase(query: str, start: int) -> tuple[str, int]:
    """The phrase opened by a quote just before `start`, unescaped, and where reading resumes.

    Inside a phrase a backslash keeps the next character from closing it; only `\\"` and
    `\\\\` are escapes, any other backslash stays as typed.
    """
    characters: list[str] = []
    position, end = start, len(query)
    while position < end and query[position] != '"':
        if query[position] == "\\" and position + 1 < end:
            escaped = query[position + 1]
            characters.append(escaped if escaped in '"\\' else "\\" + escaped)
            position += 2
        else:
            characters.append(query[position])
            position += 1
    return "".join(characters), min(position + 1, end)

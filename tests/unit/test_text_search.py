"""The log search query language: what each query asks for, as Prefect reads it."""

from __future__ import annotations

import pytest

from models.filters.text_search import SearchTerms, parse_search_query

CASES = [
    ("", SearchTerms()),
    ("   ", SearchTerms()),
    ("error", SearchTerms(include=["error"])),
    ("error timeout", SearchTerms(include=["error", "timeout"])),
    ("error -debug !trace", SearchTerms(include=["error"], exclude=["debug", "trace"])),
    ("+db +pool", SearchTerms(required=["db", "pool"])),
    ('"connection reset" x', SearchTerms(include=["connection reset", "x"])),
    ('-"not this"', SearchTerms(exclude=["not this"])),
    ('"say \\"hi\\""', SearchTerms(include=['say "hi"'])),
    ('"back\\\\slash \\n"', SearchTerms(include=["back\\slash \\n"])),
    ('"unclosed phrase', SearchTerms(include=["unclosed phrase"])),
    ('""  " "', SearchTerms()),
    ("- lone + signs !", SearchTerms(include=["lone", "signs"])),
    ("--double", SearchTerms(exclude=["-double"])),
    ('word"phrase"', SearchTerms(include=["word", "phrase"])),
    ("50%_done", SearchTerms(include=["50%_done"])),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[query or "empty" for query, _ in CASES])
def test_a_query_reads_as_prefect_reads_it(query: str, expected: SearchTerms) -> None:
    assert parse_search_query(query) == expected

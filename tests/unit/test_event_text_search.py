"""The words of an event text search, read as Prefect's server reads them (each case's
answer was taken from the reference's parser)."""

from __future__ import annotations

import pytest

from models.events.text_search import parse_text_search


@pytest.mark.parametrize(
    ("query", "any_of", "all_of", "none_of"),
    [
        ("error", ["error"], [], []),
        ("error -debug", ["error"], [], ["debug"]),
        ('"connection timeout"', ["connection timeout"], [], []),
        ("+required -excluded !also", [], ["required"], ["excluded", "also"]),
        ("- foo", ["foo"], [], []),  # a sign before a space stands for nothing
        ("--x", [], [], ["-x"]),
        ('a"b c"d', ["a", "b c", "d"], [], []),  # a quote ends a word
        ('"unclosed phrase', ["unclosed phrase"], [], []),
        ('say "he said \\"hi\\"" !no', ["say", 'he said "hi"'], [], ["no"]),
        ('""', [], [], []),
        ("+ ", [], [], []),
        ("x\\", ["x\\"], [], []),
        ('"trail\\', ["trail\\"], [], []),
        ("   ", [], [], []),
    ],
)
def test_a_query_is_read_as_the_reference_reads_it(
    query: str, any_of: list[str], all_of: list[str], none_of: list[str]
) -> None:
    search = parse_text_search(query)
    assert (search.any_of, search.all_of, search.none_of) == (any_of, all_of, none_of)

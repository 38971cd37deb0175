"""Finding NUL characters and NaN/Infinity in JSON bodies, and naming where they are."""

from __future__ import annotations

import pytest

from models.schemas.unstorable_values import describe_place, find_unstorable_value


@pytest.mark.parametrize(
    ("body", "place"),
    [
        (b'{"name": "a\\u0000"}', "name holds a NUL character (\\u0000)"),
        (b'[{"m": 1}, {"k\\u0000": 2}]', "1.k\\u0000 holds a NUL character (\\u0000)"),
        (b'{"p": {"x": [1, NaN]}}', "p.x.1 holds NaN, which is not a JSON number"),
        (b'{"p": -Infinity}', "p holds -Infinity, which is not a JSON number"),
        ('{"p": Infinity}', "p holds Infinity, which is not a JSON number"),
        (b"NaN", "the value holds NaN, which is not a JSON number"),
    ],
)
def test_the_first_unstorable_value_is_named_by_its_place(body: bytes | str, place: str) -> None:
    found = find_unstorable_value(body)
    assert found is not None and describe_place(*found) == place


@pytest.mark.parametrize(
    "body",
    [b'{"p": "NaN and Infinity"}', b'{"p": "\\\\u0000"}', b"{not json NaN", b"", '{"a": 1}'],
    ids=["words in a string", "an escaped backslash", "not JSON", "empty", "a frame"],
)
def test_text_that_only_looks_unstorable_and_bodies_that_are_not_json_pass(
    body: bytes | str,
) -> None:
    assert find_unstorable_value(body) is None


def test_a_nul_may_be_allowed_where_a_route_replaces_it_but_nan_never_is() -> None:
    assert find_unstorable_value(b'["a\\u0000"]', allow_nul=True) is None
    assert find_unstorable_value(b'["a\\u0000", NaN]', allow_nul=True) == (
        (1,),
        "NaN, which is not a JSON number",
    )

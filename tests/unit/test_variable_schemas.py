"""Variable bodies: names, values and what a PATCH changes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.schemas.variables import MAX_VARIABLE_VALUE_BYTES, VariableCreate, VariableUpdate


@pytest.mark.parametrize("name", ["my_var", "my-var", "v2", "x" * 255])
def test_lowercase_letters_digits_dashes_and_underscores_make_a_name(name: str) -> None:
    assert VariableCreate(name=name, value=1).name == name


@pytest.mark.parametrize("name", ["MyVar", "my var", "my.var", "é", "", "x" * 256])
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        VariableCreate(name=name, value=1)


def test_a_value_is_any_json_up_to_the_size_limit() -> None:
    room = MAX_VARIABLE_VALUE_BYTES - 2  # the two quotes of a JSON string
    assert VariableCreate(name="v", value="x" * room).value == "x" * room
    with pytest.raises(ValidationError, match="at most 5000 bytes"):
        VariableCreate(name="v", value="x" * (room + 1))
    # Size is counted in UTF-8 bytes: é is two.
    with pytest.raises(ValidationError):
        VariableCreate(name="v", value="é" * (room // 2 + 1))


def test_a_patch_changes_what_it_sends_and_a_null_value_is_a_value() -> None:
    assert VariableUpdate.model_validate({"value": None}).changes() == {"value": None}
    assert VariableUpdate.model_validate({"name": None, "tags": None}).changes() == {}
    sent = {"name": "n", "value": [1], "tags": ["t"]}
    assert VariableUpdate.model_validate(sent).changes() == sent

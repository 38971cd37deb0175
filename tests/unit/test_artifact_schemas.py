"""Artifact bodies: keys, long metadata, and what a PATCH changes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.schemas.artifacts import ArtifactCreate, ArtifactUpdate


@pytest.mark.parametrize("key", ["md-report", "tbl", "run-42"])
def test_lowercase_letters_digits_and_dashes_make_a_key(key: str) -> None:
    assert ArtifactCreate(key=key).key == key


@pytest.mark.parametrize("key", ["md_report", "MD", "a b", ""])
def test_any_other_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match=r"Artifact key|at least 1"):
        ArtifactCreate(key=key)


def test_long_metadata_values_are_cut_not_refused() -> None:
    artifact = ArtifactCreate.model_validate({"metadata_": {"short": "s", "long": "l" * 501}})
    assert artifact.metadata_ == {"short": "s", "long": "l" * 500 + "..."}


def test_data_with_a_nul_character_is_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ArtifactCreate(data=["ok", {"bad": "a\x00"}])


def test_a_patch_changes_only_what_it_sends() -> None:
    assert ArtifactUpdate.model_validate({"data": 50}).changes() == {"data": 50}
    assert ArtifactUpdate.model_validate({"description": None}).changes() == {"description": None}

"""Variables: named JSON values, by id and by name, with their names and sizes checked."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient


async def create_variable(api: TestClient, name: str, value: Any, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/variables/", json={"name": name, "value": value, **fields})
    assert response.status == 201, await response.text()
    return await response.json()


async def test_a_variable_holds_any_json_value(api: TestClient) -> None:
    values = {"an_object": {"a": 1, "b": [1, 2]}, "a-string": "x", "n": 4.5, "none": None}
    for name, value in values.items():
        created = await create_variable(api, name, value, tags=["t1"])
        assert (created["name"], created["value"], created["tags"]) == (name, value, ["t1"])
        read = await (await api.get(f"/api/variables/name/{name}")).json()
        assert read == created == await (await api.get(f"/api/variables/{created['id']}")).json()


async def test_a_variable_is_changed_and_deleted_by_name_and_by_id(api: TestClient) -> None:
    created = await create_variable(api, "myvar", {"a": 1}, tags=["t1"])
    # Variable.set(..., overwrite=True) sends every field.
    patched = await api.patch(
        "/api/variables/name/myvar", json={"name": "myvar", "value": "overwritten", "tags": []}
    )
    assert patched.status == 204
    read = await (await api.get("/api/variables/name/myvar")).json()
    assert (read["value"], read["tags"], read["id"]) == ("overwritten", [], created["id"])
    assert read["updated"] > created["updated"]

    # Only what is sent changes; a null value is a value.
    assert (await api.patch(f"/api/variables/{created['id']}", json={"value": None})).status == 204
    assert (await (await api.get("/api/variables/name/myvar")).json())["value"] is None
    renamed = await api.patch(f"/api/variables/{created['id']}", json={"name": "renamed"})
    assert renamed.status == 204
    assert (await api.get("/api/variables/name/myvar")).status == 404

    assert (await api.delete("/api/variables/name/renamed")).status == 204
    other = await create_variable(api, "other", 1)
    assert (await api.delete(f"/api/variables/{other['id']}")).status == 204
    for response in (
        await api.get("/api/variables/name/renamed"),
        await api.get(f"/api/variables/{other['id']}"),
        await api.delete("/api/variables/name/renamed"),
        await api.patch(f"/api/variables/{uuid4()}", json={"value": 1}),
        await api.patch("/api/variables/name/nothing", json={"value": 1}),
    ):
        assert response.status == 404
        assert await response.json() == {"detail": "Variable not found."}


async def test_a_taken_name_is_a_409(api: TestClient) -> None:
    await create_variable(api, "outside_flow", 42)
    await create_variable(api, "second", 1)
    again = await api.post("/api/variables/", json={"name": "outside_flow", "value": 1})
    assert again.status == 409
    assert await again.json() == {
        "detail": "A variable with the name 'outside_flow' already exists."
    }
    rename = await api.patch("/api/variables/name/second", json={"name": "outside_flow"})
    assert rename.status == 409


async def test_bad_names_and_values_are_refused_with_a_detail(api: TestClient) -> None:
    for body, complaint in (
        ({"name": "Upper", "value": 1}, "lowercase letters"),
        ({"name": "with space", "value": 1}, "lowercase letters"),
        ({"name": "dots.too", "value": 1}, "lowercase letters"),
        ({"name": "x" * 256, "value": 1}, "at most 255"),
        ({"name": "big", "value": "x" * 5_000}, "at most 5000 bytes"),
        ({"name": "nul", "value": "a\u0000b"}, "NUL"),
        ({"name": "no-value"}, "Field required"),
    ):
        response = await api.post("/api/variables/", json=body)
        assert response.status == 422, body
        detail = (await response.json())["detail"]
        assert complaint in detail[0]["msg"], (body, detail)
    assert (await api.post("/api/variables/count", json={})).status == 200
    assert await (await api.post("/api/variables/count", json={})).json() == 0


async def test_variables_are_filtered_sorted_paged_and_counted(api: TestClient) -> None:
    await create_variable(api, "alpha", 1, tags=["prod", "db"])
    await create_variable(api, "beta", 2, tags=["prod"])
    await create_variable(api, "gamma", 3)

    async def names(body: dict[str, Any]) -> list[str]:
        response = await api.post("/api/variables/filter", json=body)
        assert response.status == 200, await response.text()
        return [variable["name"] for variable in await response.json()]

    assert await names({}) == ["alpha", "beta", "gamma"]
    assert await names({"sort": "NAME_DESC", "limit": 2}) == ["gamma", "beta"]
    assert await names({"offset": 1, "limit": 1}) == ["beta"]
    assert await names({"variables": {"name": {"like_": "ET"}}}) == ["beta"]
    assert await names({"variables": {"name": {"any_": ["gamma", "nope"]}}}) == ["gamma"]
    assert await names({"variables": {"tags": {"all_": ["prod", "db"]}}}) == ["alpha"]
    assert await names({"variables": {"tags": {"is_null_": True}}}) == ["gamma"]
    count = await api.post("/api/variables/count", json={"variables": {"tags": {"all_": ["prod"]}}})
    assert await count.json() == 2
    too_many = await api.post("/api/variables/filter", json={"limit": 201})
    assert too_many.status == 422

"""Saved searches: saved by name (again to replace the filters), read, listed, deleted."""

from __future__ import annotations

from uuid import uuid4

from aiohttp.test_utils import TestClient

FILTER = {
    "object": "flow_run",
    "property": "state",
    "type": "state",
    "operation": "or",
    "value": ["Failed"],
}


async def test_a_search_is_saved_replaced_by_name_listed_and_deleted(api: TestClient) -> None:
    created = await api.put("/api/saved_searches/", json={"name": "failures", "filters": [FILTER]})
    assert created.status == 201, await created.text()
    saved = await created.json()
    assert (saved["name"], saved["filters"]) == ("failures", [FILTER])

    replaced = await api.put("/api/saved_searches/", json={"name": "failures", "filters": None})
    assert replaced.status == 200
    again = await replaced.json()
    assert (again["id"], again["created"], again["filters"]) == (saved["id"], saved["created"], [])
    assert await (await api.get(f"/api/saved_searches/{saved['id']}")).json() == again

    await api.put("/api/saved_searches/", json={"name": "another"})
    names = [s["name"] for s in await (await api.post("/api/saved_searches/filter")).json()]
    assert names == ["another", "failures"]
    paged = await api.post("/api/saved_searches/filter", json={"limit": 1, "offset": 1})
    assert [s["name"] for s in await paged.json()] == ["failures"]

    assert (await api.delete(f"/api/saved_searches/{saved['id']}")).status == 204
    for response in (
        await api.get(f"/api/saved_searches/{saved['id']}"),
        await api.delete(f"/api/saved_searches/{saved['id']}"),
        await api.get(f"/api/saved_searches/{uuid4()}"),
    ):
        assert response.status == 404
        assert await response.json() == {"detail": "Saved search not found"}


async def test_a_bad_saved_search_is_a_422(api: TestClient) -> None:
    for body in (
        {},
        {"name": ""},
        {"name": "x", "filters": [{"object": "flow_run"}]},
        {"name": "x", "filters": "all"},
    ):
        response = await api.put("/api/saved_searches/", json=body)
        assert response.status == 422, body
        assert "detail" in await response.json()
    refused = await api.post("/api/saved_searches/filter", json={"limit": 201})
    assert refused.status == 422

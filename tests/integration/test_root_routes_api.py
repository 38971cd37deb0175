"""The routes a client or UI calls first: hello, versions, settings, and the CSRF token."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def test_hello_and_the_versions(api: TestClient) -> None:
    assert await (await api.get("/api/hello")).json() == "\N{WAVING HAND SIGN}"
    assert await (await api.get("/api/version")).json() == "0.8.4"
    assert await (await api.get("/api/admin/version")).json() == "3.9.1"


async def test_settings_read_as_prefect_lays_them_out_with_secrets_masked(
    api: TestClient,
) -> None:
    settings = await (await api.get("/api/admin/settings")).json()
    server_api = settings["server"]["api"]
    assert (server_api["csrf_protection_enabled"], server_api["default_limit"]) == (False, 200)
    assert settings["server"]["database"]["connection_url"] == "**********"
    # No database URL shows, whatever folder the test's home is in.
    assert "sqlite+" not in str(settings) and "postgresql+" not in str(settings)


async def test_settings_report_the_ui_served_beside_the_api(api: TestClient) -> None:
    settings = await (await api.get("/api/admin/settings")).json()
    server_api = settings["server"]["api"]
    own_address = f"http://{server_api['host']}:{server_api['port']}"
    assert settings["server"]["ui"] == {"enabled": True, "api_url": f"{own_address}/api"}
    assert settings["ui_url"] == own_address


async def test_a_csrf_token_is_refused_as_prefect_does_with_protection_off(
    api: TestClient,
) -> None:
    response = await api.get("/api/csrf-token", params={"client": "abc"})
    assert response.status == 422
    assert await response.json() == {"detail": "CSRF protection is disabled."}
    missing = await api.get("/api/csrf-token")
    assert missing.status == 422 and "detail" in await missing.json()

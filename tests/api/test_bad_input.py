"""Bad input gets a 4xx with a reason, never a 5xx, and the server keeps serving."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import World, login


@pytest.fixture
async def desk(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    return await login(client, "desk")


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "JSON is malformed"),
        (b"", 400, ""),
        (b"[]", 400, "Expected `object`, got `array`"),
        (b'{"name": 42}', 400, "Expected `str`, got `int`"),
        (b'{"name": "ok", "colour": "red"}', 400, "Object contains unknown field `colour`"),
        (b'{"code": "x"}', 400, "Object missing required field `name`"),
        (b'{"name": "ok", "locale": "fr"}', 400, "locale"),
        (b'{"name": "' + b"x" * 300 + b'"}', 400, "length <= 200"),
        ('{"name": "\ud800"}'.encode("utf-8", "surrogatepass"), 400, ""),
    ],
)
async def test_malformed_bodies_get_400_with_the_reason(
    client: httpx.AsyncClient, desk: dict[str, str], body: bytes, status: int, reason: str
) -> None:
    response = await client.post(
        "/api/customers", content=body, headers={**desk, "content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    text = response.text
    assert reason in text
    assert (await client.get("/health")).status_code == 200


async def test_an_oversized_body_gets_413(client: httpx.AsyncClient, desk: dict[str, str]) -> None:
    huge = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/customers", content=huge, headers={**desk, "content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_an_oversized_body_without_content_length_gets_413(
    client: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "'
        for _ in range(48):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/api/customers", content=chunks(), headers={**desk, "content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"limit": "lots"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"status": "exploded"}, "status"),
        ({"engineer_id": "not-a-uuid"}, "engineer_id"),
        ({"reported_from": "yesterday"}, "reported_from"),
        ({"sla": "met"}, "sla"),
    ],
)
async def test_bad_query_parameters_get_400_naming_the_parameter(
    client: httpx.AsyncClient, desk: dict[str, str], params: dict[str, str], reason: str
) -> None:
    response = await client.get("/api/jobs", params=params, headers=desk)
    assert response.status_code == 400, response.text
    assert reason in response.text


async def test_a_bad_path_id_is_not_a_server_error(
    client: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    response = await client.get("/api/jobs/not-a-uuid", headers=desk)
    assert 400 <= response.status_code < 500


async def test_naive_times_are_refused_with_a_reason(
    client: httpx.AsyncClient, desk: dict[str, str], world: World
) -> None:
    response = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "channel": "phone",
            "fault_description": "x",
            "reported_at": "2026-01-01T10:00:00",
        },
        headers=desk,
    )
    assert response.status_code == 400
    assert "timezone" in response.text
    assert "reported_at" in response.text


async def test_duplicate_unique_values_get_409(
    client: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    first = await client.post("/api/parts", json={"code": "P-1", "name": "阀门"}, headers=desk)
    assert first.status_code == 201
    again = await client.post("/api/parts", json={"code": "P-1", "name": "阀门"}, headers=desk)
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    assert again.json()["code"] == "duplicate"


async def test_unknown_references_get_a_4xx(
    client: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    response = await client.post(
        "/api/sites",
        json={"customer_id": "0190a0a0-0000-7000-8000-000000000000", "name": "x"},
        headers=desk,
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "customer not found"


@pytest.mark.parametrize(("price", "ok"), [("12.50", True), ("-1", False), ("1e12", False)])
async def test_part_prices_are_bounded(
    client: httpx.AsyncClient, desk: dict[str, str], price: str, ok: bool
) -> None:
    response = await client.post(
        "/api/parts", json={"code": f"P-{price}", "name": "x", "price": price}, headers=desk
    )
    if ok:
        assert response.status_code == 201, response.text
        assert response.json()["price"] == price
    else:
        assert response.status_code == 400
        assert "price must be between" in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"reported_to": "9999-12-31"},
        {"reported_from": "0001-01-01"},
        {"q": "a\x00b"},
        {"q": "%_\\'\""},
    ],
)
async def test_extreme_filters_are_answered_without_a_server_error(
    client: httpx.AsyncClient, desk: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/api/jobs", params=params, headers=desk)
    assert response.status_code in {200, 400}, response.text


async def test_a_nul_character_in_a_body_is_refused_not_a_server_error(
    client: httpx.AsyncClient, desk: dict[str, str]
) -> None:
    response = await client.post("/api/customers", json={"name": "a\x00b"}, headers=desk)
    assert response.status_code == 400, response.text
    assert "contains a NUL character" in response.text

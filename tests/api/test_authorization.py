"""Who may call what: every route declares roles, and engineers reach only their own jobs."""

from __future__ import annotations

import re
import uuid

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.db import Database
from api.guards import PUBLIC_MARK, ROLES_KEY
from api.models import Role
from api.settings import Settings
from tests.helpers import World, login

# Request bodies valid for routes that engineers may call on a job, so the test reaches the
# visibility check instead of stopping at validation. A new such route must add one here.
SAMPLE_BODIES: dict[tuple[str, str], dict[str, object]] = {}


def http_routes(app: Litestar) -> list[tuple[str, str, frozenset[str] | str | None]]:
    """(method, path, declared roles) of every route handler of the app."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            # Litestar's generated OPTIONS handlers only list methods; the guard lets them be.
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                found.append((method, route.path, handler.opt.get(ROLES_KEY)))
    return found


def test_every_route_declares_who_may_call_it(app: Litestar) -> None:
    routes = http_routes(app)
    assert len(routes) > 20, "the route table was walked"
    undeclared = [(m, p) for m, p, roles in routes if roles is None]
    assert undeclared == []
    for method, path, roles in routes:
        if roles == PUBLIC_MARK:
            continue
        assert isinstance(roles, frozenset), (method, path)
        assert roles, (method, path)
        assert roles <= set(Role), (method, path, roles)


def test_public_routes_are_only_the_ones_meant_to_be(app: Litestar) -> None:
    public = {p for m, p, roles in http_routes(app) if roles == PUBLIC_MARK}
    # /r/…: a customer's report link and the QR code's check page; anyone may verify a PDF.
    # /report and /api/public/…: the customers' fault-report form (报修).
    # /app… and /office…: the engineer app's and the office console's static files (login inside).
    allowed = re.compile(
        r"^(/health|/api/auth/(login|refresh)|/schema.*|/app.*|/office.*|/r/.*|/api/reports/verify"
        r"|/report|/api/public/.*)$"
    )
    assert {p for p in public if not allowed.match(p)} == set()


async def test_route_without_roles_is_refused(settings: Settings, db: Database) -> None:
    from litestar import get

    from api.app import create_app

    @get("/undeclared", sync_to_thread=False)
    def undeclared() -> str:
        return "should never be served"

    app = create_app(settings, db=db)
    app.register(undeclared)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/undeclared")
    assert response.status_code == 403
    assert "declares no roles" in response.json()["detail"]


async def test_engineer_cannot_read_or_change_another_engineers_job_through_any_route(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    desk = await login(client, "desk")
    created = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "asset_id": str(world.asset.id),
            "channel": "phone",
            "fault_description": "no cooling",
        },
        headers=desk,
    )
    job_id = created.json()["job"]["id"]
    await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    before = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()

    intruder = await login(client, "li")
    job_routes = [
        (m, p, roles) for m, p, roles in http_routes(app) if "{job_id" in p and m != "OPTIONS"
    ]
    assert len(job_routes) >= 6
    for method, path, roles in job_routes:
        url = re.sub(r"\{job_id:uuid\}", job_id, path)
        body = SAMPLE_BODIES.get((method, path), {})
        response = await client.request(
            method, url, json=body if method != "GET" else None, headers=intruder
        )
        engineer_allowed = isinstance(roles, frozenset) and Role.ENGINEER in roles
        expected = 404 if engineer_allowed else 403
        assert response.status_code == expected, (method, path, response.text)

    after = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert after["job"]["version"] == before["job"]["version"]
    assert after["history"] == before["history"]


async def test_engineer_list_never_shows_other_engineers_jobs_even_when_asked(
    client: httpx.AsyncClient, world: World
) -> None:
    desk = await login(client, "desk")
    for engineer in (world.engineer, world.engineer2):
        created = await client.post(
            "/api/jobs",
            json={
                "customer_id": str(world.customer.id),
                "channel": "web",
                "fault_description": f"for {engineer.username}",
            },
            headers=desk,
        )
        await client.post(
            f"/api/jobs/{created.json()['job']['id']}/assign",
            json={"engineer_id": str(engineer.id)},
            headers=desk,
        )
    me = await login(client, "wang")
    response = await client.get(
        "/api/jobs", params={"engineer_id": str(world.engineer2.id)}, headers=me
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
    mine = (await client.get("/api/jobs", headers=me)).json()["items"]
    assert [j["fault_description"] for j in mine] == ["for wang"]


async def test_office_only_routes_refuse_engineers(client: httpx.AsyncClient, world: World) -> None:
    me = await login(client, "wang")
    assert (await client.get("/api/customers", headers=me)).status_code == 403
    response = await client.post(
        "/api/users",
        json={"username": "x", "display_name": "x", "password": "12345678", "role": "admin"},
        headers=me,
    )
    assert response.status_code == 403
    assert "engineer role may not" in response.json()["detail"]


async def test_engineer_sees_only_their_own_van(client: httpx.AsyncClient, world: World) -> None:
    me = await login(client, "wang")
    locations = (await client.get("/api/stock/locations", headers=me)).json()
    assert [loc["engineer_id"] for loc in locations] == [str(world.engineer.id)]
    desk = await login(client, "desk")
    all_locations = (await client.get("/api/stock/locations", headers=desk)).json()
    other = next(x for x in all_locations if x["engineer_id"] == str(world.engineer2.id))
    response = await client.get(f"/api/stock/locations/{other['id']}/levels", headers=me)
    assert response.status_code == 404
    response = await client.get(f"/api/stock/locations/{uuid.uuid4()}/levels", headers=me)
    assert response.status_code == 404

"""Login, refresh tokens bound to devices, revocation, expiry and login throttling."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from litestar import Litestar

from api.app import create_app
from api.db import Database
from api.security import Principal, issue_access_token
from api.settings import AuthSettings, Settings
from tests.helpers import PASSWORD, World


async def do_login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, device: str | None = None
) -> httpx.Response:
    return await client.post(
        "/api/auth/login",
        json={
            "username": username,
            "password": password,
            "device_id": device or str(uuid.uuid4()),
            "device_name": "Pixel 7",
            "app_version": "1.0.0",
        },
    )


async def test_login_gives_a_short_access_token_and_a_long_refresh_token(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    response = await do_login(client, "wang")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["role"] == "engineer"
    assert body["expires_in"] == 15 * 60
    expires = datetime.fromisoformat(body["refresh_expires_at"])
    assert expires - datetime.now(UTC) > timedelta(days=30), "a week offline must still sync"
    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"])
    assert claims["sub"] == str(world.engineer.id)
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["username"] == "wang"


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await do_login(client, "wang", "nope")
    unknown = await do_login(client, "nobody", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong username or password"


async def test_refresh_gives_a_new_access_token_for_the_same_device(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    first = (await do_login(client, "wang", device=device)).json()
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": first["refresh_token"], "device_id": device}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["username"] == "wang"
    other_device = await client.post(
        "/api/auth/refresh",
        json={"refresh_token": first["refresh_token"], "device_id": str(uuid.uuid4())},
    )
    assert other_device.status_code == 401


async def test_a_revoked_device_cannot_refresh_and_must_log_in_again(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    tokens = (await do_login(client, "wang", device=device)).json()
    admin = (await do_login(client, "admin")).json()
    admin_headers = {"Authorization": f"Bearer {admin['access_token']}"}
    devices = (await client.get("/api/devices", headers=admin_headers)).json()
    assert device in {d["id"] for d in devices}
    revoked = await client.post(f"/api/devices/{device}/revoke", headers=admin_headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device}
    )
    assert response.status_code == 401
    assert "signed out" in response.json()["detail"]
    again = await do_login(client, "wang", device=device)
    assert again.status_code == 200


async def test_an_engineer_cannot_revoke_someone_elses_device(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    await do_login(client, "wang", device=device)
    li = (await do_login(client, "li")).json()
    response = await client.post(
        f"/api/devices/{device}/revoke", headers={"Authorization": f"Bearer {li['access_token']}"}
    )
    assert response.status_code == 404


async def test_logout_revokes_the_calling_device(client: httpx.AsyncClient, world: World) -> None:
    device = str(uuid.uuid4())
    tokens = (await do_login(client, "wang", device=device)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device}
    )
    assert response.status_code == 401


async def test_a_device_id_of_another_user_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    assert (await do_login(client, "wang", device=device)).status_code == 200
    response = await do_login(client, "li", device=device)
    assert response.status_code == 409


async def test_expired_forged_and_missing_tokens_get_401(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    principal = Principal(
        user_id=world.engineer.id, username="wang", role="engineer", device_id=uuid.uuid4()
    )
    expired = issue_access_token(
        principal,
        key=settings.secret_key,
        now=datetime.now(UTC) - timedelta(hours=1),
        minutes=15,
    )
    forged = issue_access_token(
        replace(principal, role="admin"),
        key="another-key-that-is-long-enough-for-hs256-xx",
        now=datetime.now(UTC),
        minutes=15,
    )
    cases = {
        "access token expired": {"Authorization": f"Bearer {expired}"},
        "invalid access token": {"Authorization": f"Bearer {forged}"},
        "login required": {},
    }
    for reason, headers in cases.items():
        response = await client.get("/api/jobs", headers=headers)
        assert response.status_code == 401
        assert reason in response.json()["detail"]


async def test_a_disabled_user_cannot_log_in(client: httpx.AsyncClient, world: World) -> None:
    admin = (await do_login(client, "admin")).json()
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    response = await client.patch(
        f"/api/users/{world.engineer2.id}", json={"active": False}, headers=headers
    )
    assert response.status_code == 200
    assert (await do_login(client, "li")).status_code == 401


async def test_failed_logins_are_throttled_with_retry_after(
    settings: Settings, db: Database, world: World
) -> None:
    strict = replace(settings, auth=AuthSettings(login_attempts=3, login_window_seconds=60))
    app: Litestar = create_app(strict, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(3):
            assert (await do_login(client, "wang", "bad")).status_code == 401
        blocked = await do_login(client, "wang", PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        assert "too many failed logins" in blocked.json()["detail"]
        other = await do_login(client, "li", PASSWORD)
        assert other.status_code == 200, "another user from the same address may still log in"

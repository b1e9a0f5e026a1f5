"""Login, refresh tokens bound to devices, revocation, expiry and login throttling."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar
from sqlalchemy import event

from api.app import create_app
from api.db import Database
from api.guards import AccessCache, Standing
from api.security import Principal, TokenError, decode_access_token, issue_access_token
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
    newest = (await client.get("/api/devices?limit=1", headers=admin_headers)).json()
    assert [d["id"] for d in newest] == [devices[0]["id"]], "bounded, newest contact first"
    assert len(devices) > 1
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


def test_a_token_checked_before_still_expires_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "a-key-that-is-long-enough-for-hs256-and-then-some"
    principal = Principal(
        user_id=uuid.uuid4(), username="wang", role="engineer", device_id=uuid.uuid4()
    )
    issued = datetime.now(UTC)
    token = issue_access_token(principal, key=key, now=issued, minutes=15)
    assert decode_access_token(token, key=key).user_id == principal.user_id  # checked, kept
    with pytest.raises(TokenError, match="invalid"):
        decode_access_token(token, key="another-key-that-is-long-enough-for-hs256-xx")

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return issued + timedelta(minutes=15, seconds=1)

    monkeypatch.setattr("api.security.datetime", Later)
    with pytest.raises(TokenError, match="expired"):
        decode_access_token(token, key=key)


async def test_a_disabled_user_cannot_log_in(client: httpx.AsyncClient, world: World) -> None:
    admin = (await do_login(client, "admin")).json()
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    response = await client.patch(
        f"/api/users/{world.engineer2.id}", json={"active": False}, headers=headers
    )
    assert response.status_code == 200
    assert (await do_login(client, "li")).status_code == 401


async def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = await bearer_of(client, "admin")
    me = (await client.get("/api/auth/me", headers=admin)).json()
    for change in ({"active": False}, {"role": "supervisor"}):
        response = await client.patch(f"/api/users/{me['id']}", json=change, headers=admin)
        assert response.status_code == 409, response.text
        assert "last active administrator" in response.json()["detail"]
        assert response.json()["code"] == "last_admin"
    assert (await client.get("/api/auth/me", headers=admin)).json()["role"] == "admin"

    # With a second administrator, the first may step down.
    second = await client.patch(
        f"/api/users/{world.supervisor.id}", json={"role": "admin"}, headers=admin
    )
    assert second.status_code == 200, second.text
    stepped = await client.patch(
        f"/api/users/{me['id']}", json={"role": "supervisor"}, headers=admin
    )
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["role"] == "supervisor"


async def test_two_administrators_demoting_each_other_at_once_leave_one(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = await bearer_of(client, "admin")
    me = (await client.get("/api/auth/me", headers=admin)).json()
    # An inactive administrator does not count.
    for user, change in (
        (world.quality, {"role": "admin", "active": False}),
        (world.supervisor, {"role": "admin"}),
    ):
        made = await client.patch(f"/api/users/{user.id}", json=change, headers=admin)
        assert made.status_code == 200, made.text
    boss = await bearer_of(client, "boss")

    first, second = await asyncio.gather(
        client.patch(
            f"/api/users/{world.supervisor.id}", json={"role": "supervisor"}, headers=admin
        ),
        client.patch(f"/api/users/{me['id']}", json={"active": False}, headers=boss),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    refused = first if first.status_code == 409 else second
    assert "last active administrator" in refused.json()["detail"]
    users = [
        (
            await client.get(
                f"/api/users/{user_id}", headers=boss if first.status_code == 409 else admin
            )
        ).json()
        for user_id in (me["id"], world.supervisor.id)
    ]
    assert sum(u["role"] == "admin" and u["active"] for u in users) == 1


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
        wait = int(blocked.headers["retry-after"])
        assert blocked.json()["code"] == "too_many"
        assert blocked.json()["params"] == {"seconds": wait}
        other = await do_login(client, "li", PASSWORD)
        assert other.status_code == 200, "another user from the same address may still log in"


async def test_guesses_from_many_addresses_do_not_lock_a_user_out_of_their_own_devices(
    settings: Settings, db: Database, world: World
) -> None:
    # The username-wide window is what a spray from many addresses fills; a device the user
    # signed in on before (its id only that device holds) is not held up by it.
    strict = replace(settings, auth=AuthSettings(login_attempts=2, login_window_seconds=60))
    app: Litestar = create_app(strict, db=db)
    phone = str(uuid.uuid4())

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    async with client_from("10.0.0.1") as own:
        assert (await do_login(own, "desk", PASSWORD, device=phone)).status_code == 200
    for n in range(2, 8):
        async with client_from(f"10.0.0.{n}") as sprayer:
            for _ in range(2):
                await do_login(sprayer, "desk", "guess")
    async with client_from("10.0.1.1") as stranger:
        blocked = await do_login(stranger, "desk", PASSWORD)
        assert blocked.status_code == 429, "a new device waits out the spray"
    async with client_from("10.0.1.2") as own:
        again = await do_login(own, "desk", PASSWORD, device=phone)
        assert again.status_code == 200, again.text
    # A device id is no secret: guesses made with it are limited per username as well.
    answers = []
    for n in range(2, 8):
        async with client_from(f"10.0.2.{n}") as guesser:
            for _ in range(2):
                answers.append((await do_login(guesser, "desk", "guess", device=phone)).status_code)
    assert answers[:10] == [401] * 10
    assert set(answers[10:]) == {429}


# ---- access ends at once -------------------------------------------------------------------


async def bearer_of(client: httpx.AsyncClient, username: str, device: str | None = None) -> dict:
    response = await do_login(client, username, device=device)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_an_access_token_is_refused_right_after_logout(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = await bearer_of(client, "wang")
    assert (await client.get("/api/jobs", headers=headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    response = await client.get("/api/jobs", headers=headers)
    assert response.status_code == 401
    assert "signed out" in response.json()["detail"]


async def test_an_access_token_is_refused_right_after_its_device_is_revoked(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    wang = await bearer_of(client, "wang", device)
    admin = await bearer_of(client, "admin")
    assert (await client.get("/api/jobs", headers=wang)).status_code == 200
    revoked = await client.post(f"/api/devices/{device}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert (await client.get("/api/jobs", headers=wang)).status_code == 401
    again = await bearer_of(client, "wang", device)
    assert (await client.get("/api/jobs", headers=again)).status_code == 200, "logged in again"


async def test_an_access_token_is_refused_right_after_the_user_is_disabled(
    client: httpx.AsyncClient, world: World
) -> None:
    li = await bearer_of(client, "li")
    admin = await bearer_of(client, "admin")
    assert (await client.get("/api/jobs", headers=li)).status_code == 200
    response = await client.patch(
        f"/api/users/{world.engineer2.id}", json={"active": False}, headers=admin
    )
    assert response.status_code == 200
    assert (await client.get("/api/jobs", headers=li)).status_code == 401


async def test_an_access_token_is_refused_right_after_a_role_change(
    client: httpx.AsyncClient, world: World
) -> None:
    qa = await bearer_of(client, "qa")
    admin = await bearer_of(client, "admin")
    assert (await client.get("/api/customers", headers=qa)).status_code == 200
    response = await client.patch(
        f"/api/users/{world.quality.id}", json={"role": "engineer"}, headers=admin
    )
    assert response.status_code == 200
    refused = await client.get("/api/customers", headers=qa)
    assert refused.status_code == 401
    relogged = await bearer_of(client, "qa")
    assert (await client.get("/api/customers", headers=relogged)).status_code == 403


async def test_a_new_password_signs_out_every_device_of_the_user(
    client: httpx.AsyncClient, world: World
) -> None:
    device = str(uuid.uuid4())
    tokens = (await do_login(client, "wang", device=device)).json()
    admin = await bearer_of(client, "admin")
    response = await client.patch(
        f"/api/users/{world.engineer.id}", json={"password": "another-horse-7"}, headers=admin
    )
    assert response.status_code == 200
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device}
    )
    assert refresh.status_code == 401
    assert (await do_login(client, "wang", "another-horse-7")).status_code == 200


async def test_a_change_of_contact_details_keeps_the_user_signed_in(
    client: httpx.AsyncClient, world: World
) -> None:
    wang = await bearer_of(client, "wang")
    admin = await bearer_of(client, "admin")
    response = await client.patch(
        f"/api/users/{world.engineer.id}", json={"phone": "13800000000"}, headers=admin
    )
    assert response.status_code == 200
    assert (await client.get("/api/jobs", headers=wang)).status_code == 200


async def test_the_standing_check_is_answered_from_memory_between_changes(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    headers = await bearer_of(client, "wang")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            assert (await client.get("/api/directory/regions", headers=headers)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    standing_reads = [s for s in statements if "devices" in s]
    assert len(standing_reads) <= 1, "one read, then the cache answers"


def test_the_access_cache_forgets_on_request_and_after_its_ttl() -> None:
    cache = AccessCache(ttl=0.05)
    user, device = uuid.uuid4(), uuid.uuid4()
    standing = Standing(role="engineer", device_owner=user)

    def store() -> None:
        cache.store(user, device, standing, generation=cache.generation)

    store()
    assert cache.lookup(user, device) == standing
    cache.forget_device(device)
    assert cache.lookup(user, device) is None
    store()
    cache.forget_user(user)
    assert cache.lookup(user, device) is None
    store()
    time.sleep(0.06)
    assert cache.lookup(user, device) is None


def test_a_read_that_raced_with_a_revocation_is_not_cached() -> None:
    cache = AccessCache()
    user, device = uuid.uuid4(), uuid.uuid4()
    before_the_read = cache.generation
    cache.forget_device(device)  # the revocation commits while the guard's read is under way
    cache.store(user, device, Standing("engineer", user), generation=before_the_read)
    assert cache.lookup(user, device) is None


# ---- login throttling ----------------------------------------------------------------------


def strict_app(settings: Settings, db: Database, attempts: int = 3) -> Litestar:
    strict = replace(settings, auth=AuthSettings(login_attempts=attempts, login_window_seconds=60))
    return create_app(strict, db=db)


async def test_a_burst_of_concurrent_bad_logins_is_limited_too(
    settings: Settings, db: Database, world: World
) -> None:
    transport = httpx.ASGITransport(app=strict_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await asyncio.gather(*(do_login(client, "wang", "bad") for _ in range(20)))
    codes = Counter(r.status_code for r in answers)
    assert codes[401] <= 3
    assert codes[429] == 20 - codes[401]


async def test_guessing_one_username_from_many_addresses_is_limited(
    settings: Settings, db: Database, world: World
) -> None:
    app = strict_app(settings, db)  # 3 per username and address, 15 per username

    async def from_address(n: int, password: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(f"10.0.{n // 250}.{n % 250}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await do_login(client, "wang", password)

    codes = [(await from_address(n, "bad")).status_code for n in range(20)]
    assert codes == [401] * 15 + [429] * 5
    assert (await from_address(99, PASSWORD)).status_code == 429
    transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await do_login(client, "li", PASSWORD)).status_code == 200, "others log in"


async def test_a_good_login_does_not_use_up_the_window(
    settings: Settings, db: Database, world: World
) -> None:
    transport = httpx.ASGITransport(app=strict_app(settings, db))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(5):
            assert (await do_login(client, "wang")).status_code == 200
        for _ in range(3):
            assert (await do_login(client, "wang", "bad")).status_code == 401
        assert (await do_login(client, "wang")).status_code == 429

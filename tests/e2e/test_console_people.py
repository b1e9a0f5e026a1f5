"""The console's people and devices screen (/office/people, admin only): an account made,
changed and deactivated there, and a lost phone's device revoked there, as the API sees it.

The server is shared with other test files: each test makes its own accounts (a uuid in the
name) and changes no demo user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import DEMO_PASSWORD, Server
from tests.e2e.office import choose, console_login, go, open_console

PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.230 Mobile Safari/537.36"
)[:100]  # the engineer app names its device by the first 100 characters of its user agent


def _login(
    base: str, username: str, password: str, device_id: str, **device: str
) -> httpx.Response:
    return httpx.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": password, "device_id": device_id, **device},
        timeout=30,
    )


def _admin(base: str) -> dict[str, str]:
    response = _login(base, "admin", DEMO_PASSWORD, str(uuid.uuid4()))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _dispatcher(
    base: str, admin: dict[str, str], username: str, name: str, password: str
) -> dict[str, Any]:
    """A dispatcher's account made through the API (the test's own, the server is shared)."""
    made = httpx.post(
        f"{base}/api/users",
        json={
            "username": username,
            "display_name": name,
            "password": password,
            "role": "dispatcher",
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    account: dict[str, Any] = made.json()
    return account


def _console_errors(page: Any) -> list[str]:
    """Errors the page logs (a text that fails to compile is only logged), apart from the
    failed requests the browser reports for the refusals these tests provoke."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    return errors


def test_an_admin_makes_changes_and_deactivates_an_account_and_revokes_its_lost_phone(
    browser: Any, server: Server
) -> None:
    suffix = uuid.uuid4().hex[:8]
    username = f"eng-{suffix}"
    first_password = f"first-{suffix}"
    admin = _admin(server.base)
    east = next(
        r
        for r in httpx.get(f"{server.base}/api/directory/regions", headers=admin).json()
        if r["code"] == "EAST"
    )

    context, page = open_console(browser, server.base)
    errors = _console_errors(page)
    console_login(page, "admin")
    go(page, "people")
    page.wait_for_selector("[data-testid=people] .el-table__row")

    # A new engineer, made in the console while the list shows dispatchers only.
    choose(page, "people-role", "Dispatcher")
    page.click("[data-testid=people-new]")
    page.fill("[data-testid=person-username]", username)
    page.fill("[data-testid=person-name]", f"测试工程师{suffix}")
    page.click("[data-testid=person-role] >> text=Engineer")
    choose(page, "person-region", east["name"])
    page.fill("[data-testid=person-phone]", "13800000001")
    page.fill("[data-testid=person-password]", "short")
    page.click("[data-testid=person-create]")
    page.locator("[data-testid=person-new]", has_text="At least 8 characters").wait_for()
    page.fill("[data-testid=person-password]", first_password)
    with page.expect_request(
        lambda r: r.method == "GET" and "/api/users?" in r.url and f"q={username}" in r.url
    ) as listed:
        page.click("[data-testid=person-create]")
    # The list shows it: found by its username, the role filter dropped.
    assert "role=" not in listed.value.url, listed.value.url
    page.wait_for_selector(f"[data-testid=edit-{username}]")
    assert page.locator("[data-testid=person-new]").count() == 0

    # It logs in through the API with the password set, as the engineer of the east region.
    device_id = str(uuid.uuid4())
    login = _login(
        server.base,
        username,
        first_password,
        device_id,
        device_name=PHONE_AGENT,
        app_version="pwa/e2e",
    )
    assert login.status_code == 200, login.text
    tokens = login.json()
    user = tokens["user"]
    assert (user["role"], user["region_id"]) == ("engineer", east["id"])
    assert user["phone"] == "13800000001"
    # Its phone syncs with a clock 7 minutes fast.
    push = httpx.post(
        f"{server.base}/api/sync/push",
        json={
            "device_id": device_id,
            "sent_at": (datetime.now(UTC) + timedelta(minutes=7, seconds=20)).isoformat(),
            "app_version": "pwa/e2e",
            "mutations": [],
        },
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=30,
    )
    assert push.status_code == 200, push.text
    assert push.json()["clock_skewed"] is True

    # The same username again is refused, with the reason.
    page.click("[data-testid=people-new]")
    page.fill("[data-testid=person-username]", username)
    page.fill("[data-testid=person-name]", "重名")
    page.fill("[data-testid=person-password]", "another-password")
    page.click("[data-testid=person-create]")
    page.locator(".el-message--error", has_text=f"“{username}” is already taken").wait_for()
    page.click(".el-dialog:visible .el-dialog__headerbtn")

    # A new phone number: only that is sent, and the phone stays signed in.
    page.click(f"[data-testid=edit-{username}]")
    page.fill("[data-testid=edit-phone]", "13900000002")
    assert page.locator("[data-testid=edit-signs-out]").count() == 0
    page.click("[data-testid=edit-save]")
    page.wait_for_selector("[data-testid=person-edit]", state="detached")
    page.locator("[data-testid=people] .el-table__row", has_text="13900000002").wait_for()
    stored = httpx.get(f"{server.base}/api/users/{user['id']}", headers=admin).json()
    assert (stored["phone"], stored["active"], stored["role"]) == ("13900000002", True, "engineer")

    # A slow answer for one account's devices is not listed (with its Revoke buttons) under
    # another account opened meanwhile.
    mate = f"mate-{suffix}"
    _dispatcher(server.base, admin, mate, f"同事{suffix}", "mate-password-1")
    office_device = str(uuid.uuid4())
    mate_login = _login(
        server.base, mate, "mate-password-1", office_device, device_name="Office console"
    )
    assert mate_login.status_code == 200, mate_login.text
    page.fill("[data-testid=people-search]", suffix)
    page.wait_for_selector(f"[data-testid=devices-{mate}]")
    page.wait_for_selector(f"[data-testid=devices-{username}]")
    held: list[Any] = []

    def slow(url: str) -> bool:
        return url.endswith(f"/api/devices?user_id={user['id']}")

    def hold(route: Any) -> None:
        held.append(route)

    page.route(slow, hold)
    page.click(f"[data-testid=devices-{username}]")
    while not held:
        page.wait_for_timeout(50)
    page.click(".el-dialog:visible .el-dialog__headerbtn")
    page.click(f"[data-testid=devices-{mate}]")
    page.locator(f"[data-testid=state-{office_device}]").wait_for()
    with page.expect_response(lambda r: user["id"] in r.url):
        held[0].continue_()
    page.wait_for_timeout(500)
    shown = page.locator(".el-dialog:visible", has_text=f"Devices of 同事{suffix}")
    assert shown.locator("[data-testid=devices] .el-table__row").count() == 1
    assert "Office console" in shown.inner_text()
    assert page.locator(f"[data-testid=state-{device_id}]").count() == 0
    page.unroute(slow)
    page.click(".el-dialog:visible .el-dialog__headerbtn")

    # The lost phone: listed with its skewed clock, then revoked.
    page.click(f"[data-testid=devices-{username}]")
    clock = page.locator(f"[data-testid=clock-{device_id}]")
    clock.wait_for()
    assert clock.inner_text().strip() == "Clock 7 min fast"
    assert "el-tag--danger" in (clock.get_attribute("class") or "")
    row = page.locator("[data-testid=devices] .el-table__row", has_text=device_id[:8])
    assert "Android 13 SM-G991B · Chrome 120" in row.inner_text()
    assert "pwa/e2e" in row.inner_text()
    assert page.locator(f"[data-testid=state-{device_id}]").inner_text().strip() == "Signed in"
    page.click(f"[data-testid=revoke-{device_id}]")
    confirm = page.locator(".el-dialog:visible", has_text="Revoke Android 13 SM-G991B")
    confirm.wait_for()
    said = confirm.inner_text()
    assert f"asks 测试工程师{suffix} to log in again" in said
    assert "not yet sent stays on it" in said
    assert page.locator("[data-testid=revoke-own]").count() == 0  # not this browser
    page.click("[data-testid=revoke-confirm]")
    page.locator(f"[data-testid=state-{device_id}]", has_text="Revoked").wait_for()
    assert page.locator(f"[data-testid=revoke-{device_id}]").count() == 0
    refresh = httpx.post(
        f"{server.base}/api/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": device_id},
        timeout=30,
    )
    assert refresh.status_code == 401, refresh.text
    assert "signed out" in refresh.json()["detail"]
    page.click(".el-dialog:visible .el-dialog__headerbtn")

    # Deactivated: the API says so and the password no longer logs in.
    page.click(f"[data-testid=edit-{username}]")
    page.click("[data-testid=edit-active]")
    page.wait_for_selector("[data-testid=edit-signs-out]")
    page.click("[data-testid=edit-save]")
    page.locator(f"[data-testid=standing-{username}]", has_text="Inactive").wait_for()
    stored = httpx.get(f"{server.base}/api/users/{user['id']}", headers=admin).json()
    assert (stored["active"], stored["phone"]) == (False, "13900000002")
    refused = _login(server.base, username, first_password, str(uuid.uuid4()))
    assert refused.status_code == 401, refused.text
    assert (page.page_errors, errors) == ([], [])
    context.close()


def test_a_new_password_set_in_the_console_replaces_the_old_one(
    browser: Any, server: Server
) -> None:
    suffix = uuid.uuid4().hex[:8]
    username = f"disp-{suffix}"
    admin = _admin(server.base)
    _dispatcher(server.base, admin, username, f"派工{suffix}", "old-password-1")

    context, page = open_console(browser, server.base, locale="zh-CN")
    errors = _console_errors(page)
    console_login(page, "admin")
    go(page, "people")
    page.fill("[data-testid=people-search]", username)
    page.click(f"[data-testid=reset-{username}]")
    page.locator(".el-dialog:visible", has_text=f"重置派工{suffix}的密码").wait_for()
    page.fill("[data-testid=reset-password]", "new-password-2")
    page.click("[data-testid=reset-save]")
    page.locator(".el-message--success", has_text="已为").wait_for()
    assert _login(server.base, username, "old-password-1", str(uuid.uuid4())).status_code == 401
    assert _login(server.base, username, "new-password-2", str(uuid.uuid4())).status_code == 200
    assert (page.page_errors, errors) == ([], [])
    context.close()


def test_revoking_this_browser_says_so_and_signs_the_console_out(
    browser: Any, server: Server
) -> None:
    context, page = open_console(browser, server.base)
    errors = _console_errors(page)
    console_login(page, "admin")
    go(page, "people")
    page.click("[data-testid=devices-admin]")
    mine = page.locator("[data-testid=devices] .el-table__row", has_text="This browser")
    mine.wait_for()
    assert mine.count() == 1
    mine.locator("[data-testid^=revoke-]").click()
    page.locator("[data-testid=revoke-own]", has_text="signs you out of the console").wait_for()
    page.click("[data-testid=revoke-confirm]")
    page.wait_for_url("**/office/login")
    page.wait_for_selector("input[name=username]")
    assert page.locator("[data-testid=menu]").count() == 0
    assert (page.page_errors, errors) == ([], [])
    context.close()


def test_only_an_admin_has_the_people_screen(browser: Any, server: Server) -> None:
    context, page = open_console(browser, server.base)
    page.goto(f"{server.base}/office/people")
    console_login(page, "dispatcher1")
    page.wait_for_url("**/office/intake")
    assert page.locator("[data-testid=menu-people]").count() == 0
    assert page.locator("[data-testid=people]").count() == 0
    # Typed in by hand once signed in: turned away again.
    page.goto(f"{server.base}/office/people")
    page.wait_for_url("**/office/intake")
    page.wait_for_selector("[data-testid=menu]")
    assert page.locator("[data-testid=people]").count() == 0

    # The same address in a tab of an administrator (a tab's session is its own) opens it.
    admin_page = context.new_page()
    admin_page.goto(f"{server.base}/office/people")
    console_login(admin_page, "admin")
    admin_page.wait_for_url("**/office/people")
    admin_page.wait_for_selector("[data-testid=menu-people]")
    context.close()

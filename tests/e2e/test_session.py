"""A session the office ends asks the engineer to log in again, and keeps the unsent work."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.app import log_in, open_app, open_job, record, text_of
from tests.e2e.conftest import DEMO_PASSWORD, Office, Server


def _admin(base: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/login",
        json={"username": "admin", "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _devices(base: str, admin: dict[str, str], user_id: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/api/devices", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [d for d in items if d["user_id"] == user_id and d["app_version"].startswith("pwa/")]


def test_revoked_device_logs_in_again_with_the_same_device_id_and_keeps_the_outbox(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer5", "电梯门机故障")
    user_id = office.engineer_id("engineer5")
    admin = _admin(server.base)

    context, page = open_app(browser, server.base)
    log_in(page, "engineer5")
    page.click("text=All jobs")
    page.wait_for_selector(f"[data-testid=job-{job['number']}]", timeout=30_000)
    (device,) = _devices(server.base, admin, user_id)

    context.set_offline(True)
    open_job(page, job["number"])
    record(page, job["id"], "diagnosis", "门机皮带断裂")
    revoked = httpx.post(f"{server.base}/api/devices/{device['id']}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text

    context.set_offline(False)
    page.click("[data-testid=sync-tab]")
    page.click("[data-testid=sync-now]")
    page.wait_for_selector("[data-testid=session-ended]", timeout=30_000)
    assert text_of(page, "pending-count").endswith("1")
    assert office.detail(job["id"])["diagnosis"] == ""

    page.click("[data-testid=session-ended] a")
    # A mistyped password is refused in the app's words (the refusal's code), not the server's.
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    page.get_by_text("Sign-in failed: Wrong username or password.", exact=True).wait_for()
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # Today's list may be empty (near midnight the demo's jobs fall on another day).
    page.wait_for_selector("[data-testid=job-list], .van-empty", timeout=30_000)
    page.wait_for_selector("[data-testid=session-ended]", state="detached")
    page.click("[data-testid=sync-tab]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=pending-count] .van-cell__value')"
        ".textContent.trim() === '0'",
        timeout=30_000,
    )
    assert office.detail(job["id"])["diagnosis"] == "门机皮带断裂"
    # The same device id logged in again: one device, re-enabled, no second one.
    (again,) = _devices(server.base, admin, user_id)
    assert again["id"] == device["id"]
    assert again["revoked_at"] is None
    context.close()

"""The server dies after applying a push but before its answer arrives: nothing is lost or
applied twice, because the app resends the same mutations and the server replays its answers."""

from __future__ import annotations

from typing import Any

from tests.e2e.app import add_part, back_to_job, log_in, open_app, open_job, record, text_of
from tests.e2e.conftest import Office, Server

IDLE = "() => !document.querySelector('[data-testid=sync-now] .van-loading')"


def _pending(page: Any) -> int:
    return int(text_of(page, "pending-count").split()[-1])


def test_server_killed_mid_sync_loses_nothing_and_doubles_nothing(
    browser: Any, own_server: Server
) -> None:
    server = own_server
    office = Office(server.base)
    job = office.new_job("engineer3", "水泵异响")
    codes = [p["code"] for p in office.parts(2)]

    # Without a service worker Playwright sees every request (the shell is not under test here).
    context, page = open_app(browser, server.base, service_workers="block")
    log_in(page, "engineer3")
    page.click("text=All jobs")
    page.wait_for_selector(f"[data-testid=job-{job['number']}]", timeout=30_000)
    context.set_offline(True)
    open_job(page, job["number"])
    record(page, job["id"], "diagnosis", "叶轮磨损")
    page.click("[data-testid=go-parts]")
    for code in codes:
        add_part(page, code)
    back_to_job(page, job["id"])
    page.click("[data-testid=sync-tab]")
    queued = _pending(page)
    assert queued == 3

    pushes: list[int] = []

    def die_after_applying(route: Any) -> None:
        pushes.append(1)
        if len(pushes) == 1:
            response = route.fetch()  # the server applies and commits the push ...
            assert response.status == 200
            server.stop()  # ... and dies before its answer reaches the phone
        route.abort("connectionreset")

    page.route("**/api/sync/push", die_after_applying)
    context.set_offline(False)
    page.click("[data-testid=sync-now]")
    for _ in range(100):  # the route handler runs while Playwright waits
        if pushes and server.proc is None:
            break
        page.wait_for_timeout(100)
    assert pushes
    page.wait_for_function(IDLE)
    assert _pending(page) == queued, "no answer arrived, so nothing may leave the outbox"

    page.unroute("**/api/sync/push")
    server.start()
    office = Office(server.base)
    page.wait_for_function(IDLE)
    page.click("[data-testid=sync-now]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=pending-count] .van-cell__value')"
        ".textContent.trim() === '0'",
        timeout=60_000,
    )
    assert "Nothing refused" in text_of(page, "failed-list")
    detail = office.detail(job["id"])
    assert detail["diagnosis"] == "叶轮磨损"
    assert sorted(line["code"] for line in detail["part_lines"]) == sorted(codes)
    context.close()

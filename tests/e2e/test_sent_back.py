"""A service record the supervisor sends back shows on the engineer's phone with the reason."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from sync.client import SyncClient
from tests.e2e.app import log_in, open_app, open_job
from tests.e2e.conftest import DEMO_PASSWORD, Office, Server
from tests.sync.conftest import signature


async def _signed_visit(base: str, job_id: str) -> None:
    """engineer6's visit through the reference client, signed by the customer."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        phone = SyncClient(http=http, username="engineer6", password=DEMO_PASSWORD)
        await phone.pull()
        for status in ("en_route", "on_site", "work_done"):
            phone.mutate("job.status", job_id=job_id, to=status)
        phone.mutate(
            "signature.add",
            id=uuid.uuid4(),
            job_id=job_id,
            signer_role="customer",
            signer_name="钱主任",
            strokes=signature(),
            content_sha256="c" * 64,
        )
        await phone.sync()
        assert phone.failed == [], [f.reason for f in phone.failed]


def test_a_record_sent_back_shows_its_reason_on_the_phone(browser: Any, server: Server) -> None:
    office = Office(server.base)
    job = office.new_job("engineer6", "水泵异响")
    # Playwright's sync API holds this thread's event loop: the reference client runs beside it.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _signed_visit(server.base, job["id"])).result()
    boss = httpx.post(
        f"{server.base}/api/auth/login",
        json={"username": "supervisor1", "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4())},
    ).json()["access_token"]
    back = httpx.post(
        f"{server.base}/api/jobs/{job['id']}/review",
        json={"decision": "send_back", "note": "请补拍完工照片"},
        headers={"Authorization": f"Bearer {boss}"},
    )
    assert back.status_code == 200, back.text

    context, page = open_app(browser, server.base)
    log_in(page, "engineer6")
    open_job(page, job["number"])
    notice = page.wait_for_selector("[data-testid=sent-back]", timeout=30_000)
    assert "请补拍完工照片" in notice.inner_text()
    context.close()


def test_a_cancelled_job_says_so_on_the_phone_with_the_reason(browser: Any, server: Server) -> None:
    office = Office(server.base)
    job = office.new_job("engineer6", "冷却塔漏水")
    office.post(f"/api/jobs/{job['id']}/cancel", {"reason": "客户已自行修复"})

    context, page = open_app(browser, server.base)
    log_in(page, "engineer6")
    open_job(page, job["number"])
    notice = page.wait_for_selector("[data-testid=cancelled]", timeout=30_000)
    assert "客户已自行修复" in notice.inner_text()
    status = page.inner_text("[data-testid=job-status]")
    assert "已取消" in status or "Cancelled" in status, status
    assert "已完成" not in status, "a cancelled job is not done"
    assert "Done" not in status, "a cancelled job is not done"
    offered = page.query_selector("button:has-text('Accept'), button:has-text('接单')")
    assert offered is None, "nothing left to accept"
    context.close()

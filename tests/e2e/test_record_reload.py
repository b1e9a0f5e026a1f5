"""Text typed into the service record survives a reload made before the app queued it (the
queue's write is asynchronous; what is typed is also kept synchronously), offline too."""

from __future__ import annotations

from typing import Any

from tests.e2e.app import (
    offline_with_job,
    sync_now,
)
from tests.e2e.conftest import Office, Server


def test_record_text_typed_just_before_a_reload_is_kept_and_synced(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer4", "水泵异响")
    context, page = offline_with_job(browser, server.base, "engineer4", job["number"])
    page.click("[data-testid=go-record]")
    advice = "每季度检查润滑，雷雨天断电"
    page.locator("[data-testid=record-advice] textarea").fill(advice)
    page.reload()  # at once: well within the 0.7 s the record waits before queueing

    page.wait_for_selector("[data-testid=record-advice] textarea", timeout=30_000)
    page.wait_for_function(
        "t => document.querySelector('[data-testid=record-advice] textarea').value === t",
        arg=advice,
        timeout=30_000,
    )
    sync_now(context, page)
    assert office.detail(job["id"])["advice"] == advice
    assert page.page_errors == []
    context.close()

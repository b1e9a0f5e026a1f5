"""Two phones of one engineer edit the same job offline: the protocol's field-level merge."""

from __future__ import annotations

from typing import Any

from tests.e2e.app import add_part, back_to_job, offline_phones, sync_now, text_of
from tests.e2e.conftest import Office, Server


def _record(page: Any, job_id: str, values: dict[str, str]) -> None:
    page.click("[data-testid=go-record]")
    for field, text in values.items():
        page.locator(f"[data-testid=record-{field}] textarea").fill(text)
    page.wait_for_function(
        "document.querySelector('[data-testid=record-state]').textContent.includes('Saved')"
    )
    back_to_job(page, job_id)


def test_two_devices_merge_fields_keep_both_parts_and_raise_a_visible_conflict(
    browser: Any, server: Server
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer2", "冷却塔风机振动")
    part_a, part_b = (p["code"] for p in office.parts(4)[2:4])

    phones = offline_phones(browser, server.base, "engineer2", job["number"])
    (ctx_a, page_a), (ctx_b, page_b) = phones

    _record(page_a, job["id"], {"diagnosis": "A: bearing worn"})
    page_a.fill("[data-testid=note-field] textarea", "A: order a new bearing")
    page_a.click("[data-testid=note-field] button")
    page_a.click("[data-testid=go-parts]")
    add_part(page_a, part_a)
    back_to_job(page_a, job["id"])

    _record(page_b, job["id"], {"diagnosis": "B: fan blade loose", "cause": "B: bolts loosened"})
    page_b.click("[data-testid=go-parts]")
    add_part(page_b, part_b)
    back_to_job(page_b, job["id"])

    sync_now(ctx_a, page_a)
    sync_now(ctx_b, page_b)

    detail = office.detail(job["id"])
    # A's diagnosis arrived first; B's other-device edit of it is kept as a conflict, not lost.
    assert detail["diagnosis"] == "A: bearing worn"
    assert detail["cause"] == "B: bolts loosened"
    assert sorted(line["code"] for line in detail["part_lines"]) == sorted([part_a, part_b])
    assert [n["body"] for n in detail["notes"]] == ["A: order a new bearing"]
    conflicts = office.get(f"/api/conflicts?job_id={job['id']}")["items"]
    assert [(c["field"], c["server_value"], c["client_value"]) for c in conflicts] == [
        ("diagnosis", "A: bearing worn", "B: fan blade loose")
    ]

    # Phone B shows the conflict and, after the rebase, the server's merged record.
    page_b.wait_for_selector("[data-testid=conflict-list] .van-cell:has-text('diagnosis')")
    # Said in the engineer's words; the server's English reason is not repeated beneath.
    listed = text_of(page_b, "conflict-list")
    assert "You changed this on another phone meanwhile" in listed
    assert "changed meanwhile by this engineer" not in listed
    page_b.click(f"[data-testid=conflict-list] .van-cell:has-text('{job['number']}')")
    page_b.wait_for_selector("[data-testid=job-conflicts]")
    page_b.click("[data-testid=go-record]")
    assert (
        page_b.locator("[data-testid=record-diagnosis] textarea").input_value() == "A: bearing worn"
    )
    assert page_b.locator("[data-testid=record-cause] textarea").input_value() == (
        "B: bolts loosened"
    )
    for context, _ in phones:
        context.close()

"""The engineer's day without signal: everything recorded offline reaches the office intact."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pdf.canonical import content_from_json, content_sha256
from tests.e2e.app import (
    add_part,
    arrive,
    back_to_job,
    confirm_dialog,
    draw_signature,
    mark_work_done,
    offline_with_job,
    record,
    take_photo,
    text_of,
)
from tests.e2e.conftest import Office, Server

DIAGNOSIS = "压缩机烧毁 — contactor welded shut"
DRAINED = """() => ['pending-count', 'uploads-waiting'].every((id) =>
  document.querySelector(`[data-testid=${id}] .van-cell__value`).textContent.trim() === '0')"""
LOCAL_PHOTO_EDGES = (Path(__file__).parent / "photo_edges.js").read_text()


def _server_content_hash(detail: dict[str, Any]) -> str:
    """The server's canonical hash of the job as the office API shows it (pdf/canonical.py)."""
    site, asset = detail.get("site"), detail.get("asset")
    data = {
        "job": {
            "number": detail["job"]["number"],
            "fault_description": detail["job"]["fault_description"],
            **{k: detail[k] for k in ("diagnosis", "cause", "work_done", "advice")},
        },
        "customer": {"name": detail["customer"]["name"]},
        "site": {"name": site["name"], "address": site["address"]} if site else None,
        "asset": {"model": asset["model"], "serial": asset["serial"]} if asset else None,
        "part_lines": [
            {
                "id": line["id"],
                "part_code": line["code"],
                "part_name": line["name"],
                "unit": line["unit"],
                "quantity": str(line["quantity"]),
                "billing": line["billing"],
                "note": line["note"],
                "removed_at": None,
            }
            for line in detail["part_lines"]
        ],
        "photos": [
            {
                "id": p["id"],
                "blob_sha256": p["blob_sha256"],
                "category": p["category"],
                "caption": p["caption"],
                "removed_at": None,
            }
            for p in detail["photos"]
        ],
        "receipts": [
            {
                "id": r["id"],
                "item_description": r["item_description"],
                "serial": r["serial"],
                "fault": "",
                "accessories": "",
            }
            for r in detail["receipts"]
        ],
    }
    return content_sha256(content_from_json(data))


def _wait(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def test_work_done_offline_survives_a_reload_and_reaches_the_office_signed(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    office = Office(server.base)
    job = office.new_job("engineer1", "空调外机不制冷,报警代码E4")
    parts = office.parts(2)
    codes = [p["code"] for p in parts]

    context, page = offline_with_job(browser, server.base, "engineer1", job["number"])
    arrive(page)

    record(page, job["id"], "diagnosis", DIAGNOSIS)

    page.click("[data-testid=go-parts]")
    for code in codes:
        add_part(page, code)
    # The same part again: the app asks, and "add 1" puts one more on its line.
    page.fill("[data-testid=part-search] input", codes[0])
    page.click(f"[data-testid=add-{codes[0]}]")
    assert codes[0] in confirm_dialog(page)
    page.wait_for_function(
        "code => document.querySelector(`[data-testid=line-${code}] input`).value === '2'",
        arg=codes[0],
    )
    assert page.locator(f"[data-testid=line-{codes[0]}]").count() == 1
    assert page.locator("[data-testid=signed-notice]").count() == 0, "not signed yet"
    back_to_job(page, job["id"])

    page.click("[data-testid=go-photos]")
    for i, color in enumerate([(200, 30, 30), (30, 90, 200), (30, 200, 30)]):
        page.fill("[data-testid=photo-caption] input", f"photo {i + 1}")
        take_photo(page, color, 3000, 2000)
    # A wrong photo goes after a confirmation; another is corrected: category and caption.
    grid = page.locator("[data-testid=photo-grid] figure")
    grid.filter(has_text="photo 3").locator("[data-testid=photo-remove]").click()
    assert "Remove" in confirm_dialog(page)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=photo-grid] figure').length === 2"
    )
    grid.filter(has_text="photo 1").locator("[data-testid=photo-edit]").click()
    sheet = page.locator("[data-testid=photo-edit-sheet]")
    sheet.locator(".van-radio", has_text="Defect").click()
    sheet.locator("[data-testid=photo-edit-caption] input").fill("photo 1 corrected")
    sheet.locator("[data-testid=photo-edit-save]").click()
    grid.filter(has_text="photo 1 corrected").wait_for()
    back_to_job(page, job["id"])
    page.click("[data-testid=go-receipts]")
    page.fill("[data-testid=receipt-item] input", "控制主板")
    page.fill("[data-testid=receipt-serial] input", "CB-2231")
    page.click("[data-testid=receipt-add]")
    page.wait_for_selector("[data-testid=receipts] .van-cell:has-text('控制主板')")
    back_to_job(page, job["id"])
    mark_work_done(page)

    page.click("[data-testid=go-review]")
    device_hash = text_of(page, "content-hash")
    assert len(device_hash) == 64
    draw_signature(page, "customer")
    page.click("[data-testid=confirm-customer]")
    page.wait_for_selector("[data-testid=signed-customer]")
    draw_signature(page, "engineer")
    page.click("[data-testid=confirm-engineer]")
    page.wait_for_selector("[data-testid=signed-engineer]")
    page.locator("[data-testid=rate] .van-rate__item").nth(3).click()
    page.click("[data-testid=submit-rating]")
    page.wait_for_selector("[data-testid=rated]")

    # Offline reload: the service worker serves the shell; IndexedDB holds the work.
    page.reload()
    page.wait_for_selector("[data-testid=signed-customer]", timeout=30_000)
    assert text_of(page, "content-hash") == device_hash
    assert "4 / 5" in text_of(page, "rated")
    back_to_job(page, job["id"])
    page.click("[data-testid=go-record]")
    assert page.locator("[data-testid=record-diagnosis] textarea").input_value() == DIAGNOSIS
    # Signed: the record's screen says a change now needs the office's correction.
    assert "correction" in text_of(page, "signed-notice")
    page.click("[data-testid=sync-tab]")
    assert int(text_of(page, "pending-count").split()[-1]) >= 10
    # Nothing reached the server while offline.
    assert office.detail(job["id"])["diagnosis"] == ""

    context.set_offline(False)
    page.click("[data-testid=sync-now]")
    page.wait_for_function(DRAINED, timeout=60_000)
    assert "Nothing refused" in text_of(page, "failed-list")

    detail = _wait(
        lambda: (
            (d := office.detail(job["id"]))
            and all(p["uploaded"] for p in d["photos"])
            and len(d["photos"]) == 2
            and d
        ),
    )
    assert detail, "the photos' bytes never arrived"
    assert detail["job"]["status"] == "signed"
    assert detail["diagnosis"] == DIAGNOSIS
    assert sorted(line["code"] for line in detail["part_lines"]) == sorted(codes)
    quantities = {line["code"]: str(line["quantity"]) for line in detail["part_lines"]}
    assert quantities[codes[0]] in {"2", "2.000"}
    assert quantities[codes[1]] in {"1", "1.000"}
    # The removed photo is not on the job; the corrected one is as corrected.
    assert sorted(p["caption"] for p in detail["photos"]) == ["photo 1 corrected", "photo 2"]
    categories = {p["caption"]: p["category"] for p in detail["photos"]}
    assert categories["photo 1 corrected"] == "defect"
    roles = {s["signer_role"]: s for s in detail["signatures"]}
    assert set(roles) == {"customer", "engineer"}
    assert roles["customer"]["signer_name"] == "赵经理"
    assert all(s["content_sha256"] == device_hash for s in roles.values())
    assert all(s["png_sha256"] for s in roles.values())
    assert [(r["score"], r["source"]) for r in detail["satisfaction"]] == [(4, "on_site")]
    assert [(r["item_description"], r["serial"]) for r in detail["receipts"]] == [
        ("控制主板", "CB-2231")
    ]
    assert detail["receipts"][0]["number"].startswith("RR-")
    # The device hashed exactly what the server's canonical encoding gives for this job.
    assert _server_content_hash(detail) == device_hash

    # Each photo was shrunk on the device to at most 2048 px before it was kept and sent (the
    # removed one's bytes too: its record stays on the server, removed).
    edges = page.evaluate(LOCAL_PHOTO_EDGES)
    assert sorted(edges) == [2048, 2048, 2048], edges
    for photo in detail["photos"]:
        screen = httpx.get(
            f"{server.base}/api/blobs/{photo['blob_sha256']}?variant=screen",
            headers=office.headers,
        )
        assert screen.status_code == 200
    # The customer's signature made the server issue the signed PDF; the phone can open it.
    report = _wait(
        lambda: next(
            (r for r in office.get(f"/api/jobs/{job['id']}/reports") if r["status"] == "issued"),
            None,
        ),
        timeout=90,
    )
    assert report, office.get(f"/api/jobs/{job['id']}/reports")
    assert report["signed_content_sha256"] == device_hash
    pdf = httpx.get(f"{server.base}/api/reports/{report['id']}/pdf", headers=office.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    signature = PdfFileReader(io.BytesIO(pdf.content)).embedded_signatures[0]
    # pyHanko runs its own event loop; Playwright's sync API holds this thread's.
    with ThreadPoolExecutor(1) as pool:
        status = pool.submit(
            validate_pdf_signature, signature, ValidationContext(trust_roots=[])
        ).result()
    assert status.intact
    assert status.valid
    page.goto(f"{server.base}/app/jobs/{job['id']}/review")
    page.wait_for_selector("[data-testid=open-pdf]", timeout=30_000)
    with context.expect_page() as opened:
        page.click("[data-testid=open-pdf]")
    assert opened.value.url.startswith("blob:")
    assert page.page_errors == []
    context.close()

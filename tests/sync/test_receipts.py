"""Items taken back for repair: the office logs them in and out (docs/receipts.md), the phone
that took them sees where they are, and the period's register lists the moves."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from api.db import Database
from api.migrate import downgrade, upgrade
from api.models import ReceiptEvent
from api.settings import Settings
from sync.client import SyncClient
from tests.helpers import World, login

Register = Callable[..., Awaitable[str]]


async def _taken(
    new_job: Register, device: Callable[[str], SyncClient], **fields: Any
) -> tuple[str, str, SyncClient]:
    """A job whose engineer took an item back for repair: (job id, receipt id, the phone)."""
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    receipt_id = uuid.uuid4()
    phone.mutate(
        "receipt.add",
        id=receipt_id,
        job_id=job_id,
        item_description=fields.pop("item_description", "控制主板"),
        serial=fields.pop("serial", "CB-7"),
        fault="无显示",
        accessories="电源线一根",
        **fields,
    )
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied"
    return job_id, str(receipt_id), phone


async def _move(
    client: httpx.AsyncClient, headers: dict[str, str], receipt_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/receipts/{receipt_id}/moves", json=body, headers=headers)


async def test_the_desk_logs_an_item_in_and_out_and_the_phone_sees_it(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id, receipt_id, phone = await _taken(new_job, device)
    listed = (await client.get("/api/receipts?open=true", headers=desk)).json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert (item["id"], item["job_id"], item["status"]) == (receipt_id, job_id, "taken")
    assert item["number"].startswith("RR")
    assert (item["customer_name"], item["taken_by_name"]) == (world.customer.name, "Wang")
    assert [e["direction"] for e in item["events"]] == ["taken"]

    inbound = await _move(client, desk, receipt_id, to="in_workshop", note="车间收到")
    assert inbound.status_code == 200, inbound.text
    assert inbound.json()["status"] == "in_workshop"
    assert inbound.json()["in_workshop_at"] is not None
    back = await _move(client, desk, receipt_id, to="returned", note="修复交还")
    assert back.status_code == 200, back.text
    done = back.json()
    assert done["status"] == "returned"
    assert done["returned_at"] is not None
    assert [(e["direction"], e["note"], e["by_name"]) for e in done["events"][1:]] == [
        ("in", "车间收到", "Desk"),
        ("out", "修复交还", "Desk"),
    ]
    assert (await client.get("/api/receipts?open=true", headers=desk)).json()["total"] == 0
    returned = (await client.get("/api/receipts?status=returned", headers=desk)).json()
    assert [r["id"] for r in returned["items"]] == [receipt_id]

    await phone.pull()
    held = phone.get("repair_receipts", receipt_id)
    assert held is not None
    assert held["status"] == "returned"
    assert held["returned_at"] is not None
    fresh = device("wang")
    await fresh.pull()
    assert fresh.server == phone.server


async def _undo(
    client: httpx.AsyncClient, headers: dict[str, str], receipt_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/receipts/{receipt_id}/undo", json=body, headers=headers)


async def test_a_mistaken_move_is_taken_back_with_a_reason(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, receipt_id, _ = await _taken(new_job, device)
    nothing = await _undo(client, desk, receipt_id, note="x")
    assert nothing.status_code == 409, "nothing of the office's to take back"
    assert nothing.json()["params"] == {"status": "taken"}
    assert (await _move(client, desk, receipt_id, to="returned")).status_code == 200
    silent = await _undo(client, desk, receipt_id, note=" ")
    assert silent.status_code == 400
    assert silent.json()["code"] == "reason_needed"
    assert (await client.get(f"/api/receipts/{receipt_id}", headers=desk)).json()[
        "undo_to"
    ] == "taken"
    undone = await _undo(client, desk, receipt_id, note="点错了")
    assert undone.status_code == 200, undone.text
    item = undone.json()
    assert (item["status"], item["returned_at"]) == ("taken", None)
    assert [e["direction"] for e in item["events"]] == ["taken", "out", "undo"]
    assert item["undo_to"] is None
    assert item["earliest_move_at"] == item["events"][-1]["at"], "not before the undo"
    assert (await _undo(client, desk, receipt_id, note="again")).status_code == 409
    assert (await _move(client, desk, receipt_id, to="in_workshop")).status_code == 200
    twice = await _move(client, desk, receipt_id, to="in_workshop")
    assert twice.status_code == 409
    assert twice.json()["params"] == {"status": "in_workshop"}
    assert (await _move(client, desk, receipt_id, to="returned")).status_code == 200
    # Taking back the return leaves the item in the workshop, where it was.
    again = await _undo(client, desk, receipt_id, note="客户未取走")
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "in_workshop"
    assert again.json()["in_workshop_at"] is not None
    assert again.json()["undo_to"] == "taken"
    assert [e["direction"] for e in again.json()["events"]] == [
        "taken", "out", "undo", "in", "out", "undo"
    ]  # fmt: skip
    # Undo goes one step at a time: the "in" next, then nothing.
    assert (await _undo(client, desk, receipt_id, note="两步")).json()["status"] == "taken"
    assert (await _undo(client, desk, receipt_id, note="三步")).status_code == 409


async def test_a_move_from_a_stale_screen_never_undoes_a_colleague_s_move(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, receipt_id, _ = await _taken(new_job, device)
    seen = (await client.get(f"/api/receipts/{receipt_id}", headers=desk)).json()
    boss = await login(client, "boss")
    assert (await _move(client, boss, receipt_id, to="in_workshop")).status_code == 200
    assert (await _move(client, boss, receipt_id, to="returned")).status_code == 200
    # The desk's screen still says "taken": its "received in workshop" is refused, not an undo.
    stale = await _move(client, desk, receipt_id, to="in_workshop", note="收到,外壳有划痕")
    assert stale.status_code == 409
    assert stale.json()["params"] == {"status": "returned"}
    versioned = await _move(
        client, desk, receipt_id, to="returned", version=seen["version"], note="交还"
    )
    assert versioned.status_code == 409
    assert versioned.json()["code"] == "changed_meanwhile"
    undo = await _undo(client, desk, receipt_id, note="x", version=seen["version"])
    assert undo.status_code == 409
    assert undo.json()["code"] == "changed_meanwhile"
    item = (await client.get(f"/api/receipts/{receipt_id}", headers=desk)).json()
    assert [e["direction"] for e in item["events"]] == ["taken", "in", "out"]


async def test_the_time_of_a_move_must_follow_the_last_and_not_be_ahead(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, receipt_id, _ = await _taken(new_job, device)
    item = (await client.get(f"/api/receipts/{receipt_id}", headers=desk)).json()
    taken = datetime.fromisoformat(item["taken_at"])
    early = await _move(
        client, desk, receipt_id, to="in_workshop", at=(taken - timedelta(hours=1)).isoformat()
    )
    assert early.status_code == 400
    assert early.json()["code"] == "move_time"
    assert datetime.fromisoformat(early.json()["params"]["earliest"]) == taken
    ahead = datetime.now(UTC) + timedelta(hours=2)
    late = await _move(client, desk, receipt_id, to="in_workshop", at=ahead.isoformat())
    assert late.status_code == 400
    assert late.json()["code"] == "move_time"
    slack = datetime.now(UTC) + timedelta(minutes=2)
    # A desk clock a little ahead: taken as now.
    naive = await _move(client, desk, receipt_id, to="in_workshop", at="2026-11-28T10:00:00")
    assert naive.status_code == 400
    when = taken + timedelta(milliseconds=1)
    fine = await _move(client, desk, receipt_id, to="in_workshop", at=when.isoformat())
    assert fine.status_code == 200, fine.text
    assert datetime.fromisoformat(fine.json()["in_workshop_at"]) == when
    # Not before the log's latest line: the register, by time, reads as the log was written.
    before_in = await _move(client, desk, receipt_id, to="returned", at=taken.isoformat())
    assert before_in.status_code == 400
    assert datetime.fromisoformat(before_in.json()["params"]["earliest"]) == when
    back = await _move(client, desk, receipt_id, to="returned", at=slack.isoformat())
    assert back.status_code == 200, back.text
    assert datetime.fromisoformat(back.json()["returned_at"]) < slack


async def test_who_may_read_and_move_receipts(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    world: World,
) -> None:
    _, receipt_id, _ = await _taken(new_job, device)
    quality = await login(client, "qa")
    engineer = await login(client, "wang")
    assert (await client.get("/api/receipts", headers=quality)).status_code == 200
    assert (await _move(client, quality, receipt_id, to="in_workshop")).status_code == 403
    assert (await client.get("/api/receipts", headers=engineer)).status_code == 403
    assert (await _move(client, engineer, receipt_id, to="in_workshop")).status_code == 403
    boss = await login(client, "boss")
    assert (await _move(client, boss, receipt_id, to="in_workshop")).status_code == 200
    missing = await _move(client, boss, str(uuid.uuid4()), to="in_workshop")
    assert missing.status_code == 404
    assert missing.json()["params"] == {"what": "receipt"}
    bad = await _move(client, boss, receipt_id, to="lost")
    assert bad.status_code == 400


async def test_promised_date_overdue_and_search(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, late_id, _ = await _taken(
        new_job, device, serial="SN-LATE", promised_at="2026-01-05T10:00:00+08:00"
    )
    _, other_id, _ = await _taken(new_job, device, item_description="变频器", serial="SN-2")
    overdue = (await client.get("/api/receipts?overdue=true", headers=desk)).json()
    assert [r["id"] for r in overdue["items"]] == [late_id]
    assert overdue["items"][0]["overdue"] is True
    found = (await client.get("/api/receipts?q=sn-late", headers=desk)).json()
    assert [r["id"] for r in found["items"]] == [late_id]
    found = (await client.get("/api/receipts?q=变频", headers=desk)).json()
    assert [r["id"] for r in found["items"]] == [other_id]

    item = (await client.get(f"/api/receipts/{late_id}", headers=desk)).json()
    taken = datetime.fromisoformat(item["taken_at"])
    for slip in (taken - timedelta(days=1), taken + timedelta(days=3700)):
        refused = await client.patch(
            f"/api/receipts/{late_id}", json={"promised_at": slip.isoformat()}, headers=desk
        )
        assert refused.status_code == 400, slip
    later = (taken + timedelta(days=30)).astimezone(ZoneInfo("Asia/Shanghai"))
    moved = await client.patch(
        f"/api/receipts/{late_id}",
        json={"promised_at": later.isoformat(), "version": item["version"]},
        headers=desk,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["overdue"] is False
    assert datetime.fromisoformat(moved.json()["promised_at"]) == later
    not_late = (await client.get("/api/receipts?overdue=false", headers=desk)).json()
    assert {r["id"] for r in not_late["items"]} == {late_id, other_id}
    stale = await client.patch(
        f"/api/receipts/{late_id}",
        json={"promised_at": None, "version": item["version"]},
        headers=desk,
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "changed_meanwhile"
    assert (await _move(client, desk, late_id, to="returned")).status_code == 200
    closed = await client.patch(
        f"/api/receipts/{late_id}", json={"promised_at": None}, headers=desk
    )
    assert closed.status_code == 409
    assert closed.json()["code"] == "receipt_status"
    unknown = await client.patch(f"/api/receipts/{late_id}", json={"status": "x"}, headers=desk)
    assert unknown.status_code == 400


async def test_the_register_lists_the_period_s_ins_and_outs(
    client: httpx.AsyncClient,
    settings: Settings,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, receipt_id, _ = await _taken(new_job, device, item_description="水泵电机")
    assert (await _move(client, desk, receipt_id, to="in_workshop", note="收")).status_code == 200
    assert (await _move(client, desk, receipt_id, to="returned")).status_code == 200
    assert (await _undo(client, desk, receipt_id, note="错\x07")).status_code == 200
    item = (await client.get(f"/api/receipts/{receipt_id}", headers=desk)).json()
    out_at = datetime.fromisoformat(item["events"][2]["at"])
    zone = ZoneInfo(settings.calendar.timezone)
    month = datetime.now(ZoneInfo(settings.calendar.timezone)).strftime("%Y-%m")
    answer = await client.get(f"/api/receipts/register.xlsx?period={month}", headers=desk)
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[0] == f"Time 时间 ({settings.calendar.timezone})"
    assert [(r[1], r[2], r[4], r[9], r[10]) for r in rows] == [
        ("In 入", item["number"], "水泵电机", "收", None),
        ("Out 出", item["number"], "水泵电机", None, None),
        # A control character cannot go into a workbook: replaced, not a failed register.
        (
            "Cancelled 撤销",
            item["number"],
            "水泵电机",
            "错\ufffd",
            f"Out 出 {out_at.astimezone(zone):%Y-%m-%d %H:%M}",
        ),
    ]
    empty = await client.get("/api/receipts/register.xlsx?period=2001-02", headers=desk)
    sheet = load_workbook(io.BytesIO(empty.content)).active
    assert sheet is not None
    assert sheet.max_row == 1
    bad = await client.get("/api/receipts/register.xlsx?period=2026-13", headers=desk)
    assert bad.status_code == 400


async def _lines(db: Database) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = await session.execute(
            select(ReceiptEvent.direction, ReceiptEvent.note).order_by(ReceiptEvent.id)
        )
        return [(direction, note) for direction, note in rows]


async def test_0015_marks_the_line_written_at_taking(
    db_url: str,
    db: Database,
    client: httpx.AsyncClient,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    _, receipt_id, _ = await _taken(new_job, device)
    assert (await _move(client, desk, receipt_id, to="in_workshop", note="车间")).status_code == 200
    await db.dispose()
    downgrade(db_url, "0014")
    # As earlier versions wrote it: the line of the taking said "in".
    assert await _lines(db) == [("in", "taken from site"), ("in", "车间")]
    await db.dispose()
    upgrade(db_url)
    assert await _lines(db) == [("taken", ""), ("in", "车间")]


def test_the_customer_s_page_words_any_promise_a_phone_sent() -> None:
    from api.domain.reports.public import _where
    from api.models import ReceiptStatus, RepairReceipt

    end = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    receipt = RepairReceipt(
        number="RR-2026-000001",
        item_description="主板",
        serial="",
        status=ReceiptStatus.TAKEN,
        promised_at=end,
    )
    assert _where(receipt, "Asia/Shanghai")["when"] == "预计 Promised 9999-12-31"


async def test_a_receipt_written_by_mistake_is_withdrawn_and_can_be_restored(
    client: httpx.AsyncClient,
    settings: Settings,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id, receipt_id, phone = await _taken(new_job, device, serial="DUP-1")
    _, kept_id, _ = await _taken(new_job, device, serial="KEEP-1")
    withdraw = f"/api/receipts/{receipt_id}/withdraw"
    silent = await client.post(withdraw, json={"note": ""}, headers=desk)
    assert silent.status_code == 400
    assert silent.json()["code"] == "reason_needed"
    done = await client.post(withdraw, json={"note": "重复录入"}, headers=desk)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "void"
    assert done.json()["undo_to"] == "taken"
    assert [e["direction"] for e in done.json()["events"]] == ["taken", "void"]
    # Done with: not in the open list, not overdue, no moves, no new promise.
    open_ids = [
        r["id"] for r in (await client.get("/api/receipts?open=true", headers=desk)).json()["items"]
    ]
    assert open_ids == [kept_id]
    assert (await _move(client, desk, receipt_id, to="in_workshop")).status_code == 409
    promise = await client.patch(
        f"/api/receipts/{receipt_id}", json={"promised_at": None}, headers=desk
    )
    assert promise.status_code == 409
    # The phone learns it; the customer's page no longer lists it.
    await phone.pull()
    assert phone.get("repair_receipts", receipt_id)["status"] == "void"
    link = await client.post(f"/api/jobs/{job_id}/report-links", json={"days": 7}, headers=desk)
    page = await client.get(f"/r/{link.json()['token']}")
    assert "DUP-1" not in page.text
    # A withdrawal by mistake is taken back like any move; neither is a line of the register.
    restored = await _undo(client, desk, receipt_id, note="不是重复")
    assert restored.json()["status"] == "taken"
    assert "DUP-1" in (await client.get(f"/r/{link.json()['token']}")).text
    month = datetime.now(ZoneInfo(settings.calendar.timezone)).strftime("%Y-%m")
    book = await client.get(f"/api/receipts/register.xlsx?period={month}", headers=desk)
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert sheet.max_row == 1, "no in, out or cancelling line"
    moved = await client.post(withdraw, json={"note": "x"}, headers=desk)
    assert moved.status_code == 200
    assert (await _undo(client, desk, receipt_id, note="y")).status_code == 200
    assert (await _move(client, desk, receipt_id, to="in_workshop")).status_code == 200
    late = await client.post(withdraw, json={"note": "z"}, headers=desk)
    assert late.status_code == 409, "logged in: the item came; a receipt for it stands"

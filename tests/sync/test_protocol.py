"""Protocol rules: versions, clocks, sequences, cursors, resync and concurrent pushes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from api.db import Database
from api.domain.sync.maintenance import prune_feed
from sync.client import SyncClient
from tests.helpers import World
from tests.sync.conftest import Register

Device = Callable[[str], SyncClient]


async def _raw_push(phone: SyncClient, body: dict[str, object]) -> httpx.Response:
    if phone.access_token is None:
        await phone.login()
    return await phone.http.post(
        "/api/sync/push", json=body, headers={"Authorization": f"Bearer {phone.access_token}"}
    )


def _body(phone: SyncClient, *mutations: dict[str, object]) -> dict[str, object]:
    """A push body from ``phone`` carrying ``mutations`` as given."""
    return {
        "device_id": str(phone.device_id),
        "sent_at": datetime.now(UTC).isoformat(),
        "mutations": list(mutations),
    }


def _envelope(seq: int, name: str, **args: object) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "name": name,
        "at": datetime.now(UTC).isoformat(),
        "args": args,
    }


async def test_a_newer_app_with_unknown_fields_and_mutations_is_still_accepted(
    new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = {
        "protocol": 7,
        "app_version": "9.9.9",
        "device_id": str(phone.device_id),
        "sent_at": datetime.now(UTC).isoformat(),
        "future_field": {"x": 1},
        "mutations": [
            {
                **_envelope(
                    1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="hi", colour="red"
                ),
                "priority": "high",
            },
            _envelope(2, "job.teleport", job_id=job_id),
            _envelope(3, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="there"),
        ],
    }
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "unknown mutation 'job.teleport'" in results[1]["reason"]


async def test_malformed_arguments_reject_only_that_mutation(
    new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = _body(
        phone,
        _envelope(1, "note.add", id="not-a-uuid", job_id=job_id, body="x"),
        {**_envelope(2, "note.add"), "args": "garbage"},
        _envelope(3, "satisfaction.add", id=str(uuid.uuid4()), job_id=job_id, score=9),
        _envelope(4, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="fine"),
    )
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
    assert "invalid arguments" in results[0]["reason"]
    assert "args must be an object" in results[1]["reason"]
    assert "<= 5" in results[2]["reason"]
    assert response.json()["last_seq"] == 4


async def test_a_sequence_reused_by_another_mutation_is_refused(
    new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    first = _envelope(1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="a")
    body = {"device_id": str(phone.device_id), "sent_at": datetime.now(UTC).isoformat()}
    await _raw_push(phone, {**body, "mutations": [first]})
    clash = _envelope(1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="b")
    again = await _raw_push(phone, {**body, "mutations": [clash]})
    (result,) = again.json()["results"]
    assert result["status"] == "rejected"
    assert "already used" in result["reason"]
    same_id = {**first, "seq": 2}
    dup = await _raw_push(phone, {**body, "mutations": [same_id]})
    assert dup.json()["results"][0]["status"] == "duplicate"


async def test_a_late_push_overtaken_by_a_newer_one_is_still_applied(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = {"device_id": str(phone.device_id), "sent_at": datetime.now(UTC).isoformat()}
    late = [
        _envelope(s, "note.add", id=str(uuid.uuid4()), job_id=job_id, body=f"n{s}") for s in (1, 2)
    ]
    early = [
        _envelope(s, "note.add", id=str(uuid.uuid4()), job_id=job_id, body=f"n{s}") for s in (3, 4)
    ]
    assert (await _raw_push(phone, {**body, "mutations": early})).status_code == 200
    answer = (await _raw_push(phone, {**body, "mutations": late})).json()
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert answer["last_seq"] == 4
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert sorted(n["body"] for n in detail["notes"]) == ["n1", "n2", "n3", "n4"]


async def test_device_clocks_are_recorded_and_skew_is_flagged(
    client: httpx.AsyncClient, world: World, new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    phone.clock_skew = timedelta(minutes=-12)
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="slow clock")
    answer = await phone.push()
    assert answer is not None
    assert answer.clock_skewed is True
    assert -12 * 60_000 - 5_000 < answer.clock_offset_ms < -12 * 60_000 + 5_000
    honest = device("wang")
    honest.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="good clock")
    answer = await honest.push()
    assert answer is not None
    assert answer.clock_skewed is False


async def test_a_device_row_is_rewritten_when_its_clock_moves_not_on_every_push(
    world: World, new_job: Register, device: Device, db: Database
) -> None:
    from sqlalchemy import func, select

    from api.models import AuditLog
    from api.models import Device as DeviceRow

    job_id = await new_job()
    phone = device("wang")

    async def device_edits() -> int:
        async with db.read() as session:
            query = select(func.count()).where(
                AuditLog.entity == "devices",
                AuditLog.entity_id == str(phone.device_id),
                AuditLog.action == "update",
            )
            return int(await session.scalar(query) or 0)

    for n in range(3):
        phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body=f"steady {n}")
        assert await phone.push() is not None
    assert await device_edits() == 1  # the first push recorded the offset; the others agree
    phone.clock_skew = timedelta(minutes=7)
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="the clock jumped")
    answer = await phone.push()
    assert answer is not None
    assert answer.clock_skewed
    assert await device_edits() == 2
    async with db.read() as session:
        row = await session.get(DeviceRow, phone.device_id)
        assert row is not None
        assert row.clock_offset_ms is not None
        assert abs(row.clock_offset_ms - 7 * 60_000) < 5_000


async def test_a_push_for_another_device_is_refused(new_job: Register, device: Device) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = {
        "device_id": str(uuid.uuid4()),
        "sent_at": datetime.now(UTC).isoformat(),
        "mutations": [_envelope(1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="x")],
    }
    response = await _raw_push(phone, body)
    assert response.status_code == 403


async def test_a_cursor_older_than_the_kept_feed_resyncs_and_keeps_the_outbox(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="queued offline")
    await client.patch(
        f"/api/jobs/{job_id}", json={"office_notes": "after the cursor"}, headers=desk
    )
    async with db.write() as session:
        removed = await prune_feed(
            session, now=datetime.now(UTC) + timedelta(days=1), keep=timedelta(0)
        )
    assert removed > 0
    await phone.pull()
    assert phone.resyncs == 1
    assert len(phone.outbox) == 1, "a resync never drops queued work"
    assert phone.get("jobs", job_id)["office_notes"] == "after the cursor"
    await phone.sync()
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [n["body"] for n in detail["notes"]] == ["queued offline"]


async def test_a_forged_cursor_is_a_400(device: Device, world: World) -> None:
    phone = device("wang")
    await phone.login()
    response = await phone.http.get(
        "/api/sync/pull",
        params={"cursor": "bm90LWEtY3Vyc29y"},
        headers={"Authorization": f"Bearer {phone.access_token}"},
    )
    assert response.status_code == 400
    assert "not one this server made" in response.json()["detail"]


async def test_pull_pages_follow_the_feed_without_gaps(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    for i in range(25):
        await client.patch(f"/api/jobs/{job_id}", json={"office_notes": f"v{i}"}, headers=desk)
    pages = 0
    seqs: list[int] = []
    while True:
        response = await phone._call(
            "GET", "/api/sync/pull", params={"cursor": phone.cursor, "limit": 4}
        )
        body = response.json()
        seqs += [i["seq"] for i in body["items"] if i.get("seq")]
        phone.cursor = body["cursor"]
        pages += 1
        if not body["has_more"]:
            break
    assert pages >= 6
    assert seqs == sorted(seqs)


async def test_a_pulled_part_carries_its_english_unit_and_its_changes(
    client: httpx.AsyncClient, world: World, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    part = (
        await client.post(
            "/api/parts",
            json={
                "code": "CMP-3",
                "name": "压缩机 3匹",
                "name_en": "Compressor 3 HP",
                "unit": "台",
                "unit_en": "set",
            },
            headers=desk,
        )
    ).json()
    phone = device("wang")
    await phone.pull()
    pulled = phone.get("parts", part["id"])
    assert pulled is not None
    assert (pulled["unit"], pulled["unit_en"]) == ("台", "set")
    await client.patch(f"/api/parts/{part['id']}", json={"unit_en": "unit"}, headers=desk)
    await phone.pull()
    assert phone.get("parts", part["id"])["unit_en"] == "unit"
    # The office console's job screens show it on the job's part lines.
    job_id = await new_job()
    phone.mutate(
        "part_line.add",
        id=uuid.uuid4(),
        job_id=job_id,
        part_id=part["id"],
        quantity="2",
        billing="chargeable",
    )
    await phone.sync()
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [(p["unit"], p["unit_en"]) for p in detail["part_lines"]] == [("台", "unit")]
    assert [(p["name"], p["name_en"]) for p in detail["part_lines"]] == [
        ("压缩机 3匹", "Compressor 3 HP")
    ]


async def test_twenty_parallel_pushes_on_one_job_lose_no_update(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    part = (
        await client.post(
            "/api/parts", json={"code": "P-20", "name": "螺栓", "price": "1"}, headers=desk
        )
    ).json()
    job_id = await new_job()
    phones = [device("wang") for _ in range(20)]
    for i, phone in enumerate(phones):
        await phone.login()
        phone.mutate(
            "part_line.add",
            id=uuid.uuid4(),
            job_id=job_id,
            part_id=part["id"],
            quantity="1",
            billing="chargeable",
        )
        phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body=f"phone {i}")
    answers = await asyncio.gather(*(p.push() for p in phones))
    assert all(a is not None and [r.status for r in a.results] == ["applied"] * 2 for a in answers)
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert len(detail["part_lines"]) == 20
    assert sorted(n["body"] for n in detail["notes"]) == sorted(f"phone {i}" for i in range(20))
    vans = (await client.get("/api/stock/locations", headers=desk)).json()
    van = next(v for v in vans if v["engineer_id"] == str(world.engineer.id))
    levels = (await client.get(f"/api/stock/locations/{van['id']}/levels", headers=desk)).json()
    assert [Decimal(x["quantity"]) for x in levels] == [Decimal(-20)]


async def test_two_phones_of_one_engineer_using_parts_in_opposite_orders_never_deadlock(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    """Two phones of one engineer push part lines from the same van at once, on different
    jobs, naming the same parts in opposite orders. On PostgreSQL each van stock row is
    locked as it is updated; taken in opposite orders they could deadlock (one push then
    fails with 503 and is retried). The van is locked first, so the pushes take turns."""
    parts = [
        (
            await client.post(
                "/api/parts", json={"code": f"P-D{i}", "name": f"件{i}", "price": "1"}, headers=desk
            )
        ).json()["id"]
        for i in range(6)
    ]
    jobs = [await new_job(), await new_job()]
    phones = [device("wang"), device("wang")]
    for phone in phones:
        await phone.login()
    rounds = 8
    for n in range(rounds):
        for i, phone in enumerate(phones):
            for part in parts if (i + n) % 2 == 0 else parts[::-1]:
                phone.mutate(
                    "part_line.add",
                    id=uuid.uuid4(),
                    job_id=jobs[i],
                    part_id=part,
                    quantity="1",
                    billing="chargeable",
                )
        answers = await asyncio.gather(*(p.push() for p in phones))
        for answer in answers:
            assert answer is not None
            assert [r.status for r in answer.results] == ["applied"] * len(parts)
    vans = (await client.get("/api/stock/locations", headers=desk)).json()
    van = next(v for v in vans if v["engineer_id"] == str(world.engineer.id))
    levels = (await client.get(f"/api/stock/locations/{van['id']}/levels", headers=desk)).json()
    assert [Decimal(x["quantity"]) for x in levels] == [Decimal(-2 * rounds)] * len(parts)


async def test_nul_characters_reject_the_mutation_not_the_push(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = _body(
        phone,
        _envelope(1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="bad\x00text"),
        _envelope(2, "note\x00.add", id=str(uuid.uuid4()), job_id=job_id, body="x"),
        _envelope(3, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="fine"),
    )
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "NUL" in results[0]["reason"]


async def test_what_the_database_would_alter_is_refused_with_its_reason(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # A fourth decimal was rounded away by the column, so the report's hash, made on the
    # phone from the text, never matched; a hash with a line break after it passed the
    # pattern ("$" matches before a final newline) and then failed the whole push on
    # PostgreSQL (too long for its column) on every retry.
    part = (
        await client.post("/api/parts", json={"code": "P-9", "name": "垫片"}, headers=desk)
    ).json()
    job_id = await new_job()
    phone = device("wang")
    line = str(uuid.uuid4())

    def add(seq: int, quantity: str, ident: str | None = None) -> dict[str, object]:
        return _envelope(
            seq,
            "part_line.add",
            id=ident or str(uuid.uuid4()),
            job_id=job_id,
            part_id=part["id"],
            quantity=quantity,
            billing="warranty",
        )

    body = _body(
        phone,
        add(1, "0.0005"),
        add(2, "1e2"),
        add(3, " 2"),
        add(4, "2.500", line),
        _envelope(5, "part_line.change", id=line, fields={"quantity": "1.2345"}),
        _envelope(6, "part_line.change", id=line, fields={"quantity": "1.2500"}),
        _envelope(
            7,
            "photo.add",
            id=str(uuid.uuid4()),
            job_id=job_id,
            blob_sha256="a" * 64 + "\n",
            category="before",
        ),
        _envelope(8, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="after them"),
    )
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["rejected"] * 3 + ["applied", "rejected", "applied", "rejected", "applied"]
    assert "more than 3 decimals" in results[0]["reason"]
    assert all("not a number like 2 or 1.5" in r["reason"] for r in results[1:3]), results
    assert "more than 3 decimals" in results[4]["reason"]
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [Decimal(x["quantity"]) for x in detail["part_lines"]] == [Decimal("1.25")]
    assert detail["photos"] == []


async def test_a_time_without_a_zone_rejects_its_mutation_not_the_push(
    new_job: Register, device: Device
) -> None:
    # EXIF times carry no zone. A photo record with one took the bulk path and failed the
    # whole push with 500, every time it was retried, blocking the outbox behind it.
    job_id = await new_job()
    phone = device("wang")
    naive = "2026-11-26T10:19:41"
    body = _body(
        phone,
        _envelope(
            1,
            "photo.add",
            id=str(uuid.uuid4()),
            job_id=job_id,
            blob_sha256="a" * 64,
            category="before",
            taken_at=naive,
        ),
        _envelope(
            2,
            "receipt.add",
            id=str(uuid.uuid4()),
            job_id=job_id,
            item_description="主板",
            promised_at=naive,
        ),
        _envelope(3, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="after them"),
    )
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert all("timezone" in r["reason"] for r in results[:2]), results


async def test_a_sequence_number_beyond_what_a_phone_can_count_is_a_clear_400(
    new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    body = _body(phone, _envelope(2**63, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="a"))
    response = await _raw_push(phone, body)
    assert response.status_code == 400, response.text
    assert "seq" in response.text


async def test_the_same_envelope_twice_in_one_push_is_answered_as_its_replay(
    new_job: Register, device: Device
) -> None:
    # Protocol 4.5: the second copy gets the first one's result, replayed. A client matching
    # results by id must not have a rejection overwritten by a bare "duplicate".
    job_id = await new_job()
    phone = device("wang")
    note = _envelope(1, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="once")
    refused = _envelope(2, "note.add", id=str(uuid.uuid4()), job_id=job_id)  # no body
    body = _body(phone, note, refused, note, refused)
    results = (await _raw_push(phone, body)).json()["results"]
    assert [(r["status"], r.get("replayed", False)) for r in results] == [
        ("applied", False),
        ("rejected", False),
        ("applied", True),
        ("rejected", True),
    ]
    assert results[3]["reason"] == results[1]["reason"]
    await phone.pull()
    assert [v["body"] for (e, _), v in phone.replica.items() if e == "notes"] == ["once"]


async def test_a_time_that_does_not_exist_in_utc_rejects_its_mutation_not_the_push(
    new_job: Register, device: Device
) -> None:
    # Year 1 at +14:00 is before the first instant a database column holds.
    job_id = await new_job()
    phone = device("wang")
    too_early = "0001-01-01T00:30:00+14:00"
    photo = _envelope(
        1,
        "photo.add",
        id=str(uuid.uuid4()),
        job_id=job_id,
        blob_sha256="b" * 64,
        category="before",
        taken_at=too_early,
    )
    early_note = _envelope(2, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="x")
    early_note["at"] = too_early
    body = _body(
        phone,
        photo,
        early_note,
        _envelope(3, "note.add", id=str(uuid.uuid4()), job_id=job_id, body="fine"),
    )
    response = await _raw_push(phone, body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert [r["reason"] for r in results[:2]] == [
        "invalid arguments: taken_at is out of range",
        "`at` is out of range",
    ]

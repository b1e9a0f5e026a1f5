"""Clashes between offline work and the office: nothing lost, the office decides, devices
learn the decision at their next sync."""

from __future__ import annotations

import hashlib
import itertools
import types
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from api.db import Database
from api.domain.jobs.services import retire_cancelled
from api.domain.sync import handlers
from api.media.signatures import render_png
from sync.client import SyncClient
from tests.helpers import World
from tests.sync.conftest import Register, customer_signs, signature

Device = Callable[[str], SyncClient]
STROKES = signature(0)
OTHER = signature(5)
HASH = "a" * 64


async def conflicts(client: httpx.AsyncClient, desk: dict[str, str], **params: str) -> list[dict]:
    response = await client.get("/api/conflicts", params=params, headers=desk)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_work_done_after_the_office_cancelled_keeps_the_work_and_raises_a_conflict(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.record", job_id=job_id, fields={"diagnosis": "水泵轴承损坏"})
    phone.mutate("note.add", id=uuid.uuid4(), job_id=job_id, body="已更换轴承")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户来电取消"}, headers=desk)

    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["conflict", "applied", "applied", "conflict"]
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "cancelled"
    assert detail["diagnosis"] == "水泵轴承损坏", "the work is kept"
    assert detail["notes"][0]["body"] == "已更换轴承"

    open_ = await conflicts(client, desk, job_id=job_id)
    done = next(c for c in open_ if c["client_value"] == "work_done")
    assert done["server_value"] == "cancelled"
    assert done["field"] == "status"
    assert done["policy"] == "state_machine"
    assert "cannot move a job from cancelled to work_done" in done["reason"]

    resolved = await client.post(
        f"/api/conflicts/{done['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    await phone.pull()
    assert phone.get("jobs", job_id)["status"] == "work_done"
    assert phone.get("sync_conflicts", done["id"])["status"] == "resolved"


async def test_a_stale_status_decision_never_moves_the_job_backwards(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户来电取消"}, headers=desk)
    await phone.push()
    clashes = {c["client_value"]: c for c in await conflicts(client, desk, job_id=job_id)}
    assert {c["server_value"] for c in clashes.values()} == {"cancelled"}

    # The desk keeps the engineer's finished work: the job is no longer cancelled.
    done = await client.post(
        f"/api/conflicts/{clashes['work_done']['id']}/resolve",
        json={"choice": "client"},
        headers=desk,
    )
    assert done.status_code == 200, done.text
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"
    assert (detail["cancelled_at"], detail["cancel_reason"]) == (None, "")

    # The older clash (on site, over "cancelled") no longer describes the job: taking its
    # device value would move a finished job back on site. Refused, nothing changes.
    stale = await client.post(
        f"/api/conflicts/{clashes['on_site']['id']}/resolve",
        json={"choice": "client"},
        headers=desk,
    )
    assert stale.status_code == 409, stale.text
    assert (stale.json()["code"], stale.json()["params"]) == (
        "stale_decision",
        {"status": "work_done"},
    )
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"
    kept = await client.post(
        f"/api/conflicts/{clashes['on_site']['id']}/resolve",
        json={"choice": "server"},
        headers=desk,
    )
    assert kept.status_code == 200, kept.text
    assert await conflicts(client, desk, job_id=job_id) == []
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"


async def test_an_old_status_decision_never_undoes_work_done_since(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    # A: the phone's "on site" met the cancellation; the desk took the job up again, and the
    # engineer finished it online. B: a former assignee's "on site" met the new engineer's
    # finished work. Taking either device value would send a finished job back on site.
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "误取消"}, headers=desk)
    phone.mutate("job.status", job_id=job_id, to="on_site")
    await phone.push()
    (old,) = await conflicts(client, desk, job_id=job_id)
    assert (old["server_value"], old["client_value"]) == ("cancelled", "on_site")
    assert (await client.post(f"/api/jobs/{job_id}/uncancel", headers=desk)).is_success
    assigned = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert assigned.status_code == 200, assigned.text
    await phone.pull()
    for status in ("on_site", "work_done"):
        phone.mutate("job.status", job_id=job_id, to=status)
    await phone.sync()
    taken = await client.post(
        f"/api/conflicts/{old['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert taken.status_code == 409, taken.text
    assert (taken.json()["code"], taken.json()["params"]) == (
        "stale_decision",
        {"status": "work_done"},
    )
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"

    other = await new_job()
    former = device("wang")
    await former.pull()
    assert (
        await client.post(
            f"/api/jobs/{other}/assign",
            json={"engineer_id": str(world.engineer2.id)},
            headers=desk,
        )
    ).is_success
    li = device("li")
    await li.pull()
    for status in ("on_site", "work_done"):
        li.mutate("job.status", job_id=other, to=status)
    await li.sync()
    former.mutate("job.status", job_id=other, to="on_site")
    await former.push()
    clash = next(
        c for c in await conflicts(client, desk, job_id=other) if c["client_value"] == "on_site"
    )
    assert clash["server_value"] == "work_done"
    back = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert back.status_code == 409, back.text
    assert back.json()["code"] == "stale_decision"
    detail = (await client.get(f"/api/jobs/{other}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"


async def test_work_kept_over_an_old_cancellation_comes_back_to_the_phone(
    client: httpx.AsyncClient, db: Database, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户来电取消"}, headers=desk)
    # Days later housekeeping takes the cancelled job off the phone; then the work arrives.
    async with db.write() as session:
        retired = await retire_cancelled(session, now=datetime.now(UTC), keep=timedelta(seconds=-1))
    assert retired == 1
    await phone.sync()
    assert phone.get("jobs", job_id) is None, "the cancelled job left the phone"
    done = next(
        c for c in await conflicts(client, desk, job_id=job_id) if c["client_value"] == "work_done"
    )
    kept = await client.post(
        f"/api/conflicts/{done['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert kept.status_code == 200, kept.text
    await phone.pull()
    back = phone.get("jobs", job_id)
    assert back is not None, "the engineer gets the job back to have the customer sign"
    assert back["status"] == "work_done"


async def test_work_on_a_job_reassigned_meanwhile_is_kept_with_a_conflict(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    note = uuid.uuid4()
    phone.mutate("note.add", id=note, job_id=job_id, body="到场发现漏水")
    phone.mutate("job.record", job_id=job_id, fields={"diagnosis": "阀门老化"})
    phone.mutate("job.accept", job_id=job_id)
    await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["conflict", "conflict", "rejected"]
    # Taking the job is refused (it is someone else's now), with a code the app words.
    (refused,) = phone.failed
    assert (refused.reason, refused.code) == (handlers.REASSIGNED, "reassigned")
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert [n["body"] for n in detail["notes"]] == ["到场发现漏水"]
    assert detail["diagnosis"] == "", "a former assignee's record waits for the office"
    assert detail["acknowledged_at"] is None, "the new engineer has not taken it yet"
    reasons = {c["field"]: c["reason"] for c in await conflicts(client, desk, job_id=job_id)}
    assert "reassigned" in reasons["assigned_engineer_id"]
    assert "reassigned" in reasons["diagnosis"]
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    assert "阀门老化" in [h["value"] for h in history]
    newcomer = device("li")
    await newcomer.pull()
    assert newcomer.get("notes", note)["body"] == "到场发现漏水"


async def test_two_devices_editing_the_same_field_need_a_person_and_both_learn_the_answer(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    tablet.mutate("job.record", job_id=job_id, fields={"cause": "缺少润滑"})
    first = await phone.push()
    second = await tablet.push()
    assert first is not None
    assert second is not None
    assert first.results[0].status == "applied"
    assert second.results[0].status == "conflict"
    (clash,) = await conflicts(client, desk, job_id=job_id, field="cause")
    assert (clash["server_value"], clash["client_value"]) == ("电压不稳", "缺少润滑")
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve",
        json={"choice": "value", "value": "电压不稳,缺少润滑"},
        headers=desk,
    )
    assert decided.status_code == 200
    await phone.sync()
    await tablet.sync()
    assert phone.get("jobs", job_id)["cause"] == tablet.get("jobs", job_id)["cause"]
    assert phone.get("jobs", job_id)["cause"] == "电压不稳,缺少润滑"

    # The phone has seen the office's value: editing it again is a plain edit.
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied"


async def test_the_office_override_is_kept_when_the_engineer_edits_after_it(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    phone.mutate("job.record", job_id=job_id, fields={"advice": "每月清洗滤网"})
    tablet.mutate("job.record", job_id=job_id, fields={"advice": "每周检查"})
    await phone.push()
    await tablet.push()
    (clash,) = await conflicts(client, desk, job_id=job_id)
    await client.post(
        f"/api/conflicts/{clash['id']}/resolve",
        json={"choice": "value", "value": "office text"},
        headers=desk,
    )
    # The phone has not pulled: its base is its own old value; the office wrote last.
    phone.mutate("job.record", job_id=job_id, fields={"advice": "每月清洗滤网并检查"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "merged"
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["advice"] == "每月清洗滤网并检查"
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    overridden = [h for h in history if h["outcome"] == "overridden"]
    assert "office text" in [h["value"] for h in overridden]


async def test_a_signature_id_used_before_is_refused_with_that_reason(
    new_job: Register, device: Device
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    same = uuid.uuid4()
    for role, name in (("customer", "赵经理"), ("engineer", "王工")):
        phone.mutate(
            "signature.add",
            id=same,
            job_id=job_id,
            signer_role=role,
            signer_name=name,
            strokes=STROKES,
            content_sha256=HASH,
        )
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results[-2:]] == ["applied", "rejected"]
    assert answer.results[-1].reason == "a signature with this id exists already"


async def test_a_second_customer_signature_is_a_conflict_not_an_overwrite(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    for d in (phone, tablet):
        d.mutate("job.status", job_id=job_id, to="on_site")
        d.mutate("job.status", job_id=job_id, to="work_done")
    first, second = uuid.uuid4(), uuid.uuid4()
    phone.mutate(
        "signature.add",
        id=first,
        job_id=job_id,
        signer_role="customer",
        signer_name="赵经理",
        strokes=STROKES,
        content_sha256=HASH,
    )
    tablet.mutate(
        "signature.add",
        id=second,
        job_id=job_id,
        signer_role="customer",
        signer_name="钱主任",
        strokes=OTHER,
        content_sha256="b" * 64,
    )
    await phone.push()
    answer = await tablet.push()
    assert answer is not None
    assert answer.results[-1].status == "conflict"
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "signed"
    await phone.pull()
    assert phone.get("signatures", first)["signer_name"] == "赵经理"
    (clash,) = await conflicts(client, desk, job_id=job_id, field="customer")
    assert clash["client_value"]["signer_name"] == "钱主任"
    assert clash["client_value"]["strokes"] == OTHER


async def test_resolving_several_conflicts_of_one_field_at_once(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    jobs = [await new_job() for _ in range(3)]
    phone = device("wang")
    await phone.pull()
    for job_id in jobs:
        phone.mutate("job.status", job_id=job_id, to="on_site")
        phone.mutate("job.status", job_id=job_id, to="work_done")
        await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "重复报修"}, headers=desk)
    await phone.push()
    open_ = await conflicts(client, desk, field="status")
    assert len(open_) == 6
    mixed = await client.post(
        "/api/conflicts/resolve",
        json={"ids": [c["id"] for c in open_], "choice": "server"},
        headers=desk,
    )
    assert mixed.status_code == 200
    assert {c["status"] for c in mixed.json()} == {"resolved"}
    assert await conflicts(client, desk) == []
    again = await client.post(
        f"/api/conflicts/{open_[0]['id']}/resolve", json={"choice": "server"}, headers=desk
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_resolved"


async def test_engineers_cannot_read_or_resolve_conflicts(
    client: httpx.AsyncClient, world: World, device: Device
) -> None:
    phone = device("wang")
    await phone.login()
    headers = {"Authorization": f"Bearer {phone.access_token}"}
    assert (await client.get("/api/conflicts", headers=headers)).status_code == 403


async def _quantity_clash(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    *,
    code: str,
    tablet: str = "3",
    expect: str = "conflict",
) -> str:
    """A part line of ``code`` (1 used), changed to 2 on the phone and to ``tablet`` (3) on the
    engineer's tablet from the same base: the tablet's change is answered ``expect`` (a
    quantity conflict). The job's id."""
    part = (
        await client.post("/api/parts", json={"code": code, "name": "滤芯"}, headers=desk)
    ).json()
    job_id = await new_job()
    phone, other = device("wang"), device("wang")
    await phone.pull()
    line = uuid.uuid4()
    phone.mutate(
        "part_line.add",
        id=line,
        job_id=job_id,
        part_id=part["id"],
        quantity="1",
        billing="warranty",
    )
    await phone.sync()
    await other.pull()
    phone.mutate("part_line.change", id=line, fields={"quantity": "2"})
    other.mutate("part_line.change", id=line, fields={"quantity": tablet})
    await phone.sync()
    answer = await other.push()
    assert answer is not None
    assert answer.results[0].status == expect
    return job_id


async def test_resolving_a_quantity_clash_moves_the_van_stock_by_the_difference(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id = await _quantity_clash(client, new_job, device, desk, code="P-5")

    async def van_level() -> Decimal:
        vans = (await client.get("/api/stock/locations", headers=desk)).json()
        van = next(v for v in vans if v["engineer_id"] == str(world.engineer.id))
        levels = (await client.get(f"/api/stock/locations/{van['id']}/levels", headers=desk)).json()
        return Decimal(next(x["quantity"] for x in levels if x["code"] == "P-5"))

    assert await van_level() == Decimal(-2)
    (clash,) = await conflicts(client, desk, job_id=job_id, field="quantity")
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    assert await van_level() == Decimal(-3), "the van gives the third one the tablet recorded"


async def test_a_part_line_keeps_to_its_recorders_van_after_the_job_moves(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    part = (
        await client.post("/api/parts", json={"code": "P-V", "name": "滤芯"}, headers=desk)
    ).json()

    async def level(engineer: str) -> Decimal:
        vans = (await client.get("/api/stock/locations", headers=desk)).json()
        van = next(v for v in vans if v["engineer_id"] == engineer)
        levels = (await client.get(f"/api/stock/locations/{van['id']}/levels", headers=desk)).json()
        return sum((Decimal(x["quantity"]) for x in levels if x["code"] == "P-V"), Decimal(0))

    wang_id, li_id = str(world.engineer.id), str(world.engineer2.id)
    job_id = await new_job()
    wang, li = device("wang"), device("li")
    await wang.pull()
    line = uuid.uuid4()
    wang.mutate(
        "part_line.add",
        id=line,
        job_id=job_id,
        part_id=part["id"],
        quantity="2",
        billing="warranty",
    )
    await wang.sync()
    moved = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": li_id}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    await li.pull()
    li.mutate("part_line.change", id=line, fields={"quantity": "3"})
    answer = await li.push()
    assert answer is not None
    assert answer.results[0].status == "applied"
    assert (await level(wang_id), await level(li_id)) == (Decimal(-3), Decimal(0))
    li.mutate("part_line.remove", id=line)
    answer = await li.push()
    assert answer is not None
    assert answer.results[0].status == "applied"
    assert (await level(wang_id), await level(li_id)) == (Decimal(0), Decimal(0))


async def test_keeping_the_second_signature_keeps_its_image_too(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # The report prints the image named by png_sha256: it must be the kept strokes'.
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    for n, each in enumerate((phone, tablet)):
        each.mutate(
            "signature.add",
            id=uuid.uuid4(),
            job_id=job_id,
            signer_role="customer",
            signer_name=f"signer {n}",
            strokes=signature(n * 5),
            content_sha256=str(n) * 64,
        )
    await phone.push()
    await tablet.push()
    listed = await client.get("/api/conflicts", params={"field": "customer"}, headers=desk)
    (clash,) = listed.json()["items"]
    done = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert done.status_code == 200, done.text
    (kept,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["signatures"]
    image = render_png(signature(5))
    assert kept["signer_name"] == "signer 1"
    assert kept["png_sha256"] == hashlib.sha256(image).hexdigest()
    stored = await client.get(f"/api/blobs/{kept['png_sha256']}", headers=desk)
    assert stored.status_code == 200, "the kept image is in the blob store"
    assert stored.content == image
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    (first,) = [h["value"] for h in history if h["reason"].startswith("conflict resolved")]
    assert first["signer_name"] == "signer 0"
    assert first["strokes"] == signature(0), "the replaced signature's strokes are kept"


async def test_a_quantity_the_office_enters_is_checked_as_a_phones_is(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id = await _quantity_clash(client, new_job, device, desk, code="P-Q")
    listed = await client.get("/api/conflicts", params={"field": "quantity"}, headers=desk)
    (clash,) = listed.json()["items"]
    for bad in ("-5", "0", "NaN", "1e12", "lots"):
        answer = await client.post(
            f"/api/conflicts/{clash['id']}/resolve",
            json={"choice": "value", "value": bad},
            headers=desk,
        )
        assert answer.status_code == 400, (bad, answer.status_code, answer.text)
    good = await client.post(
        f"/api/conflicts/{clash['id']}/resolve",
        json={"choice": "value", "value": "2.5"},
        headers=desk,
    )
    assert good.status_code == 200, good.text
    lines = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["part_lines"]
    assert [Decimal(x["quantity"]) for x in lines] == [Decimal("2.5")]


async def test_a_decision_keeps_in_the_history_the_value_it_replaces_not_the_one_clashed_with(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # The field moved on after the clash (the phone edited it again): deciding for the tablet
    # replaces that newer value, which must not vanish without a trace.
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    tablet.mutate("job.record", job_id=job_id, fields={"cause": "缺少润滑"})
    await phone.sync()
    await tablet.push()
    (clash,) = await conflicts(client, desk, job_id=job_id, field="cause")
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳,线路老化"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied"

    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["cause"] == "缺少润滑"
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    dropped = [h["value"] for h in history if h["reason"].startswith("conflict resolved")]
    assert dropped == ["电压不稳,线路老化"]


async def test_a_unit_price_from_a_former_assignee_cannot_be_chosen(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    # The office owns the price: a device's text never becomes it, whoever decides.
    part = (
        await client.post(
            "/api/parts", json={"code": "P-U", "name": "滤芯", "price": "12.50"}, headers=desk
        )
    ).json()
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    line = uuid.uuid4()
    phone.mutate(
        "part_line.add",
        id=line,
        job_id=job_id,
        part_id=part["id"],
        quantity="1",
        billing="warranty",
    )
    await phone.sync()
    await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    phone.mutate("part_line.change", id=line, fields={"unit_price": "0.01 please"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "conflict"
    (clash,) = await conflicts(client, desk, job_id=job_id, field="unit_price")
    for body in ({"choice": "client"}, {"choice": "value", "value": "0.01"}):
        refused = await client.post(
            f"/api/conflicts/{clash['id']}/resolve", json=body, headers=desk
        )
        assert refused.status_code == 400, (body, refused.status_code, refused.text)
    (kept,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["part_lines"]
    assert Decimal(kept["unit_price"]) == Decimal("12.50")
    server = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "server"}, headers=desk
    )
    assert server.status_code == 200, server.text


async def test_a_status_decision_never_dates_the_job_in_the_future(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # A phone whose clock runs a day fast: a sync move takes min(at, server time), and so
    # does the office's decision for that phone's move.
    job_id = await new_job()
    phone = device("wang")
    phone.clock_skew = timedelta(days=1)
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户来电取消"}, headers=desk)
    await phone.push()
    done = next(
        c for c in await conflicts(client, desk, job_id=job_id) if c["client_value"] == "work_done"
    )
    decided = await client.post(
        f"/api/conflicts/{done['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done"
    assert datetime.fromisoformat(detail["completed_at"]) <= datetime.now(UTC)
    assert datetime.fromisoformat(detail["arrived_at"]) <= datetime.now(UTC)


async def test_two_devices_setting_the_same_quantity_do_not_clash(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # Rule 3: the edit equals the server's value. "2" and the stored "2.000" are one quantity.
    job_id = await _quantity_clash(
        client, new_job, device, desk, code="P-S", tablet="2", expect="applied"
    )
    assert await conflicts(client, desk, job_id=job_id) == []


async def test_deciding_a_jobs_status_conflicts_together_follows_the_order_they_arose(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Conflict ids are random: made here in descending order, so that deciding them in id
    # order would apply the phone's later move (work done) before its earlier one (on site).
    ids = (uuid.UUID(int=(1 << 128) - n) for n in itertools.count(1))
    monkeypatch.setattr(
        handlers, "uuid", types.SimpleNamespace(UUID=uuid.UUID, uuid4=lambda: next(ids))
    )
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "客户来电取消"}, headers=desk)
    phone.mutate("job.status", job_id=job_id, to="on_site")
    await phone.push()
    phone.mutate("job.status", job_id=job_id, to="work_done")
    await phone.push()
    both = await conflicts(client, desk, job_id=job_id, field="status")
    assert [c["client_value"] for c in both] == ["on_site", "work_done"]
    decided = await client.post(
        "/api/conflicts/resolve",
        json={"ids": [c["id"] for c in both], "choice": "client"},
        headers=desk,
    )
    assert decided.status_code == 200, decided.text
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "work_done", "the phone's last move is where it ends"


async def test_a_text_the_office_enters_fits_the_engineers_record(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    # A device sends the record's value as the base of its next edit, and a base over 10,000
    # characters fails the mutation: a longer office text would lock the field for the phone.
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    await tablet.pull()
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    tablet.mutate("job.record", job_id=job_id, fields={"cause": "缺少润滑"})
    await phone.push()
    await tablet.push()
    (clash,) = await conflicts(client, desk, job_id=job_id, field="cause")
    too_long = await client.post(
        f"/api/conflicts/{clash['id']}/resolve",
        json={"choice": "value", "value": "长" * 10_001},
        headers=desk,
    )
    assert too_long.status_code == 400, too_long.status_code
    assert "10,000 characters" in too_long.json()["detail"]
    assert (too_long.json()["code"], too_long.json()["params"]) == ("too_long", {"max": 10_000})
    longest = await client.post(
        f"/api/conflicts/{clash['id']}/resolve",
        json={"choice": "value", "value": "长" * 10_000},
        headers=desk,
    )
    assert longest.status_code == 200, longest.status_code
    await phone.sync()
    phone.mutate("job.record", job_id=job_id, fields={"cause": "电压不稳"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied", answer.results[0].reason


async def test_the_list_names_each_job_by_number_and_can_put_the_latest_decision_first(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    jobs = [await new_job() for _ in range(3)]
    numbers = {}
    for job_id in jobs:
        detail = await client.get(f"/api/jobs/{job_id}", headers=desk)
        numbers[job_id] = detail.json()["job"]["number"]
    phone = device("wang")
    await phone.pull()
    for job_id in jobs:
        phone.mutate("job.status", job_id=job_id, to="work_done")
        await client.post(f"/api/jobs/{job_id}/cancel", json={"reason": "重复报修"}, headers=desk)
    await phone.push()
    arisen = await conflicts(client, desk, field="status")
    assert [c["job_id"] for c in arisen] == [str(j) for j in jobs]  # oldest first
    assert [c["job_number"] for c in arisen] == [numbers[j] for j in jobs]
    # Decided newest first: the last conflict to arise is decided first, the first one last.
    for clash in reversed(arisen[1:]):
        one = await client.post(
            f"/api/conflicts/{clash['id']}/resolve", json={"choice": "server"}, headers=desk
        )
        assert one.json()["job_number"] == clash["job_number"]
    many = await client.post(
        "/api/conflicts/resolve", json={"ids": [arisen[0]["id"]], "choice": "server"}, headers=desk
    )
    assert [c["job_number"] for c in many.json()] == [numbers[jobs[0]]]
    decided = await conflicts(client, desk, status="resolved", order="decided")
    assert [c["job_id"] for c in decided] == [str(j) for j in (jobs[0], jobs[1], jobs[2])]
    assert [c["job_id"] for c in await conflicts(client, desk, status="resolved")] == [
        str(j) for j in jobs
    ]
    refused = await client.get("/api/conflicts", params={"order": "newest"}, headers=desk)
    assert refused.status_code == 400


async def _photo_clash(
    client: httpx.AsyncClient,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
    fields: tuple[dict[str, str], dict[str, str]],
) -> tuple[str, str, SyncClient, SyncClient]:
    """A photo changed on the phone (``fields[0]``) and on the engineer's tablet
    (``fields[1]``) from the same base: the tablet's change is a conflict. The job's id, the
    photo's, the phone and the tablet."""
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    await phone.pull()
    photo = str(uuid.uuid4())
    phone.mutate(
        "photo.add", id=photo, job_id=job_id, blob_sha256=HASH, category="before", caption="铭牌"
    )
    await phone.sync()
    await tablet.pull()
    phone.mutate("photo.change", id=photo, fields=fields[0])
    tablet.mutate("photo.change", id=photo, fields=fields[1])
    await phone.sync()
    answer = await tablet.push()
    assert answer is not None
    assert answer.results[0].status == "conflict"
    return job_id, photo, phone, tablet


async def test_two_devices_re_captioning_a_photo_need_a_person_and_both_learn_the_answer(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id, photo, phone, tablet = await _photo_clash(
        client, new_job, device, desk, ({"caption": "压缩机铭牌"}, {"caption": "室外机铭牌"})
    )
    (clash,) = await conflicts(client, desk, job_id=job_id)
    assert (clash["entity"], clash["entity_id"], clash["field"]) == ("photos", photo, "caption")
    assert (clash["policy"], clash["base_value"]) == ("engineer", "铭牌")
    assert (clash["server_value"], clash["client_value"]) == ("压缩机铭牌", "室外机铭牌")
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    assert [(h["entity"], h["value"]) for h in history if h["outcome"] == "conflict"] == [
        ("photos", "室外机铭牌")
    ]
    # The phone edits again before the office decides: the decision replaces that caption.
    phone.mutate("photo.change", id=photo, fields={"caption": "压缩机铭牌(新)"})
    again = await phone.push()
    assert again is not None
    assert again.results[0].status == "applied"
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "client"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    await phone.sync()
    await tablet.sync()
    assert phone.get("photos", photo)["caption"] == "室外机铭牌"
    assert tablet.get("photos", photo)["caption"] == "室外机铭牌"
    history = (await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)).json()
    dropped = [h["value"] for h in history if h["reason"].startswith("conflict resolved")]
    assert dropped == ["压缩机铭牌(新)"]
    # The phone saw the office's decision: its next edit is a plain one.
    phone.mutate("photo.change", id=photo, fields={"caption": "室外机铭牌(左)"})
    answer = await phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied"


async def test_a_photo_value_the_office_enters_is_checked_as_a_phones_is(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id, photo, phone, _ = await _photo_clash(
        client,
        new_job,
        device,
        desk,
        ({"category": "defect", "caption": "端子"}, {"category": "after", "caption": "端子烧蚀"}),
    )
    by_field = {c["field"]: c for c in await conflicts(client, desk, job_id=job_id)}
    assert set(by_field) == {"category", "caption"}
    for field, bad in (
        ("category", "selfie"),
        ("category", 3),
        ("caption", "长" * 201),
        ("caption", {"text": "x"}),
    ):
        refused = await client.post(
            f"/api/conflicts/{by_field[field]['id']}/resolve",
            json={"choice": "value", "value": bad},
            headers=desk,
        )
        assert refused.status_code == 400, (field, bad, refused.status_code, refused.text)
    for field, value in (("category", "nameplate"), ("caption", "长" * 200)):
        good = await client.post(
            f"/api/conflicts/{by_field[field]['id']}/resolve",
            json={"choice": "value", "value": value},
            headers=desk,
        )
        assert good.status_code == 200, good.text
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert (shown["category"], shown["caption"]) == ("nameplate", "长" * 200)
    await phone.pull()
    assert phone.get("photos", photo)["category"] == "nameplate"


async def test_keeping_the_server_side_of_a_photo_clash_changes_nothing(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id, photo, _, _ = await _photo_clash(
        client, new_job, device, desk, ({"category": "defect"}, {"category": "after"})
    )
    (clash,) = await conflicts(client, desk, job_id=job_id)
    decided = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "server"}, headers=desk
    )
    assert decided.status_code == 200, decided.text
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert (shown["id"], shown["category"]) == (photo, "defect")


async def test_a_photo_clash_cannot_change_the_photo_once_the_customer_signed(
    client: httpx.AsyncClient, new_job: Register, device: Device, desk: dict[str, str]
) -> None:
    job_id, _photo, phone, _ = await _photo_clash(
        client, new_job, device, desk, ({"caption": "压缩机铭牌"}, {"caption": "室外机铭牌"})
    )
    (clash,) = await conflicts(client, desk, job_id=job_id)
    customer_signs(phone, job_id, HASH)
    await phone.sync()
    assert not phone.failed, [f.reason for f in phone.failed]
    for choice in ({"choice": "client"}, {"choice": "value", "value": "别的说明"}):
        refused = await client.post(
            f"/api/conflicts/{clash['id']}/resolve", json=choice, headers=desk
        )
        assert refused.status_code == 409, refused.text
        assert "signed the report with this photo" in refused.json()["detail"]
        assert refused.json()["code"] == "signed_photo"
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert shown["caption"] == "压缩机铭牌", "as the customer signed it"
    kept = await client.post(
        f"/api/conflicts/{clash['id']}/resolve", json={"choice": "server"}, headers=desk
    )
    assert kept.status_code == 200, kept.text

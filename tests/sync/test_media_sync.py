"""Photo records and their bytes travel apart; signatures are drawn on the server."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable

import httpx
from litestar import Litestar
from PIL import Image
from sqlalchemy import update

from api.db import Database
from api.domain.reports.build import build_context
from api.domain.reports.services import Reports
from api.models import BlobInfo, Job, Report
from sync.client import SyncClient
from tests.helpers import World, login, upload
from tests.sync.conftest import Register, signature

CHUNK = 1024 * 1024


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


async def test_a_photo_record_may_come_before_its_bytes(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    data = photo()
    digest = hashlib.sha256(data).hexdigest()
    photo_id = uuid.uuid4()
    phone.mutate(
        "photo.add",
        id=photo_id,
        job_id=job_id,
        blob_sha256=digest,
        category="before",
        caption="铭牌",
    )
    await phone.push()
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    (shown,) = detail["photos"]
    assert shown["uploaded"] is False, "the office sees it as uploading"
    assert shown["state"] == "uploading"
    wang = await login(client, "wang")
    stored = await upload(client, wang, data)
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    (shown,) = detail["photos"]
    assert shown["uploaded"] is True
    assert shown["state"] == "ready"
    assert shown["thumb_sha256"] == stored["variants"]["thumb"]
    mine = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=wang)
    assert mine.status_code == 200, "an engineer reaches the images of their own job"
    li = await login(client, "li")
    theirs = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert theirs.status_code == 404


async def test_a_photo_uploaded_before_its_record_is_shown_at_once(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    wang = await login(client, "wang")
    data = photo()
    await upload(client, wang, data)
    phone = device("wang")
    await phone.pull()
    phone.mutate(
        "photo.add",
        id=uuid.uuid4(),
        job_id=job_id,
        blob_sha256=hashlib.sha256(data).hexdigest(),
        category="after",
    )
    await phone.push()
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert shown["uploaded"] is True
    assert shown["category"] == "after"


async def test_a_signature_is_drawn_from_its_strokes_and_a_scribble_is_refused(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    phone.mutate(
        "signature.add",
        id=uuid.uuid4(),
        job_id=job_id,
        signer_role="engineer",
        signer_name="王工",
        strokes={"strokes": [[{"x": 1, "y": 1, "t": 0}]]},
        content_sha256="c" * 64,
    )
    good = uuid.uuid4()
    phone.mutate(
        "signature.add",
        id=good,
        job_id=job_id,
        signer_role="engineer",
        signer_name="王工",
        strokes=signature(3),
        content_sha256="c" * 64,
    )
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["rejected", "applied"]
    assert "too short" in answer.results[0].reason
    await phone.pull()
    png_sha = phone.get("signatures", good)["png_sha256"]
    image = await client.get(f"/api/blobs/{png_sha}", headers=desk)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    drawn = Image.open(io.BytesIO(image.content)).convert("L")
    assert drawn.size == (600, 200)
    ink = sum(1 for p in drawn.tobytes() if p < 128)
    assert ink > 300, "the strokes were drawn"
    assert drawn.getpixel((5, 5)) == 255, "outside the strokes stays blank"


async def test_the_job_detail_shows_a_photo_processing_then_failed_with_its_reason(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
    db: Database,
) -> None:
    from tests.api.test_media import _png_damaged_inside

    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    data = _png_damaged_inside()
    digest = hashlib.sha256(data).hexdigest()
    phone.mutate("photo.add", id=uuid.uuid4(), job_id=job_id, blob_sha256=digest, category="after")
    await phone.push()
    wang = await login(client, "wang")
    stored = await upload(client, wang, data)
    assert stored["state"] == "failed"
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert (shown["uploaded"], shown["state"]) == (True, "failed")
    assert "damaged or truncated" in shown["error"]
    assert shown["thumb_sha256"] is None
    async with db.write() as session:
        await session.execute(
            update(BlobInfo).where(BlobInfo.sha256 == digest).values(state="processing")
        )
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    assert (shown["uploaded"], shown["state"]) == (True, "processing")


def other_photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return out.getvalue()


async def _photo_of(client: httpx.AsyncClient, job_id: str, desk: dict[str, str]) -> dict:
    (shown,) = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()["photos"]
    return dict(shown)


async def _push_photo(
    device: Callable[[str], SyncClient], username: str, job_id: str, digest: str
) -> str:
    """A phone of ``username`` pushes a photo record naming ``digest``; the push's answer."""
    phone = device(username)
    await phone.pull()
    phone.mutate("photo.add", id=uuid.uuid4(), job_id=job_id, blob_sha256=digest, category="after")
    answer = await phone.push()
    assert answer is not None
    (result,) = answer.results
    return f"{result.status} {result.reason}".strip()


async def _printed_photos(app: Litestar, db: Database, job_id: str) -> list[str]:
    """What a report of the job would print for its photos: each one's image key ("" when
    the report shows it as missing), read by the report builder itself."""
    reports: Reports = app.state.reports
    async with db.read() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        draft = Report(
            job_id=job.id,
            number="RP-TEST",
            revision=1,
            language="zh-CN",
            content_sha256="",
            verify_code="test",
        )
        context, resources = await build_context(
            session, job, draft, settings=reports.settings, blobs=reports.blobs
        )
    printed = [row.src for row in context.photos]
    assert all(src in resources for src in printed if src), "every image printed is sent"
    return printed


async def test_a_hash_alone_is_recorded_but_gives_no_one_elses_bytes(
    app: Litestar,
    db: Database,
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    wangs_job = await new_job()
    lis_job = await new_job("engineer2")
    data = other_photo((200, 10, 10))
    digest = hashlib.sha256(data).hexdigest()
    await upload(client, await login(client, "wang"), data)
    assert await _push_photo(device, "wang", wangs_job, digest) == "applied"
    # Li names Wang's hash without ever having sent the bytes.
    assert await _push_photo(device, "li", lis_job, digest) == "applied"
    # The record is kept as one whose bytes have not arrived, and stays so.
    shown = await _photo_of(client, lis_job, desk)
    assert (shown["uploaded"], shown["state"]) == (False, "uploading")
    assert (shown["screen_sha256"], shown["thumb_sha256"]) == (None, None)
    li = await login(client, "li")
    for params in ({"variant": "thumb"}, {"variant": "screen"}, {}):
        theirs = await client.get(f"/api/blobs/{digest}", params=params, headers=li)
        assert theirs.status_code == 404, (params, theirs.status_code)
    assert (await client.get(f"/api/blobs/{digest}/info", headers=li)).status_code == 404
    assert await _printed_photos(app, db, lis_job) == [""], "a report shows it as missing"
    # Her phone is asked for the bytes: only an upload of them would attach them.
    asked = await client.post("/api/uploads/missing", json={"hashes": [digest]}, headers=li)
    assert asked.json()["missing"] == [digest]
    assert (await _photo_of(client, wangs_job, desk))["uploaded"] is True
    (wangs_print,) = await _printed_photos(app, db, wangs_job)
    assert wangs_print.startswith("fieldsync:photo/"), "Wang's own record keeps its bytes"


async def test_a_record_before_its_bytes_gets_them_only_from_its_author(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    wangs_job = await new_job()
    lis_job = await new_job("engineer2")
    data = other_photo((10, 200, 10))
    digest = hashlib.sha256(data).hexdigest()
    li_phone = device("li")
    await li_phone.pull()
    li_phone.mutate(
        "photo.add", id=uuid.uuid4(), job_id=lis_job, blob_sha256=digest, category="before"
    )
    answer = await li_phone.push()
    assert answer is not None
    assert answer.results[0].status == "applied", "bytes not on the server yet: accepted"
    # Wang sends those bytes: they are his, not the bytes of Li's record.
    wang = await login(client, "wang")
    await upload(client, wang, data)
    wang_phone = device("wang")
    await wang_phone.pull()
    wang_phone.mutate(
        "photo.add", id=uuid.uuid4(), job_id=wangs_job, blob_sha256=digest, category="before"
    )
    await wang_phone.push()
    assert (await _photo_of(client, wangs_job, desk))["uploaded"] is True
    shown = await _photo_of(client, lis_job, desk)
    assert (shown["uploaded"], shown["state"], shown["thumb_sha256"]) == (False, "uploading", None)
    li = await login(client, "li")
    theirs = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert theirs.status_code == 404
    # Li really has the same bytes: once she sends them, her record has them too.
    await upload(client, li, data)
    shown = await _photo_of(client, lis_job, desk)
    assert (shown["uploaded"], shown["state"]) == (True, "ready")
    mine = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert mine.status_code == 200, mine.text


async def test_a_record_of_bytes_someone_else_sent_gets_them_once_its_author_sends_them(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    wangs_job, lis_job = await new_job(), await new_job("engineer2")
    data = other_photo((10, 10, 200))
    digest = hashlib.sha256(data).hexdigest()
    await upload(client, await login(client, "wang"), data)
    assert await _push_photo(device, "wang", wangs_job, digest) == "applied"
    # Li's photo is byte for byte Wang's; her phone pushes the record before the bytes.
    assert await _push_photo(device, "li", lis_job, digest) == "applied"
    shown = await _photo_of(client, lis_job, desk)
    assert (shown["uploaded"], shown["state"]) == (False, "uploading")
    li = await login(client, "li")
    asked = await client.post("/api/uploads/missing", json={"hashes": [digest]}, headers=li)
    assert asked.json()["missing"] == [digest]
    await upload(client, li, data)
    for job_id in (wangs_job, lis_job):
        shown = await _photo_of(client, job_id, desk)
        assert (shown["uploaded"], shown["state"]) == (True, "ready")
    mine = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert mine.status_code == 200, mine.text


async def test_seeing_a_photo_on_a_job_one_holds_gives_its_bytes_to_no_other_record(
    client: httpx.AsyncClient,
    world: World,
    new_job: Register,
    device: Callable[[str], SyncClient],
    desk: dict[str, str],
) -> None:
    first, second = await new_job(), await new_job("engineer2")
    data = other_photo((120, 120, 0))
    digest = hashlib.sha256(data).hexdigest()
    await upload(client, await login(client, "wang"), data)
    assert await _push_photo(device, "wang", first, digest) == "applied"
    # The first job goes to Li with its photo: she sees it there, as the job's engineer.
    moved = await client.post(
        f"/api/jobs/{first}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    li = await login(client, "li")
    seen = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert seen.status_code == 200, seen.text
    # Naming its hash on her other job gets that record no bytes: it waits for her own upload.
    assert await _push_photo(device, "li", second, digest) == "applied"
    shown = await _photo_of(client, second, desk)
    assert (shown["uploaded"], shown["state"]) == (False, "uploading")
    # Once the first job leaves her, she sees the photo no more.
    back = await client.post(
        f"/api/jobs/{first}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert back.status_code == 200, back.text
    gone = await client.get(f"/api/blobs/{digest}", params={"variant": "thumb"}, headers=li)
    assert gone.status_code == 404
    await upload(client, li, data)
    assert (await _photo_of(client, second, desk))["uploaded"] is True

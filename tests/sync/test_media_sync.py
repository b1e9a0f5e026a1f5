"""Photo records and their bytes travel apart; signatures are drawn on the server."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable

import httpx
from PIL import Image
from sqlalchemy import update

from api.db import Database
from api.models import BlobInfo
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

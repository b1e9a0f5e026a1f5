"""Photos and blobs: resumable uploads, the hostile corpus, metadata stripping, serving."""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from api.settings import Settings
from tests.helpers import World, login, settled

CHUNK = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def jpeg(width: int = 1200, height: int = 800, **save: object) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 4, height // 4))  # a blue mark at the top left
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, **save)
    return out.getvalue()


def noise_png(size: int, seed: int = 7) -> bytes:
    """A PNG of random pixels a little under ``size`` bytes (noise does not compress)."""
    side = int(((size - 20_000) / 3) ** 0.5)
    pixels = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(out, "PNG", compress_level=1)
    data = out.getvalue()
    assert size - 40_000 < len(data) <= size, len(data)
    return data


async def start(client: httpx.AsyncClient, h: dict[str, str], data: bytes, **kw: object) -> dict:
    response = await client.post(
        "/api/uploads", json={"sha256": sha(data), "size": len(data), **kw}, headers=h
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def upload(client: httpx.AsyncClient, h: dict[str, str], data: bytes) -> httpx.Response:
    """Upload ``data`` in 1 MiB chunks and complete it."""
    state = await start(client, h, data)
    if state["complete"]:
        return httpx.Response(200, json={"sha256": sha(data)})
    offset = state["offset"]
    while offset < len(data):
        r = await client.put(
            f"/api/uploads/{state['id']}",
            params={"offset": offset},
            content=data[offset : offset + CHUNK],
            headers=h,
        )
        assert r.status_code == 200, r.text
        offset = r.json()["offset"]
    return await client.post(f"/api/uploads/{state['id']}/complete", headers=h)


def stored_files(settings: Settings) -> list[Path]:
    """Blob and part files on disk."""
    root = settings.data_dir
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and p.parent.name != "data" and ("blobs" in p.parts or "uploads" in p.parts)
    ]


@pytest.fixture
async def wang(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    return await login(client, "wang")


async def test_resume_at_twenty_random_offsets_gives_the_right_hash(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    rng = random.Random(7)
    data = noise_png(5 * CHUNK + 12345)
    state = await start(client, wang, data)
    cuts = sorted(rng.sample(range(1, len(data)), 20))
    offset = 0
    for cut in [*cuts, len(data)]:
        # The connection drops at ``cut``: the client asks where to resume and carries on.
        while offset < cut:
            end = min(cut, offset + CHUNK)
            r = await client.put(
                f"/api/uploads/{state['id']}",
                params={"offset": offset},
                content=data[offset:end],
                headers=wang,
            )
            assert r.status_code == 200, r.text
            offset = r.json()["offset"]
        status = await client.get(f"/api/uploads/{state['id']}", headers=wang)
        assert status.json()["offset"] == offset
    done = await client.post(f"/api/uploads/{state['id']}/complete", headers=wang)
    assert done.status_code == 200, done.text
    assert done.json()["sha256"] == sha(data)
    missing = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=wang)
    assert missing.json()["missing"] == []


async def test_duplicate_chunks_are_no_ops_and_a_gap_is_a_409(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = noise_png(3 * CHUNK, seed=1)
    state = await start(client, wang, data)
    url = f"/api/uploads/{state['id']}"
    first = await client.put(url, params={"offset": 0}, content=data[:CHUNK], headers=wang)
    assert first.json()["offset"] == CHUNK
    again = await client.put(url, params={"offset": 0}, content=data[:CHUNK], headers=wang)
    assert again.status_code == 200
    assert again.json()["offset"] == CHUNK
    gap = await client.put(
        url, params={"offset": 2 * CHUNK}, content=data[2 * CHUNK :], headers=wang
    )
    assert gap.status_code == 409
    assert f"resume at offset {CHUNK}" in gap.json()["detail"]
    for offset in (CHUNK, 2 * CHUNK):
        await client.put(
            url, params={"offset": offset}, content=data[offset : offset + CHUNK], headers=wang
        )
    done = await client.post(f"{url}/complete", headers=wang)
    assert done.json()["sha256"] == sha(data)


async def test_a_wrong_hash_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, wang: dict[str, str], settings: Settings
) -> None:
    data = b"x" * 1000
    response = await client.post(
        "/api/uploads",
        json={"sha256": sha(b"y" * 1000), "size": 1000},
        headers=wang,
    )
    upload_id = response.json()["id"]
    await client.put(f"/api/uploads/{upload_id}", params={"offset": 0}, content=data, headers=wang)
    done = await client.post(f"/api/uploads/{upload_id}/complete", headers=wang)
    assert done.status_code == 422
    assert "do not match the declared SHA-256" in done.json()["detail"]
    assert stored_files(settings) == []
    assert (await client.get(f"/api/uploads/{upload_id}", headers=wang)).status_code == 404


async def test_another_users_upload_is_404(
    client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = b"z" * 100
    state = await start(client, wang, data)
    li = await login(client, "li")
    url = f"/api/uploads/{state['id']}"
    assert (await client.get(url, headers=li)).status_code == 404
    put = await client.put(url, params={"offset": 0}, content=data, headers=li)
    assert put.status_code == 404
    assert (await client.post(f"{url}/complete", headers=li)).status_code == 404


async def test_uploading_a_known_hash_is_a_no_op(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = jpeg()
    first = await upload(client, wang, data)
    assert first.status_code == 200, first.text
    again = await start(client, wang, data)
    assert again["complete"] is True
    assert again["id"] is None


async def test_file_is_no_longer_an_upload_purpose_and_the_answer_names_the_purposes(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = b"notes" * 100
    response = await client.post(
        "/api/uploads",
        json={"sha256": sha(data), "size": len(data), "purpose": "file"},
        headers=wang,
    )
    assert response.status_code == 400, response.text
    assert "the purposes are: photo" in response.text


async def test_a_file_stored_before_files_were_dropped_stays_readable(
    client: httpx.AsyncClient, wang: dict[str, str], world: World, db: object
) -> None:
    from api.db import Database
    from api.models import BlobHolder, BlobInfo

    assert isinstance(db, Database)
    digest = sha(b"an old file")
    async with db.write() as session:
        session.add(BlobInfo(sha256=digest, size=11, kind="file", uploaded_by=world.engineer.id))
        session.add(BlobHolder(sha256=digest, user_id=world.engineer.id))
    info = await client.get(f"/api/blobs/{digest}/info", headers=wang)
    assert info.status_code == 200, info.text
    assert (info.json()["state"], info.json()["format"]) == ("ready", "")
    li = await login(client, "li")
    assert (await client.get(f"/api/blobs/{digest}/info", headers=li)).status_code == 404


async def test_bytes_another_user_sent_are_sent_again_and_then_both_hold_them(
    client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = jpeg(900, 600)
    first = await upload(client, wang, data)
    assert first.status_code == 200, first.text
    li = await login(client, "li")
    # The server has the bytes, but Li has not shown that she has them: a hash is no key.
    asked = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=li)
    assert asked.json()["missing"] == [sha(data)]
    assert (await client.get(f"/api/blobs/{sha(data)}/info", headers=li)).status_code == 404
    second = await upload(client, li, data)
    assert second.status_code == 200, second.text
    assert second.json()["sha256"] == sha(data)
    assert second.json()["state"] in ("processing", "ready")
    asked = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=li)
    assert asked.json()["missing"] == []
    assert (await client.get(f"/api/blobs/{sha(data)}/info", headers=li)).status_code == 200
    again = await start(client, li, data)
    assert (again["complete"], again["id"]) == (True, None)


async def test_other_bytes_under_a_stored_hash_are_refused_and_give_no_hold(
    client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = jpeg(700, 500)
    assert (await upload(client, wang, data)).status_code == 200
    li = await login(client, "li")
    forged = b"\xff" * len(data)
    started = await client.post(
        "/api/uploads", json={"sha256": sha(data), "size": len(data)}, headers=li
    )
    upload_id = started.json()["id"]
    assert upload_id is not None
    await client.put(f"/api/uploads/{upload_id}", params={"offset": 0}, content=forged, headers=li)
    done = await client.post(f"/api/uploads/{upload_id}/complete", headers=li)
    assert done.status_code == 422, done.text
    asked = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=li)
    assert asked.json()["missing"] == [sha(data)]
    info = await client.get(f"/api/blobs/{sha(data)}/info", headers=wang)
    assert info.status_code == 200, "the stored bytes are untouched"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _gif_frames(n: int) -> bytes:
    frames = [Image.new("P", (2, 2), i % 256) for i in range(n)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def _tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "TIFF")
    return out.getvalue()


HOSTILE = {
    "decompression bomb PNG": (_png_header_only(50_000, 50_000), "too large"),
    "10,000-frame GIF": (_gif_frames(10_000), "GIF images are not accepted"),
    "TIFF renamed .jpg": (_tiff(), "TIFF images are not accepted"),
    "EPS renamed .jpg": (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "EPS"),
    "PSD renamed .jpg": (b"8BPS\x00\x01" + b"\x00" * 64, "Photoshop"),
    "SVG renamed .jpg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    "truncated JPEG": (jpeg(2000, 1500)[:20_000], "damaged or truncated"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_files_get_a_4xx_with_a_reason_and_nothing_is_stored(
    client: httpx.AsyncClient, wang: dict[str, str], settings: Settings, case: str
) -> None:
    data, reason = HOSTILE[case]
    response = await upload(client, wang, data)
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
    assert stored_files(settings) == []
    missing = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=wang)
    assert missing.json()["missing"] == [sha(data)]
    assert (await client.get("/health")).status_code == 200


async def test_zero_bytes_and_oversized_bodies_are_refused(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    empty = await client.post("/api/uploads", json={"sha256": sha(b""), "size": 0}, headers=wang)
    assert empty.status_code == 400
    huge = await client.post(
        "/api/uploads", json={"sha256": sha(b"a"), "size": 26 * 1024 * 1024}, headers=wang
    )
    assert huge.status_code == 413
    assert "at most 25 MB" in huge.json()["detail"]
    data = b"q" * (CHUNK + 4096)
    state = await start(client, wang, data)
    url = f"/api/uploads/{state['id']}"
    with_length = await client.put(url, params={"offset": 0}, content=data, headers=wang)
    assert with_length.status_code == 413

    async def stream():  # type: ignore[no-untyped-def]
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    without_length = await client.put(url, params={"offset": 0}, content=stream(), headers=wang)
    assert without_length.status_code == 413
    assert (await client.get(url, headers=wang)).json()["offset"] == 0


async def test_a_hash_with_a_line_break_after_it_is_refused_at_once(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    bent = sha(b"photo") + "\n"
    started = await client.post("/api/uploads", json={"sha256": bent, "size": 5}, headers=wang)
    assert started.status_code == 400, started.text
    asked = await client.post("/api/uploads/missing", json={"hashes": [bent]}, headers=wang)
    assert asked.status_code == 400, asked.text


def _exif_jpeg() -> bytes:
    image = Image.new("RGB", (400, 200), (255, 255, 255))
    image.paste((0, 0, 255), (0, 0, 100, 200))  # blue on the left, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "Camera Maker"
    gps = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_served_copies_have_no_exif_and_are_upright(
    client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = _exif_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825) is not None
    done = await upload(client, wang, data)
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["width"], body["height"]) == (200, 400), "upright: the sides are swapped"
    desk = await login(client, "desk")
    for kind in ("screen", "thumb"):
        r = await client.get(f"/api/blobs/{sha(data)}", params={"variant": kind}, headers=desk)
        assert r.status_code == 200, r.text
        copy = Image.open(io.BytesIO(r.content))
        assert copy.height > copy.width
        assert not copy.getexif()
        assert "exif" not in copy.info
        top = copy.convert("RGB").getpixel((copy.width // 2, copy.height // 8))
        assert top[2] > 200, "the blue side is on top after turning"
        assert top[0] < 80
    original = await client.get(f"/api/blobs/{sha(data)}", headers=desk)
    assert original.status_code == 400, "originals keep their metadata and are never served"


async def test_blobs_serve_with_etag_immutable_caching_and_ranges(
    app: Any, client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = jpeg(1600, 1200)
    done = await upload(client, wang, data)
    assert done.json()["state"] == "processing"
    screen = str((await settled(client, wang, sha(data)))["variants"]["screen"])
    desk = await login(client, "desk")
    url = f"/api/blobs/{screen}"
    full = await client.get(url, headers=desk)
    assert full.status_code == 200
    assert full.headers["etag"] == f'"{screen}"'
    assert "immutable" in full.headers["cache-control"]
    assert sha(full.content) == screen
    part = await client.get(url, headers={**desk, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    tail = await client.get(url, headers={**desk, "Range": "bytes=-50"})
    assert tail.content == full.content[-50:]
    bad = await client.get(url, headers={**desk, "Range": f"bytes={len(full.content)}-"})
    assert bad.status_code == 416
    cached = await client.get(url, headers={**desk, "If-None-Match": f'"{screen}"'})
    assert cached.status_code == 304
    # A file lost from the store is said to be lost, not served as a short 200.
    app.state.blobs.path(screen).unlink()
    lost = await client.get(url, headers=desk)
    assert lost.status_code == 404, lost.text
    assert "missing from the server's blob store" in lost.json()["detail"]


async def test_engineers_reach_only_images_of_their_jobs(
    client: httpx.AsyncClient, wang: dict[str, str], world: World
) -> None:
    data = jpeg(800, 600)
    await upload(client, wang, data)
    thumb = str((await settled(client, wang, sha(data)))["variants"]["thumb"])
    li = await login(client, "li")
    # Nobody's job names this photo yet: only the office can see it.
    assert (await client.get(f"/api/blobs/{thumb}", headers=li)).status_code == 404
    assert (await client.get(f"/api/blobs/{thumb}", headers=wang)).status_code == 404
    missing = await client.get(f"/api/blobs/{uuid.uuid4().hex * 2}", headers=wang)
    assert missing.status_code == 404


async def test_unfinished_uploads_expire_after_seven_untouched_days(
    client: httpx.AsyncClient, wang: dict[str, str], app: object, db: object
) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    from api.db import Database

    assert isinstance(db, Database)
    uploads = app.state.uploads  # type: ignore[attr-defined]
    old = await start(client, wang, b"a" * 10)
    fresh = await start(client, wang, b"b" * 10)
    later = datetime.now(UTC) + timedelta(days=8)
    # Only the first one's bytes were last written more than seven days before "later".
    os.utime(uploads.part(uuid.UUID(fresh["id"])), (later.timestamp(), later.timestamp()))
    async with db.write() as session:
        removed = await uploads.expire(session, now=later)
    assert removed == 1
    assert (await client.get(f"/api/uploads/{old['id']}", headers=wang)).status_code == 404
    assert (await client.get(f"/api/uploads/{fresh['id']}", headers=wang)).status_code == 200


async def test_the_app_removes_everyones_abandoned_uploads_while_it_serves(
    client: httpx.AsyncClient, wang: dict[str, str], app: object, db: object
) -> None:
    import os
    from datetime import timedelta

    from sqlalchemy import update

    from api.db import Database
    from api.housekeeping import Housekeeping
    from api.models import Upload, utcnow

    assert isinstance(db, Database)
    uploads = app.state.uploads  # type: ignore[attr-defined]
    abandoned = await start(client, wang, b"c" * 10)
    kept = await start(client, wang, b"d" * 10)
    long_ago = utcnow() - timedelta(days=8)
    async with db.write() as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == uuid.UUID(abandoned["id"]))
            .values(created_at=long_ago)
        )
    part = uploads.part(uuid.UUID(abandoned["id"]))
    os.utime(part, (long_ago.timestamp(), long_ago.timestamp()))
    await Housekeeping(db, uploads).run_once()
    assert (await client.get(f"/api/uploads/{abandoned['id']}", headers=wang)).status_code == 404
    assert not part.exists()
    assert (await client.get(f"/api/uploads/{kept['id']}", headers=wang)).status_code == 200


def _heic(width: int = 800, height: int = 600) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 128, 255)).save(out, format="HEIF", quality=70)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["heic", "png", "webp"])
async def test_iphone_heic_png_and_webp_photos_are_accepted(
    client: httpx.AsyncClient, wang: dict[str, str], kind: str
) -> None:
    if kind == "heic":
        data = _heic()
    else:
        out = io.BytesIO()
        Image.new("RGB", (800, 600), (0, 128, 255)).save(out, kind.upper())
        data = out.getvalue()
    done = await upload(client, wang, data)
    assert done.status_code == 200, done.text
    assert done.json()["format"] == {"heic": "HEIF", "png": "PNG", "webp": "WEBP"}[kind]
    assert (done.json()["width"], done.json()["height"]) == (800, 600)


# ---- copies made after answering ------------------------------------------------------------


def _png_damaged_inside() -> bytes:
    """A PNG whose header and end are sound but whose pixel data is garbage: only decoding
    tells, so it passes the checks made before answering."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"garbage" * 100)
        + chunk(b"IEND", b"")
    )


async def test_a_photo_is_answered_processing_then_its_copies_are_ready(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = _exif_jpeg()
    done = await upload(client, wang, data)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "processing"
    assert body["variants"] == {}
    assert (body["format"], body["width"], body["height"]) == ("JPEG", 200, 400)
    missing = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=wang)
    assert missing.json()["missing"] == [], "the original is stored at once"
    ready = await settled(client, wang, sha(data))
    assert ready["state"] == "ready"
    variants = ready["variants"]
    assert isinstance(variants, dict)
    assert set(variants) == {"screen", "thumb"}
    desk = await login(client, "desk")
    thumb = await client.get(f"/api/blobs/{variants['thumb']}", headers=desk)
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.content)).height > 0


async def test_damage_found_by_the_pipeline_marks_the_photo_failed_and_serves_no_copy(
    client: httpx.AsyncClient, wang: dict[str, str], app: object
) -> None:
    data = _png_damaged_inside()
    done = await upload(client, wang, data)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "processing"
    failed = await settled(client, wang, sha(data))
    assert failed["state"] == "failed"
    assert "damaged or truncated" in str(failed["error"])
    assert failed["variants"] == {}
    desk = await login(client, "desk")
    for kind in ("screen", "thumb"):
        r = await client.get(f"/api/blobs/{sha(data)}", params={"variant": kind}, headers=desk)
        assert r.status_code == 404
        assert "damaged or truncated" in r.json()["detail"]
    # The original is kept as evidence (never served), so the phone does not send it again.
    store = app.state.blobs  # type: ignore[attr-defined]
    assert await store.exists(sha(data))
    missing = await client.post("/api/uploads/missing", json={"hashes": [sha(data)]}, headers=wang)
    assert missing.json()["missing"] == []


async def _processing_photo(app: object, db: object, data: bytes) -> str:
    """A photo stored and recorded as processing, as a process that stopped midway left it."""
    from api.db import Database
    from api.models import BlobInfo

    assert isinstance(db, Database)
    digest = sha(data)
    await app.state.blobs.put_bytes(digest, data)  # type: ignore[attr-defined]
    async with db.write() as session:
        session.add(
            BlobInfo(sha256=digest, size=len(data), kind="photo", format="JPEG", state="processing")
        )
    return digest


async def _copies(db: object, digest: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from api.db import Database
    from api.models import BlobInfo

    assert isinstance(db, Database)
    async with db.read() as session:
        rows = await session.scalars(select(BlobInfo).where(BlobInfo.original_sha256 == digest))
        return sorted((r.variant, r.sha256) for r in rows)


async def test_a_photo_left_processing_is_queued_again_when_the_app_starts(
    app: object, db: object
) -> None:
    from litestar import Litestar

    from api.models import BlobInfo

    assert isinstance(app, Litestar)
    digest = await _processing_photo(app, db, jpeg(900, 600))
    pipeline = app.state.pipeline
    assert digest not in pipeline.tasks
    async with app.lifespan():
        task = pipeline.tasks[digest]
        await asyncio.wait_for(task, timeout=30)
    async with db.read() as session:  # type: ignore[attr-defined]
        info = await session.get(BlobInfo, digest)
        assert info is not None
        assert info.state == "ready"
    assert [kind for kind, _ in await _copies(db, digest)] == ["screen", "thumb"]


async def test_processing_the_same_photo_twice_at_once_records_one_set_of_copies(
    app: object, db: object, settings: Settings
) -> None:
    from api.db import Database
    from api.media.images import IngestPool
    from api.media.pipeline import Pipeline

    assert isinstance(db, Database)
    digest = await _processing_photo(app, db, jpeg(900, 600))
    # Two app processes sharing the database (and the blob store) take the same photo.
    other = Pipeline(db, app.state.blobs, IngestPool(1), settings.data_dir / "uploads")  # type: ignore[attr-defined]
    ours = app.state.pipeline  # type: ignore[attr-defined]
    try:
        await asyncio.wait_for(asyncio.gather(ours.queue(digest), other.queue(digest)), 60)
        await asyncio.wait_for(ours.queue(digest), 30)  # once more, when already ready
    finally:
        other.pool.shutdown()
    copies = await _copies(db, digest)
    assert [kind for kind, _ in copies] == ["screen", "thumb"]


async def test_the_image_workers_never_keep_a_lock_the_app_held_when_they_started(
    tmp_path: Path,
) -> None:
    """A complete holds an flock on the upload's part file; image workers starting meanwhile
    must not inherit it, or the next complete of that upload waits for ever."""
    import fcntl

    from api.media.images import IngestPool

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(900, 600))
    part = tmp_path / "upload.part"
    part.write_bytes(b"bytes")
    pool = IngestPool(workers=1)
    try:
        with part.open("rb") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
            made = await asyncio.wait_for(pool.ingest(photo, ""), 60)  # the workers start here
        assert made.width == 900
        with part.open("rb") as again:
            try:
                fcntl.flock(again.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pytest.fail("an image worker still holds the lock its parent released")
    finally:
        pool.shutdown()


async def test_the_running_digest_survives_overlaps_and_gives_way_after_a_restart(
    tmp_path: Path,
) -> None:
    from api.media.images import IngestPool
    from api.media.store import LocalBlobStore
    from api.media.uploads import Uploads
    from api.models import Upload

    data = random.Random(3).randbytes(3 * CHUNK + 99)
    store = LocalBlobStore(tmp_path / "blobs")
    upload = Upload(id=uuid.uuid4(), user_id=uuid.uuid4(), sha256=sha(data), size=len(data))

    def uploads() -> Uploads:
        return Uploads(tmp_path / "uploads", store, IngestPool(workers=1))

    first = uploads()
    first.part(upload.id).write_bytes(b"")
    assert await first.write(upload, offset=0, data=data[:CHUNK]) == CHUNK
    # A chunk that overlaps what was received appends only its new tail.
    half = CHUNK // 2
    assert await first.write(upload, offset=half, data=data[half : half + CHUNK]) == half + CHUNK
    assert await first.digest(upload) != sha(data)  # not all bytes yet: the file decides
    # The process restarts: the new one never saw the first chunks.
    second = uploads()
    end = half + CHUNK
    while end < len(data):
        end = await second.write(upload, offset=end, data=data[end : end + CHUNK])
    assert await second.digest(upload) == sha(data)
    # One process that saw every byte, an overlapping resend among them, answers from its
    # running digest, the same hash.
    third = uploads()
    again = Upload(id=uuid.uuid4(), user_id=upload.user_id, sha256=sha(data), size=len(data))
    third.part(again.id).write_bytes(b"")
    offset = await third.write(again, offset=0, data=data[:CHUNK])
    offset = await third.write(again, offset=half, data=data[half : half + CHUNK])
    while offset < len(data):
        offset = await third.write(again, offset=offset, data=data[offset : offset + CHUNK])
    assert third._digests[again.id][0] == len(data), "the overlap kept the running digest"
    assert await third.digest(again) == sha(data)


async def test_a_complete_sent_twice_at_once_stores_the_photo_and_never_fails_with_500(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = jpeg(3000, 2000)
    state = await start(client, wang, data)
    sent = await client.put(
        f"/api/uploads/{state['id']}", params={"offset": 0}, content=data, headers=wang
    )
    assert sent.status_code == 200, sent.text
    # The phone's first request timed out on its side and it asks again at once.
    url = f"/api/uploads/{state['id']}/complete"
    answers = await asyncio.gather(*[client.post(url, headers=wang) for _ in range(3)])
    codes = [a.status_code for a in answers]
    assert 200 in codes, codes
    for answer in answers:
        if answer.status_code != 200:
            assert answer.status_code == 409, answer.text
            assert "start again" in answer.json()["detail"]
    again = await start(client, wang, data)
    assert again["complete"] is True, "the photo is stored"


async def test_two_photos_of_the_same_pixels_each_get_their_own_copies(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    # One picture saved twice (squeezed harder, say): two originals whose copies would be the
    # same bytes, so one photo was left without rows for its copies and served none.
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 200, 150))
    saved = []
    for level in (1, 9):
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=level)
        saved.append(out.getvalue())
    first, second = saved
    assert first != second
    copies = []
    for data in (first, second):
        done = await upload(client, wang, data)
        assert done.status_code == 200, done.text
        ready = await settled(client, wang, sha(data))
        assert ready["state"] == "ready"
        assert set(ready["variants"]) == {"screen", "thumb"}
        copies.append(ready["variants"])
    assert copies[0]["thumb"] != copies[1]["thumb"]
    desk = await login(client, "desk")
    for data in (first, second):
        for variant in ("screen", "thumb"):
            got = await client.get(
                f"/api/blobs/{sha(data)}", params={"variant": variant}, headers=desk
            )
            assert got.status_code == 200, (variant, got.text)


async def test_copies_carry_no_comment_of_the_original(
    client: httpx.AsyncClient, wang: dict[str, str]
) -> None:
    data = jpeg(800, 600, comment=b"site gate code 4711")
    assert (await upload(client, wang, data)).status_code == 200
    await settled(client, wang, sha(data))
    desk = await login(client, "desk")
    for variant in ("screen", "thumb"):
        got = await client.get(f"/api/blobs/{sha(data)}", params={"variant": variant}, headers=desk)
        assert got.status_code == 200, got.text
        assert b"4711" not in got.content
        assert Image.open(io.BytesIO(got.content)).info.get("comment") == (
            f"fieldsync {variant} of {sha(data)}".encode()
        )

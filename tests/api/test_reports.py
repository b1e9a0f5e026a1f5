"""The signed service report through the API: issued after the customer signs, refused when
the content differs from what was signed, corrections, downloads, customer links,
verification and mail. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import Litestar
from PIL import Image

from api.db import Database
from api.domain.reports.services import Reports
from api.models import Part, ReportLink, utcnow
from api.settings import Settings
from pdf.canonical import ContentInput, content_from_replica, content_sha256
from sync.client import SyncClient
from tests.helpers import (
    FIELDSYNC,
    PASSWORD,
    World,
    login,
    require_tool,
    server_env,
    upload,
)
from tests.mailserver import Smtp, mail_settings


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp: Smtp) -> Settings:
    return mail_settings(tmp_path / "data", db_url, smtp, sender="reports@example.com")


# ---- the phone's side -----------------------------------------------------------------------


def strokes(seed: int = 0) -> dict[str, object]:
    lines = []
    for s in range(3):
        points = [
            {"x": 40 + s * 170 + i * 5, "y": round(100 + math.sin((i + seed) / 3) * 40, 1), "t": i}
            for i in range(30)
        ]
        lines.append(points)
    return {"width": 600, "height": 200, "strokes": lines}


def device_content(phone: SyncClient, job_id: str) -> ContentInput:
    """What the PWA does: the canonical content's input from the local replica only."""
    return content_from_replica(phone.replica, job_id)


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Signed:
    job_id: str
    phone: SyncClient
    desk: dict[str, str]
    wang: dict[str, str]
    photo_screen: str


async def work_and_sign(
    client: httpx.AsyncClient,
    world: World,
    db: Database,
    *,
    change_after_signing: bool = False,
    email_to: str = "",
    bytes_after: bool = False,
) -> Signed:
    """A job worked on a phone offline and signed by the customer over the phone's hash.

    With ``bytes_after`` the photo's bytes are not uploaded: the phone pushes its records
    first and uploads bytes after (the test sends them with :func:`upload` when it wants)."""
    desk = await login(client, "desk")
    if email_to:
        r = await client.patch(
            f"/api/customers/{world.customer.id}", json={"email": email_to}, headers=desk
        )
        assert r.status_code == 200, r.text
    async with db.write() as session:
        parts = [
            Part(
                code=f"P-{uuid.uuid4().hex[:6]}",
                name="压缩机 Compressor",
                unit="台",
                price=Decimal("3200"),
            ),
            Part(
                code=f"P-{uuid.uuid4().hex[:6]}",
                name="制冷剂 R410A",
                unit="kg",
                price=Decimal("85.5"),
            ),
        ]
        session.add_all(parts)
    created = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "site_id": str(world.site.id),
            "asset_id": str(world.asset.id),
            "channel": "phone",
            "fault_description": "冷水机组不制冷 E4",
        },
        headers=desk,
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    r = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert r.status_code == 200, r.text
    wang = await login(client, "wang")
    data = jpeg((200, 80, 40))
    stored = (
        {"sha256": hashlib.sha256(data).hexdigest(), "variants": {"screen": ""}}
        if bytes_after
        else await upload(client, wang, data)
    )

    phone = SyncClient(http=client, username="wang", password=PASSWORD)
    await phone.sync()
    phone.mutate("job.accept", job_id=job_id)
    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.mutate("job.status", job_id=job_id, to="on_site", latitude=31.2, longitude=121.5)
    phone.mutate(
        "job.record",
        job_id=job_id,
        fields={
            "diagnosis": "压缩机烧毁 compressor burnt",
            "cause": "缺相 phase loss",
            "work_done": "更换压缩机\r\n加注 2.5 kg",
            "advice": "注意事项：雷雨天断电",
        },
    )
    phone.mutate(
        "part_line.add",
        id=uuid.uuid4(),
        job_id=job_id,
        part_id=parts[0].id,
        quantity="1",
        billing="warranty",
    )
    phone.mutate(
        "part_line.add",
        id=uuid.uuid4(),
        job_id=job_id,
        part_id=parts[1].id,
        quantity="2.50",
        billing="chargeable",
        note="补加冷媒",
    )
    phone.mutate(
        "photo.add",
        id=uuid.uuid4(),
        job_id=job_id,
        blob_sha256=stored["sha256"],
        category="defect",
        caption="端子烧蚀",
    )
    phone.mutate(
        "receipt.add",
        id=uuid.uuid4(),
        job_id=job_id,
        item_description="控制主板",
        serial="CB-1",
        fault="无显示",
    )
    phone.mutate("job.status", job_id=job_id, to="work_done")
    signed_hash = content_sha256(device_content(phone, job_id))
    phone.mutate(
        "signature.add",
        id=uuid.uuid4(),
        job_id=job_id,
        signer_role="engineer",
        signer_name="王伟",
        strokes=strokes(1),
        content_sha256=signed_hash,
    )
    phone.mutate(
        "signature.add",
        id=uuid.uuid4(),
        job_id=job_id,
        signer_role="customer",
        signer_name="赵经理",
        strokes=strokes(2),
        content_sha256=signed_hash,
        latitude=31.2,
        longitude=121.5,
    )
    phone.mutate("satisfaction.add", id=uuid.uuid4(), job_id=job_id, score=5, remarks="很好")
    if change_after_signing:
        phone.mutate("job.record", job_id=job_id, fields={"advice": "改过的注意事项"})
    await phone.sync()
    assert not phone.failed, [f.reason for f in phone.failed]
    screen = stored["variants"]
    assert isinstance(screen, dict)
    return Signed(job_id, phone, desk, wang, screen["screen"])


def pdfsig(path: Path) -> str:
    """What poppler's independent verifier says of a PDF."""
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def cli_verify(data_dir: Path, pdf: Path) -> subprocess.CompletedProcess[str]:
    """``fieldsync report verify`` with the app's data folder (its demo certificate)."""
    return subprocess.run(
        [FIELDSYNC, "report", "verify", str(pdf)],
        env=server_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


def reports_service(app: Litestar) -> Reports:
    service: Reports = app.state.reports
    return service


@pytest.fixture
async def signed(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database
) -> AsyncIterator[Signed]:
    job = await work_and_sign(client, world, db)
    await reports_service(app).drain()
    return job


# ---- issuing --------------------------------------------------------------------------------


async def test_the_report_is_issued_after_the_push_that_brings_the_signature(
    app: Litestar, client: httpx.AsyncClient, signed: Signed
) -> None:
    listed = await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.wang)
    assert listed.status_code == 200, listed.text
    (report,) = listed.json()
    assert report["status"] == "issued", report
    assert (report["revision"], report["number"][:8]) == (1, "RP-2026-"[:8])
    assert report["content_sha256"] == report["signed_content_sha256"]
    assert report["language"] == "zh-CN", "the customer's language by default"
    assert report["email_to"] == "", "the customer has no address: no mail"

    pdf = await client.get(report["pdf_url"], headers=signed.wang)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == report["pdf_sha256"]

    again = await client.post(f"/api/jobs/{signed.job_id}/report", json={}, headers=signed.desk)
    assert again.status_code == 200, "asking again answers the issued report"
    assert again.json()["id"] == report["id"]
    same = {"language": "zh-CN"}
    assert (
        await client.post(f"/api/jobs/{signed.job_id}/report", json=same, headers=signed.desk)
    ).json()["id"] == report["id"]
    # Asked in the other language: said so, not answered with the Chinese report as if English.
    other = await client.post(
        f"/api/jobs/{signed.job_id}/report", json={"language": "en"}, headers=signed.desk
    )
    assert other.status_code == 409, other.text
    assert (other.json()["code"], other.json()["params"]) == (
        "report_language",
        {"language": "zh-CN"},
    )

    other = await login(client, "li")
    assert (await client.get(report["pdf_url"], headers=other)).status_code == 404


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text poppler reads from a PDF."""
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "text.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


async def test_the_report_prints_every_signed_field_of_a_part_line(
    client: httpx.AsyncClient, signed: Signed, tmp_path: Path
) -> None:
    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    data = (await client.get(report["pdf_url"], headers=signed.desk)).content
    assert "补加冷媒" in pdf_text(data, tmp_path), "the part line's note is in the signed hash"


async def test_an_english_report_names_parts_as_signed_with_the_translation_beneath(
    app: Litestar, db: Database, signed: Signed, tmp_path: Path
) -> None:
    from sqlalchemy import update

    async with db.write() as session:
        await session.execute(
            update(Part).where(Part.name == "制冷剂 R410A").values(name_en="Refrigerant R410A")
        )
    report, fresh = await reports_service(app).issue(
        uuid.UUID(signed.job_id), me=None, language="en", correction_reason="English copy"
    )
    assert fresh
    assert report.language == "en"
    text = pdf_text(await reports_service(app).pdf(report), tmp_path)
    assert "制冷剂 R410A" in text, "the name the customer signed"
    assert "Refrigerant R410A" in text, "the catalogue's translation"
    assert text.index("制冷剂 R410A") < text.index("Refrigerant R410A")


async def test_an_english_report_gives_units_as_signed_with_the_english_unit_beneath(
    app: Litestar, db: Database, signed: Signed, tmp_path: Path
) -> None:
    from sqlalchemy import update

    async with db.write() as session:
        await session.execute(
            update(Part).where(Part.unit == "台").values(unit_en="pce-set")  # one word to find
        )
        # An English unit that says nothing new prints nothing more.
        await session.execute(update(Part).where(Part.unit == "kg").values(unit_en="kg"))
    texts = {}
    for language in ("en", "zh-CN"):
        report, fresh = await reports_service(app).issue(
            uuid.UUID(signed.job_id), me=None, language=language, correction_reason="copy"
        )
        assert fresh
        texts[language] = pdf_text(await reports_service(app).pdf(report), tmp_path)
    # pdftotext drops the space between a number and a Chinese character.
    english, chinese = (texts[k].replace("1台", "1 台") for k in ("en", "zh-CN"))
    assert "1 台" in english, "the unit the customer signed"
    assert "pce-set" in english, "the catalogue's English unit, as a translation"
    assert english.index("1 台") < english.index("pce-set")
    assert english.count("kg") == chinese.count("kg")
    assert "1 台" in chinese
    assert "pce-set" not in chinese, "a Chinese report is unchanged"


async def test_the_totals_are_the_sums_of_the_printed_line_amounts(
    app: Litestar, db: Database, signed: Signed
) -> None:
    from sqlalchemy import select

    from api.domain.reports.build import build_context
    from api.models import Billing, Job, PartLine, Report

    async with db.write() as session:
        for line in await session.scalars(
            select(PartLine).where(PartLine.job_id == uuid.UUID(signed.job_id))
        ):
            # 0.001 × 85.50 = 0.0855: each line prints 0.09.
            line.quantity, line.unit_price = Decimal("0.001"), Decimal("85.50")
            line.billing = Billing.CHARGEABLE
    service = reports_service(app)
    async with db.read() as session:
        job = await session.get(Job, uuid.UUID(signed.job_id))
        assert job is not None
        report = await session.scalar(select(Report).where(Report.job_id == job.id))
        assert report is not None
        ctx, _ = await build_context(
            session, job, report, settings=service.settings, blobs=service.blobs
        )
    assert [p.amount for p in ctx.parts] == ["0.09", "0.09"]
    assert ctx.chargeable_total == "0.18", "what the printed lines add up to, as settled"


async def test_the_issued_report_verifies_with_pyhanko_and_pdfsig_and_a_changed_byte_breaks_both(
    client: httpx.AsyncClient, signed: Signed, tmp_path: Path, settings: Settings
) -> None:
    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    data = (await client.get(report["pdf_url"], headers=signed.desk)).content
    answer = (await client.post("/api/reports/verify", content=data)).json()
    assert answer["status"] == "valid", answer
    assert (answer["report_number"], answer["revision"]) == (report["number"], 1)
    assert answer["content_sha256"] == report["content_sha256"]
    assert answer["known"]
    assert answer["current"]

    broken = bytearray(data)
    broken[broken.index(b"WeasyPrint")] = ord("w")
    answer = (await client.post("/api/reports/verify", content=bytes(broken))).json()
    assert answer["status"] == "tampered", answer
    assert not answer["valid"]
    assert (await client.post("/api/reports/verify", content=b"not a pdf")).json()["status"] in {
        "unreadable",
        "unsigned",
    }

    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(data)
    bad.write_bytes(bytes(broken))
    said = await asyncio.to_thread(cli_verify, settings.data_dir, good)
    assert said.returncode == 0, said.stdout + said.stderr
    assert said.stdout.startswith("VALID"), said.stdout
    assert f"{report['number']} revision 1" in said.stdout
    said = await asyncio.to_thread(cli_verify, settings.data_dir, bad)
    assert said.returncode == 1
    assert said.stdout.startswith("TAMPERED"), said.stdout
    # A certificate that cannot be read: one line saying so, not a traceback.
    wrong = await asyncio.to_thread(
        subprocess.run,
        [
            FIELDSYNC,
            "report",
            "verify",
            str(good),
            "--certificate",
            str(settings.data_dir / "keys" / "report-signing.p12"),
            "--passphrase",
            "not-the-passphrase",
        ],
        env=server_env(settings.data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 1
    assert "the signing certificate could not be read" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    if shutil.which("pdfsig"):
        ok = await asyncio.to_thread(pdfsig, good)
        assert "Signature is Valid" in ok, ok
        ko = await asyncio.to_thread(pdfsig, bad)
        assert "Signature is Valid" not in ko, ko


async def test_content_changed_after_signing_is_refused_with_its_reason_then_corrected(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database
) -> None:
    job = await work_and_sign(client, world, db, change_after_signing=True)
    await reports_service(app).drain()
    assert (await client.get(f"/api/jobs/{job.job_id}/reports", headers=job.desk)).json() == []

    refused = await client.post(f"/api/jobs/{job.job_id}/report", json={}, headers=job.wang)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "differs from what the customer signed" in detail, detail
    assert refused.json()["code"] == "changed_since_signing"

    by_engineer = await client.post(
        f"/api/jobs/{job.job_id}/report",
        json={"correction_reason": "advice reworded"},
        headers=job.wang,
    )
    assert by_engineer.status_code == 403

    first = await client.post(
        f"/api/jobs/{job.job_id}/report",
        json={"correction_reason": "注意事项在签字后补充"},
        headers=job.desk,
    )
    assert first.status_code == 201, first.text
    one = first.json()
    assert one["content_sha256"] != one["signed_content_sha256"]
    assert one["correction_reason"] == "注意事项在签字后补充"

    second = await client.post(
        f"/api/jobs/{job.job_id}/report",
        json={"correction_reason": "price corrected", "language": "en"},
        headers=job.desk,
    )
    assert second.status_code == 201, second.text
    two = second.json()
    assert (two["number"], two["revision"], two["supersedes_id"]) == (one["number"], 2, one["id"])
    assert two["language"] == "en"

    old = (await client.get(one["pdf_url"], headers=job.desk)).content
    verdict = (await client.post("/api/reports/verify", content=old)).json()
    assert verdict["valid"]
    assert verdict["known"]
    assert not verdict["current"]


async def test_a_first_report_issued_as_a_correction_prints_its_reason(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database, tmp_path: Path
) -> None:
    job = await work_and_sign(client, world, db, change_after_signing=True)
    await reports_service(app).drain()
    issued = await client.post(
        f"/api/jobs/{job.job_id}/report",
        json={"correction_reason": "签字后补充了注意事项"},
        headers=job.desk,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["revision"] == 1
    data = (await client.get(issued.json()["pdf_url"], headers=job.desk)).content
    assert "签字后补充了注意事项" in pdf_text(data, tmp_path).replace("\n", "")


async def test_a_job_reopened_after_an_unhappy_call_back_is_signed_again_and_reported_anew(
    app: Litestar, client: httpx.AsyncClient, world: World, signed: Signed, tmp_path: Path
) -> None:
    # 重新派修 "until satisfied": a job held one signature per role for good, so the new
    # visit could never be signed, and the job stuck at work_done, never reviewed again.
    job_id, phone, desk = signed.job_id, signed.phone, signed.desk
    boss = await login(client, "boss")

    async def office(action: str, body: dict[str, Any], status: str) -> None:
        answer = await client.post(f"/api/jobs/{job_id}/{action}", json=body, headers=boss)
        assert answer.status_code == 200, answer.text
        assert answer.json()["job"]["status"] == status

    await office("review", {"decision": "approve"}, "reviewed")
    await office("settle", {}, "settled")
    await office("follow-up", {"score": 2, "satisfied": False, "remarks": "仍漏水"}, "reopened")
    await office("assign", {"engineer_id": str(world.engineer.id)}, "assigned")
    await phone.pull()
    set_aside = [s for s in phone.replica.values() if s.get("signer_role")]
    assert len(set_aside) == 2
    assert all(s["superseded_at"] for s in set_aside), "the phone hears they were set aside"

    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.record", job_id=job_id, fields={"work_done": "复查：更换膨胀阀"})
    phone.mutate("job.status", job_id=job_id, to="work_done")
    second = content_sha256(device_content(phone, job_id))
    phone.mutate(
        "signature.add",
        id=uuid.uuid4(),
        job_id=job_id,
        signer_role="customer",
        signer_name="赵经理",
        strokes=strokes(3),
        content_sha256=second,
    )
    await phone.sync()
    assert not phone.failed, [f.reason for f in phone.failed]
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    assert detail["job"]["status"] == "signed"
    customer = [s for s in detail["signatures"] if s["signer_role"] == "customer"]
    assert [(s["content_sha256"] == second, bool(s["superseded_at"])) for s in customer] == [
        (False, True),
        (True, False),
    ]
    await reports_service(app).drain()
    reports = (await client.get(f"/api/jobs/{job_id}/reports", headers=desk)).json()
    assert [(r["revision"], r["status"]) for r in reports] == [(1, "issued"), (2, "issued")]
    assert reports[1]["signed_content_sha256"] == second == reports[1]["content_sha256"]
    assert reports[1]["supersedes_id"] == reports[0]["id"]
    assert reports[1]["correction_reason"] == ""
    text = pdf_text(
        (await client.get(reports[1]["pdf_url"], headers=desk)).content, tmp_path
    ).replace("\n", "")
    assert "再次上门服务" in text
    assert "更正原因" not in text, "a new visit's report is no correction"

    await office("review", {"decision": "approve"}, "reviewed")
    await office("settle", {}, "settled")
    await office("follow-up", {"score": 5, "satisfied": True}, "followed_up")
    await office("close", {}, "closed")


async def test_a_stored_image_that_cannot_be_read_fails_the_report_instead_of_dropping_it(
    app: Litestar, client: httpx.AsyncClient, signed: Signed
) -> None:
    from api.media.store import LocalBlobStore

    blobs = reports_service(app).blobs
    assert isinstance(blobs, LocalBlobStore)
    # The copy was made and recorded; reading it fails (a store error, a lost file).
    await blobs.delete(signed.photo_screen)
    answer = await client.post(
        f"/api/jobs/{signed.job_id}/report",
        json={"correction_reason": "price corrected"},
        headers=signed.desk,
    )
    assert answer.status_code == 503, answer.text
    reports = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    assert [r["status"] for r in reports] == ["issued", "failed"]
    assert "blob not found" in reports[1]["error"]


async def test_a_change_made_and_undone_while_rendering_is_never_printed(
    app: Litestar,
    client: httpx.AsyncClient,
    db: Database,
    signed: Signed,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from api.domain.reports import services
    from api.http import Conflict
    from api.models import Job

    job_id = uuid.UUID(signed.job_id)
    service = reports_service(app)
    async with db.read() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        kept = job.work_done

    async def set_work_done(text: str) -> None:
        async with db.write() as session:
            job = await session.get(Job, job_id)
            assert job is not None
            job.work_done = text

    # Someone changes the job as soon as the report's content is hashed, and puts it back
    # while the report renders: the final check then finds the content it hashed.
    prepare, render = service._prepare, services.render_in_pool

    async def prepare_then_change(*args: Any, **kwargs: Any) -> Any:
        prepared = await prepare(*args, **kwargs)
        await set_work_done("更换了整台机组（未经客户确认）")
        return prepared

    async def render_then_undo(*args: Any, **kwargs: Any) -> Any:
        rendered = await render(*args, **kwargs)
        await set_work_done(kept)
        return rendered

    monkeypatch.setattr(service, "_prepare", prepare_then_change)
    monkeypatch.setattr(services, "render_in_pool", render_then_undo)
    with pytest.raises(Conflict, match="changed while its report was rendering") as refused:
        await service.issue(job_id, me=None, correction_reason="price corrected")
    assert refused.value.code == "changed_while_rendering"
    reports = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    assert [r["status"] for r in reports] == ["issued", "failed"]
    assert reports[1]["error"] == "the job changed while the report was rendering"
    assert reports[1]["pdf_sha256"] in ("", None)


async def _unprocessed(db: Database, job_id: str) -> str:
    """Make the job's photo look just uploaded: stored, its copies not made yet."""
    from sqlalchemy import delete, select, update

    from api.models import BlobInfo, Photo

    async with db.write() as session:
        digest = await session.scalar(
            select(Photo.blob_sha256).where(Photo.job_id == uuid.UUID(job_id))
        )
        assert digest is not None
        await session.execute(delete(BlobInfo).where(BlobInfo.original_sha256 == digest))
        await session.execute(
            update(BlobInfo).where(BlobInfo.sha256 == digest).values(state="processing")
        )
    return str(digest)


async def test_issuing_a_report_waits_for_its_photos_copies(
    app: Litestar, db: Database, signed: Signed
) -> None:
    from sqlalchemy import select

    from api.models import BlobInfo

    digest = await _unprocessed(db, signed.job_id)
    await reports_service(app).issue(uuid.UUID(signed.job_id), me=None)
    async with db.read() as session:
        info = await session.get(BlobInfo, digest)
        assert info is not None
        assert info.state == "ready", "the photo was processed first"
        screen = await session.scalar(
            select(BlobInfo).where(BlobInfo.original_sha256 == digest, BlobInfo.variant == "screen")
        )
    assert screen is not None


async def test_a_report_is_not_rendered_while_a_photo_is_still_processing(
    app: Litestar, db: Database, signed: Signed
) -> None:
    from litestar.exceptions import NotFoundException

    from api.media.pipeline import StillProcessing
    from api.security import Principal

    digest = await _unprocessed(db, signed.job_id)
    with pytest.raises(StillProcessing, match="still being processed"):
        await reports_service(app).issue(uuid.UUID(signed.job_id), me=None, photo_wait=0)
    # Someone who may not see the job is told so at once, not after the wait for photos.
    stranger = Principal(
        user_id=uuid.uuid4(), username="nobody", role="engineer", device_id=uuid.uuid4()
    )
    with pytest.raises(NotFoundException):
        await reports_service(app).issue(uuid.UUID(signed.job_id), me=stranger, photo_wait=0)
    await asyncio.wait_for(app.state.pipeline.queue(digest), 30)


async def issued_reports(client: httpx.AsyncClient, signed: Signed) -> list[dict[str, Any]]:
    listed = await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)
    assert listed.status_code == 200, listed.text
    return [r for r in listed.json() if r["status"] == "issued"]


async def test_the_automatic_report_waits_for_photo_bytes_sent_after_the_signature(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database, tmp_path: Path
) -> None:
    # As the phone syncs: the push brings the photo record and the signature, the bytes follow.
    signed = await work_and_sign(client, world, db, bytes_after=True)
    await reports_service(app).drain()
    assert await issued_reports(client, signed) == [], "not printed without its photo"
    await upload(client, signed.wang, jpeg((200, 80, 40)))
    await reports_service(app).drain()
    (report,) = await issued_reports(client, signed)
    pdf = await client.get(report["pdf_url"], headers=signed.desk)
    text = pdf_text(pdf.content, tmp_path)
    assert "端子烧蚀" in text, "the photo's caption is printed"
    assert "照片尚未上传" not in text, "and the photo itself, not its placeholder"


async def test_a_report_that_waited_a_day_in_vain_for_photo_bytes_is_issued_without_them(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from api.housekeeping import Housekeeping
    from api.models import Signature

    signed = await work_and_sign(client, world, db, bytes_after=True)
    service = reports_service(app)
    await service.drain()
    chores = Housekeeping(db, reports=service)
    await chores.run_once()
    await service.drain()
    assert await issued_reports(client, signed) == [], "within the day it still waits"
    async with db.write() as session:
        await session.execute(
            update(Signature)
            .where(Signature.job_id == uuid.UUID(signed.job_id))
            .values(server_time=utcnow() - timedelta(hours=24, minutes=5))
        )
    await chores.run_once()
    await service.drain()  # the chores start the report and go on; it renders meanwhile
    (report,) = await issued_reports(client, signed)
    pdf = await client.get(report["pdf_url"], headers=signed.desk)
    assert "照片尚未上传" in pdf_text(pdf.content, tmp_path), "the photo shows as not uploaded"
    assert await service.issue_overdue(utcnow()) == 0, "issued once: nothing waits any more"


async def test_a_job_not_signed_by_the_customer_has_no_report(
    client: httpx.AsyncClient, world: World
) -> None:
    desk = await login(client, "desk")
    created = await client.post(
        "/api/jobs",
        json={"customer_id": str(world.customer.id), "channel": "web", "fault_description": "x"},
        headers=desk,
    )
    job_id = created.json()["job"]["id"]
    refused = await client.post(f"/api/jobs/{job_id}/report", json={}, headers=desk)
    assert refused.status_code == 409
    assert "has not signed" in refused.json()["detail"]
    # A correction amends what the customer signed; it cannot stand in for a signature.
    corrected = await client.post(
        f"/api/jobs/{job_id}/report", json={"correction_reason": "客户不在现场"}, headers=desk
    )
    assert corrected.status_code == 409, corrected.text
    assert "has not signed" in corrected.json()["detail"]
    assert (await client.get(f"/api/jobs/{job_id}/reports", headers=desk)).json() == []
    unknown = await client.post(f"/api/jobs/{uuid.uuid4()}/report", json={}, headers=desk)
    assert unknown.status_code == 404
    bad = await client.post(f"/api/jobs/{job_id}/report", json={"language": "fr"}, headers=desk)
    assert bad.status_code == 400


# ---- the customer's link --------------------------------------------------------------------


async def test_a_customer_link_shows_the_report_reaches_only_its_job_and_can_be_revoked(
    app: Litestar, client: httpx.AsyncClient, signed: Signed, db: Database
) -> None:
    made = await client.post(
        f"/api/jobs/{signed.job_id}/report-links", json={"days": 7}, headers=signed.desk
    )
    assert made.status_code == 201, made.text
    link = made.json()
    token = link["token"]
    assert len(token) >= 32, "at least 128 bits, url-safe"
    assert link["url"] == f"https://service.example.com/r/{token}"
    async with db.read() as session:
        row = await session.get(ReportLink, uuid.UUID(link["id"]))
        assert row is not None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in row.token_hash

    page = await client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "RP-2026-" in page.text
    # Issued on the department's clock, as the PDF prints it; who sent it and their number.
    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    shanghai = datetime.fromisoformat(report["issued_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{shanghai:%Y-%m-%d %H:%M} (Asia/Shanghai)" in page.text
    assert "UTC" not in page.text
    assert "400-800-0000" in page.text
    assert 'option value="" selected disabled' in page.text, "no score chosen for the customer"
    # The item the engineer took back, and where it is now (docs/receipts.md).
    assert "控制主板 · CB-1</td>\n<td>已取回 Taken for repair</td>" in page.text
    (receipt,) = (
        await client.get(f"/api/receipts?job_id={signed.job_id}", headers=signed.desk)
    ).json()["items"]
    moved = await client.post(
        f"/api/receipts/{receipt['id']}/moves", json={"to": "returned"}, headers=signed.desk
    )
    assert moved.status_code == 200, moved.text
    back = datetime.fromisoformat(moved.json()["returned_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    page = await client.get(f"/r/{token}")
    assert f"<td>已交还 Returned<br>{back:%Y-%m-%d}</td>" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    pdf = await client.get(f"/r/{token}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    own = await client.get(f"/r/{token}/images/{signed.photo_screen}")
    assert own.status_code == 200
    assert own.headers["content-type"] == "image/jpeg"

    detail = (await client.get(f"/api/jobs/{signed.job_id}", headers=signed.desk)).json()
    (customer_sig,) = [s for s in detail["signatures"] if s["signer_role"] == "customer"]
    sig_image = await client.get(f"/r/{token}/images/{customer_sig['png_sha256']}")
    assert sig_image.status_code == 200
    assert sig_image.headers["content-type"] == "image/png"
    # A photo stored on the server but not on this job stays out of reach.
    elsewhere = await upload(client, signed.wang, jpeg((10, 200, 90)))
    for sha in (elsewhere["variants"]["screen"], elsewhere["sha256"]):
        assert (await client.get(f"/r/{token}/images/{sha}")).status_code == 404
    assert (await client.get(f"/r/{token}/images/not-a-hash")).status_code == 404
    assert (await client.get(f"/r/{'x' * 32}")).status_code == 404
    # An image whose file the store lost: said so, and the page itself still answers.
    app.state.blobs.path(signed.photo_screen).unlink()
    lost = await client.get(f"/r/{token}/images/{signed.photo_screen}")
    assert lost.status_code == 404, lost.text
    assert "missing from the server's blob store" in lost.json()["detail"]
    assert (await client.get(f"/r/{token}")).status_code == 200

    revoked = await client.post(
        f"/api/report-links/{link['id']}/revoke", json={}, headers=signed.desk
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    gone = await client.get(f"/r/{token}/pdf")
    assert gone.status_code == 410
    assert "expired or was revoked" in gone.json()["detail"]

    expiring = (
        await client.post(f"/api/jobs/{signed.job_id}/report-links", json={}, headers=signed.desk)
    ).json()
    async with db.write() as session:
        row = await session.get(ReportLink, uuid.UUID(expiring["id"]))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert (await client.get(f"/r/{expiring['token']}")).status_code == 410
    assert (
        await client.post(f"/api/jobs/{signed.job_id}/report-links", json={}, headers=signed.wang)
    ).status_code == 403


async def test_the_qr_code_page_tells_whether_the_report_is_current(
    client: httpx.AsyncClient, signed: Signed, db: Database
) -> None:
    from sqlalchemy import select

    from api.models import Report

    async with db.read() as session:
        code = await session.scalar(select(Report.verify_code))
    page = await client.get(f"/r/check/{code}")
    assert page.status_code == 200
    assert "current" in page.text
    assert "(Asia/Shanghai)" in page.text
    assert "UTC" not in page.text
    assert (await client.get(f"/r/check/{'0' * 32}")).status_code == 404


# ---- mail -----------------------------------------------------------------------------------


async def test_the_report_is_mailed_to_the_customer_with_the_pdf_attached(
    app: Litestar, client: httpx.AsyncClient, world: World, db: Database, smtp: Smtp
) -> None:
    before = len(smtp.inbox.messages)
    job = await work_and_sign(client, world, db, email_to="zhao@example.com")
    await reports_service(app).drain()
    for _ in range(50):
        if len(smtp.inbox.messages) > before:
            break
        await asyncio.sleep(0.1)
    (message,) = smtp.inbox.messages[before:]
    assert message["To"] == "zhao@example.com"
    (report,) = (await client.get(f"/api/jobs/{job.job_id}/reports", headers=job.desk)).json()
    assert report["number"] in message["Subject"]
    attachments = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    body = attachments[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    assert hashlib.sha256(body).hexdigest() == report["pdf_sha256"]
    assert report["emailed_at"] is not None
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "https://service.example.com/r/" in str(text.get_payload(decode=True), "utf-8")

    resent = await client.post(f"/api/reports/{report['id']}/email", json={}, headers=job.desk)
    assert resent.status_code == 200, resent.text


async def test_a_customer_address_no_mail_can_carry_is_refused_with_its_reason(
    client: httpx.AsyncClient, world: World, signed: Signed
) -> None:
    r = await client.patch(
        f"/api/customers/{world.customer.id}",
        json={"email": "zhao@example.com\nBcc: someone@example.com"},
        headers=signed.desk,
    )
    assert r.status_code == 200, r.text
    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    sent = await client.post(f"/api/reports/{report['id']}/email", json={}, headers=signed.desk)
    assert sent.status_code == 409, sent.text
    assert "e-mail address" in sent.json()["detail"]
    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    assert report["emailed_at"] is None
    assert "e-mail address" in report["email_error"], "the office sees why no mail went"


async def test_public_verification_is_limited_per_address(client: httpx.AsyncClient) -> None:
    answers = [await client.post("/api/reports/verify", content=b"not a pdf") for _ in range(31)]
    assert {a.status_code for a in answers[:30]} == {200}
    assert answers[30].status_code == 429
    assert "too many verifications" in answers[30].json()["detail"]
    assert int(answers[30].headers["retry-after"]) > 0


async def _link_token(client: httpx.AsyncClient, signed: Signed) -> str:
    """A fresh customer link to the signed job's report, as the desk makes it."""
    made = await client.post(
        f"/api/jobs/{signed.job_id}/report-links", json={"days": 7}, headers=signed.desk
    )
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


async def test_ratings_sent_at_once_from_a_report_page_keep_one(
    client: httpx.AsyncClient, signed: Signed
) -> None:
    token = await _link_token(client, signed)
    # A double tap, or the page open in two tabs.
    answers = await asyncio.gather(
        *[client.post(f"/r/{token}/rating", json={"score": 4 + i % 2}) for i in range(4)]
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    detail = (await client.get(f"/api/jobs/{signed.job_id}", headers=signed.desk)).json()
    assert [s["source"] for s in detail["satisfaction"]].count("link") == 1


async def test_a_photo_added_after_the_report_was_issued_stays_off_the_customers_page(
    client: httpx.AsyncClient, signed: Signed
) -> None:
    # The customer's page shows what the report they hold shows, not a photo the phone
    # added after they signed (security review).
    token = await _link_token(client, signed)
    late = await upload(client, signed.wang, jpeg((30, 30, 200)))
    phone = SyncClient(http=client, username="wang", password=PASSWORD)
    await phone.sync()
    phone.mutate(
        "photo.add",
        id=uuid.uuid4(),
        job_id=signed.job_id,
        blob_sha256=late["sha256"],
        category="after",
    )
    answer = await phone.push()
    assert answer is not None
    assert [r.status for r in answer.results] == ["applied"]
    page = await client.get(f"/r/{token}")
    assert signed.photo_screen in page.text
    assert late["variants"]["screen"] not in page.text
    assert (await client.get(f"/r/{token}/images/{signed.photo_screen}")).status_code == 200
    shown = await client.get(f"/r/{token}/images/{late['variants']['screen']}")
    assert shown.status_code == 404


async def test_the_customer_rates_and_complains_from_the_report_page(
    client: httpx.AsyncClient, signed: Signed
) -> None:
    token = await _link_token(client, signed)
    page = await client.get(f"/r/{token}")
    assert 'id="rate"' in page.text
    assert 'id="complain"' in page.text
    bad = await client.post(f"/r/{token}/rating", json={"score": 6})
    assert bad.status_code == 400
    rated = await client.post(f"/r/{token}/rating", json={"score": 2, "remarks": "来得太晚"})
    assert rated.status_code == 201, rated.text
    again = await client.post(f"/r/{token}/rating", json={"score": 5})
    assert again.status_code == 409
    assert "rated" in again.json()["detail"]
    detail = (await client.get(f"/api/jobs/{signed.job_id}", headers=signed.desk)).json()
    assert ("link", 2, "来得太晚") in {
        (s["source"], s["score"], s["remarks"]) for s in detail["satisfaction"]
    }
    sent = await client.post(
        f"/r/{token}/complaint", json={"description": "设备再次停机", "serious": True}
    )
    assert sent.status_code == 201, sent.text
    assert "FS-" in sent.json()["message"]
    listed = (
        await client.get(f"/api/complaints?job_id={signed.job_id}", headers=signed.desk)
    ).json()
    (complaint,) = listed["items"]
    assert complaint["severity"] == "serious"
    assert complaint["escalated_at"] is not None
    assert complaint["description"].startswith("设备再次停机")
    assert (
        await client.post(f"/r/{'y' * 32}/complaint", json={"description": "xxxxx"})
    ).status_code == 404
    answers = [
        await client.post(
            f"/r/{token}/complaint", json={"description": f"again {i}", "serious": True}
        )
        for i in range(9)
    ]
    assert [a.status_code for a in answers] == [201] * 7 + [429] * 2
    # Whoever holds a forwarded link cannot mail the director all day: one a day per job.
    listed = (
        await client.get(f"/api/complaints?job_id={signed.job_id}", headers=signed.desk)
    ).json()
    assert len(listed["items"]) == 8
    assert {c["severity"] for c in listed["items"]} == {"serious"}
    assert sum(c["escalated_at"] is not None for c in listed["items"]) == 1


def test_the_report_prints_the_visit_of_the_engineer_it_names() -> None:
    from datetime import UTC, datetime

    from api.domain.reports.build import visit_times
    from api.models import TripEvent, TripKind

    job, zhang, li = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def trip(who: uuid.UUID, kind: TripKind, hour: int, minute: int) -> TripEvent:
        at = datetime(2026, 11, 28, hour, minute, tzinfo=UTC)
        return TripEvent(id=uuid.uuid4(), job_id=job, engineer_id=who, kind=kind, device_time=at)

    def at(hour: int, minute: int) -> datetime:
        return datetime(2026, 11, 28, hour, minute, tzinfo=UTC)

    trips = [
        # Zhang worked offline on a job taken from him meanwhile: not the report's visit.
        trip(zhang, TripKind.DEPARTED, 8, 40),
        trip(zhang, TripKind.ARRIVED, 8, 53),
        trip(li, TripKind.DEPARTED, 9, 0),
        trip(li, TripKind.ARRIVED, 9, 25),
        trip(li, TripKind.LEFT, 10, 5),
        # Li came back after a reopening: the report is of this second visit.
        trip(li, TripKind.DEPARTED, 14, 0),
        trip(li, TripKind.ARRIVED, 14, 30),
        trip(li, TripKind.LEFT, 15, 10),
    ]
    assert visit_times(trips, li) == (at(14, 0), at(14, 30), at(15, 10))
    assert visit_times(trips[:5], li) == (at(9, 0), at(9, 25), at(10, 5))
    assert visit_times(trips[:2], li) == (None, None, None)
    # Arrived without a logged departure, not left yet.
    assert visit_times([trip(li, TripKind.ARRIVED, 9, 25)], li) == (None, at(9, 25), None)
    # No engineer named: everyone's trips, the last visit.
    assert visit_times(trips[:2], None) == (at(8, 40), at(8, 53), None)
    # Waiting for parts on site, then back at work: the resumption logs another arrival, but
    # the visit began at the first.
    resumed = [
        trip(li, TripKind.DEPARTED, 8, 30),
        trip(li, TripKind.ARRIVED, 9, 0),
        trip(li, TripKind.ARRIVED, 11, 0),
        trip(li, TripKind.LEFT, 12, 10),
    ]
    assert visit_times(resumed, li) == (at(8, 30), at(9, 0), at(12, 10))
    # Reopened without a "left" logged on the first visit: the second trip starts at its
    # departure.
    again = [*resumed[:2], trip(li, TripKind.DEPARTED, 14, 0), trip(li, TripKind.ARRIVED, 14, 20)]
    assert visit_times(again, li) == (at(14, 0), at(14, 20), None)


def test_time_on_site_is_said_in_the_reports_language() -> None:
    from datetime import UTC, datetime

    from api.domain.reports.build import _duration

    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    end = datetime(2026, 11, 28, 10, 25, tzinfo=UTC)
    assert _duration(start, end, "en") == "1 h 25 min"
    assert _duration(start, end, "zh-CN") == "1小时25分钟"
    assert _duration(start, start.replace(minute=40), "zh-CN") == "40分钟"
    assert _duration(end, start, "en") == ""


async def test_the_settlement_statement_names_the_signed_report(
    client: httpx.AsyncClient, signed: Signed
) -> None:
    from openpyxl import load_workbook

    (report,) = (await client.get(f"/api/jobs/{signed.job_id}/reports", headers=signed.desk)).json()
    sheet = await client.get(
        f"/api/jobs/{signed.job_id}/settlement/statement.xlsx", headers=signed.desk
    )
    assert sheet.status_code == 200, sheet.text
    rows = load_workbook(io.BytesIO(sheet.content)).active.iter_rows(max_row=12, values_only=True)
    heading = {row[0]: row[1] for row in rows if row[0]}
    assert heading["服务报告 Service report"] == f"{report['number']} 版本 Rev. 1"

"""Rendering and signing a report: glyphs, embedded font subsets, escaping, the URL fetcher,
and the signature checked by pyHanko and by poppler's pdfsig."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pdf.render import ResourceFetcher, html_to_pdf, render_html, weasyprint_warnings
from pdf.sample import sample_job
from pdf.sign import (
    Certificate,
    demo_certificate,
    make_self_signed,
    reason_text,
    sign_pdf,
    signing_certificate,
    verify_pdf_sync,
)
from pdf.worker import executor, render_and_sign, render_in_pool, shutdown
from tests.helpers import require_tool

HOSTILE = (
    ' <b>bold</b> <img src="file:///etc/passwd"> <style>@import url(http://169.254.169.254/);'
    "</style> url(http://169.254.169.254/) @import 'http://evil.example/x.css'; /dev/urandom "
    '<link rel="stylesheet" href="file:///dev/urandom"> <script>alert(1)</script> &amp; "q"'
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return demo_certificate(
        tmp_path_factory.mktemp("keys"), common_name="Test Co", organisation="Test Co"
    )


@pytest.fixture(scope="module")
def rendered(cert: Certificate) -> tuple[bytes, list[str]]:
    """One signed zh-CN report with Chinese, English and digits, and WeasyPrint's warnings."""
    job = sample_job(pkcs12_path=str(cert.path), pkcs12_passphrase=cert.passphrase)
    result = render_and_sign(job)
    return result.pdf, result.warnings


@pytest.fixture(scope="module")
def pdf_file(rendered: tuple[bytes, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(rendered[0])
    return path


def tampered(data: bytes) -> bytes:
    """The file with one byte changed inside the signed range (a letter of the producer)."""
    out = bytearray(data)
    at = out.index(b"WeasyPrint")
    out[at] = ord("w")
    return bytes(out)


def pdfsig(path: Path) -> str:
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def test_chinese_english_and_digits_render_without_a_missing_glyph(
    rendered: tuple[bytes, list[str]],
) -> None:
    _, warnings = rendered
    assert not [w for w in warnings if "glyph" in w.lower()], warnings
    assert warnings == []


def test_every_font_is_embedded_as_a_subset(pdf_file: Path) -> None:
    require_tool("pdffonts", "poppler-utils")
    out = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True, check=True)
    rows = out.stdout.splitlines()[2:]
    assert rows, "the report uses fonts"
    assert any("CJK" in row for row in rows), out.stdout
    for row in rows:
        name, *_ = row.split()
        emb, sub = row.split()[-5], row.split()[-4]
        assert (emb, sub) == ("yes", "yes"), row
        assert name[6] == "+", f"a subset font carries a tag: {name}"


def test_the_report_shows_its_chinese_and_english_text(pdf_file: Path) -> None:
    require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "售后服务报告",
        "RP-2026-000123",
        "压缩机烧毁",
        "Compressor burnt out",
        "237.50",
        # The totals are of parts, said so; the completion time; what the signature confirms.
        "备件收费合计",
        "工时费与上门费见结算单",
        "完工",
        "客户签字确认：以上服务内容",
        "2小时53分钟",
    ):
        assert expected in text


def test_a_report_without_rating_or_signing_place_says_so() -> None:
    import msgspec

    job = sample_job()
    ctx = job.context
    unplaced = msgspec.structs.replace(ctx.customer_signature, located=False)
    html = render_html(msgspec.structs.replace(ctx, satisfaction=None, customer_signature=unplaced))
    assert "客户未在现场评价" in html, "no rating: said, not left out"
    assert "未记录定位，按站点地址" in html
    # The totals close the parts table once: a tfoot would repeat on every page it crosses.
    assert "<tfoot>" not in html
    assert html.count("备件保修合计") == 1


def test_pyhanko_finds_the_signature_valid_and_names_the_report(
    rendered: tuple[bytes, list[str]], cert: Certificate
) -> None:
    result = verify_pdf_sync(rendered[0], signing_certificate(cert))
    assert result.status == "valid", result.detail
    assert (result.report_number, result.revision) == ("RP-2026-000123", 1)
    assert len(result.content_sha256) == 64


def test_pyhanko_reports_one_changed_byte_as_tampered(
    rendered: tuple[bytes, list[str]], cert: Certificate
) -> None:
    result = verify_pdf_sync(tampered(rendered[0]), signing_certificate(cert))
    assert result.status == "tampered"
    assert not result.valid


def test_a_signature_by_another_certificate_is_not_ours(
    rendered: tuple[bytes, list[str]], tmp_path: Path
) -> None:
    other = make_self_signed(tmp_path / "other.p12", common_name="Forger", organisation="Forger")
    result = verify_pdf_sync(rendered[0], signing_certificate(other))
    assert result.status == "untrusted"
    assert not result.valid


def test_pdfsig_finds_the_signature_valid_and_one_changed_byte_breaks_it(
    pdf_file: Path, tmp_path: Path
) -> None:
    require_tool("pdfsig", "poppler-utils")
    report = pdfsig(pdf_file)
    assert "Signature is Valid" in report, report
    assert "Total document signed" in report
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(tampered(pdf_file.read_bytes()))
    report = pdfsig(broken)
    assert "Signature is Valid" not in report, report
    assert "Digest Mismatch" in report or "Invalid" in report, report


def test_hostile_text_fields_are_printed_as_text_and_nothing_is_fetched(
    cert: Certificate, tmp_path: Path
) -> None:
    job = sample_job(text=HOSTILE, photos=1)
    html = render_html(job.context)
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>alert(1)</script>" not in html
    fetcher = ResourceFetcher(job.resources)
    with weasyprint_warnings() as warnings:
        pdf = html_to_pdf(html, fetcher)
    assert set(fetcher.requested) <= set(job.resources), fetcher.requested
    for bad in ("file:", "http:", "169.254", "urandom", "evil"):
        assert not [u for u in fetcher.requested if bad in u], fetcher.requested
    assert not [w for w in warnings if "glyph" in w.lower()]
    if shutil.which("pdftotext"):
        path = tmp_path / "hostile.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "file:///etc/passwd" in text
        assert "/dev/urandom" in text
        assert "@import" in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.com/x",
        "fieldsync:photo/unknown",
        "/dev/urandom",
    ],
)
def test_the_fetcher_refuses_everything_but_given_resources(url: str) -> None:
    fetcher = ResourceFetcher({})
    with pytest.raises(ValueError, match="may not fetch"):
        fetcher.fetch(url)
    assert fetcher.requested == [url]


def test_an_english_report_also_renders_every_glyph(cert: Certificate) -> None:
    job = sample_job(language="en", photos=0)
    with weasyprint_warnings() as warnings:
        pdf = html_to_pdf(render_html(job.context), ResourceFetcher(job.resources))
    assert warnings == []
    signed = sign_pdf(
        pdf, cert, reason=reason_text("RP-2026-000124", 2, "0" * 64), location="x", name="y"
    )
    result = verify_pdf_sync(signed, signing_certificate(cert))
    assert (result.status, result.revision) == ("valid", 2)


def test_the_glyph_check_does_catch_a_missing_glyph() -> None:
    # A private-use character no installed font has: proves the warning capture works.
    with weasyprint_warnings() as warnings:
        html_to_pdf("<p>x \U000f0000</p>", ResourceFetcher({}))
    assert any("glyph" in w for w in warnings), warnings


async def test_a_report_worker_that_died_does_not_stop_the_reports_after_it(
    cert: Certificate,
) -> None:
    job = sample_job(pkcs12_path=str(cert.path), pkcs12_passphrase=cert.passphrase)
    workers = 2  # a pool of its own: the app's tests share the pool of 1
    first = await render_in_pool(job, workers)
    assert first.pdf.startswith(b"%PDF")
    pool = executor(workers)
    assert isinstance(pool, ProcessPoolExecutor)
    for process in list(pool._processes.values()):  # killed by the OOM killer, say
        process.kill()
        process.join()
    try:
        after = await render_in_pool(job, workers)
    finally:
        shutdown()
    assert after.pdf.startswith(b"%PDF"), "a fresh pool takes over from the broken one"

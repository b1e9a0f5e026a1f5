"""HTML from a report context, and PDF from that HTML, fetching nothing but given bytes.

Templates are Jinja2 with autoescape on, so every text field prints as text. WeasyPrint gets a
:class:`ResourceFetcher` that answers only the resource keys handed over with the context
(photos, signatures, the logo and the QR code, all read by the caller beforehand) and refuses
every other URL: ``file:``, ``http(s):``, ``data:`` and the rest. Fonts come from the system
(fontconfig), never from a URL.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import qrcode
import qrcode.image.pil
from markupsafe import Markup
from PIL import Image
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pdf.context import ReportContext, Resource
from pdf.i18n import labels

RESOURCE_SCHEME = "fieldsync:"
"""The only URL scheme the fetcher serves: ``fieldsync:photo/<sha>`` and the like."""

PRINT_PX = 800
"""Longest side of a photo in the PDF: printed 56 mm wide, 800 px is over 350 dpi."""
PRINT_QUALITY = 85


class FetchRefused(ValueError):
    """A URL the report may not reach."""


class ResourceFetcher(URLFetcher):  # type: ignore[misc]
    """Serves the given resources by key and refuses everything else, recording each ask."""

    def __init__(self, resources: Mapping[str, Resource]) -> None:
        super().__init__(allowed_protocols=["fieldsync"])
        self.resources = dict(resources)
        self.requested: list[str] = []
        """Every URL WeasyPrint asked for, served or not (tests check nothing else was)."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """The resource named by ``url``, or :class:`FetchRefused`."""
        self.requested.append(url)
        resource = self.resources.get(url) if url.startswith(RESOURCE_SCHEME) else None
        if resource is None:
            raise FetchRefused(f"the report may not fetch {url[:80]!r}")
        return URLFetcherResponse(
            url, resource.data, {"Content-Type": resource.media_type}, status=200
        )


def css_string(value: str) -> Markup:
    """``value`` as a quoted CSS string: every character but letters, digits and a few safe
    marks is written as a CSS hex escape, so no text can end the string or the style."""
    out = []
    for char in value:
        if char.isalnum() or char in " -_.,:/()":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return Markup('"' + "".join(out) + '"')  # noqa: S704 (every unsafe character is escaped)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pdf", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _css() -> Markup:
    text = resources.files("pdf").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Markup(text)  # noqa: S704 (our own file, never user text)


def render_html(ctx: ReportContext) -> str:
    """The report as HTML; every value of ``ctx`` is escaped."""
    words = labels(ctx.language)
    page = words["page"]
    before, _, rest = page.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    # Built only from css_string() parts, each fully escaped.
    footer_page = Markup(  # noqa: S704
        f"{css_string(before)} counter(page) {css_string(middle)} counter(pages) "
        f"{css_string(after)}"
    )
    footer_left = css_string(
        f"{ctx.company.name} · {ctx.report.number} {words['revision']} {ctx.report.revision}"
    )
    template = _environment().get_template("report.html")
    return template.render(
        ctx=ctx, labels=words, css=_css(), footer_left=footer_left, footer_page=footer_page
    )


def qr_png(url: str) -> bytes:
    """A QR code of ``url`` as PNG bytes."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings (missing glyphs, refused URLs) while rendering."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def print_copy(resource: Resource) -> Resource:
    """A JPEG photo scaled down for print. The JPEG decoder's own scaling (``draft``) makes
    this cheap, and WeasyPrint then embeds a quarter of the pixels: a smaller PDF, sooner."""
    if resource.media_type != "image/jpeg":
        return resource
    with Image.open(io.BytesIO(resource.data)) as image:
        if max(image.size) <= PRINT_PX:
            return resource
        scale = PRINT_PX / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        # draft() decodes at 1/2, 1/4 or 1/8 scale when the result still covers ``size``.
        image.draft("RGB", size)
        printed = image.resize(size, Image.Resampling.BILINEAR) if image.size != size else image
        out = io.BytesIO()
        printed.save(out, "JPEG", quality=PRINT_QUALITY)
    return Resource(out.getvalue(), "image/jpeg")


def html_to_pdf(html: str, fetcher: ResourceFetcher) -> bytes:
    """PDF bytes of ``html`` (fonts embedded as subsets, images through ``fetcher`` only)."""
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


def render_pdf(ctx: ReportContext, report_resources: Mapping[str, Resource]) -> bytes:
    """The unsigned PDF of a report, its photos as print copies, its QR code drawn here."""
    printed = {key: print_copy(res) for key, res in report_resources.items()}
    printed[ctx.report.qr] = Resource(qr_png(ctx.report.verify_url), "image/png")
    return html_to_pdf(render_html(ctx), ResourceFetcher(printed))

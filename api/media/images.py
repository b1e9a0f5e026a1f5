"""The photo pipeline: judge the bytes, refuse what is not a photo, make upright, metadata-free
copies for screens and reports, keep the original.

Runs in worker processes (``IngestPool``) so decoding never blocks the event loop. Every refusal
is an :class:`ImageRefused` with a reason a person can act on.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import multiprocessing
import os
import signal
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageFile, ImageOps

from pdf.lifeline import follow_app

MAX_PIXELS = 80_000_000
"""Larger than any phone camera (48 MP iPhones, 64 MP Androids), smaller than a bomb."""
SCREEN_PX = 1600
THUMB_PX = 320
ACCEPTED = ("JPEG", "PNG", "WEBP", "HEIF")

ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageRefused(ValueError):
    """Bytes that are not an acceptable photo."""


@dataclass(frozen=True)
class Variant:
    """A derived copy: upright, no metadata, JPEG."""

    kind: str
    sha256: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Ingested:
    """What the pipeline made of an original."""

    format: str
    width: int
    height: int
    variants: tuple[Variant, ...]


_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}


def sniff(head: bytes) -> str:
    """The format of a file from its first bytes, never from its name."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    if not head:
        raise ImageRefused("the file is empty")
    if head.startswith((b"GIF87a", b"GIF89a")):
        raise ImageRefused("GIF images are not accepted; send a JPEG, PNG, WebP or HEIC photo")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        raise ImageRefused("TIFF images are not accepted; send a JPEG, PNG, WebP or HEIC photo")
    if head.startswith(b"8BPS"):
        raise ImageRefused("Photoshop files are not accepted; send a JPEG, PNG, WebP or HEIC photo")
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        raise ImageRefused("PostScript/EPS files are not accepted")
    text = head.lstrip()[:256].lower()
    if text.startswith((b"<?xml", b"<svg")) or b"<svg" in text:
        raise ImageRefused("SVG files are not accepted; send a photo")
    raise ImageRefused("not a JPEG, PNG, WebP or HEIC image")


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _jpeg(image: Image.Image, quality: int, comment: str) -> bytes:
    out = io.BytesIO()
    # No exif/icc arguments: the copies carry no metadata of the original. Its comment would
    # be copied unless one is given: ours names the original instead.
    image.save(out, "JPEG", quality=quality, comment=comment)
    return out.getvalue()


def _variant(kind: str, image: Image.Image, quality: int, original: str) -> Variant:
    # Naming the original makes every photo's copies bytes of their own: two originals of the
    # same pixels (one picture saved twice) would otherwise share copies, and the copies are
    # stored and recorded by their hash, so the second photo would be left with none.
    data = _jpeg(image, quality, f"fieldsync {kind} of {original}" if original else "")
    return Variant(kind, hashlib.sha256(data).hexdigest(), data, image.width, image.height)


def _open(path: str) -> tuple[str, Image.Image]:
    """Sniff and lazily open an image (the header only), refusing bombs and animations."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    fmt = sniff(head)
    if fmt == "HEIF":
        _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused("the image is too large (a decompression bomb?)") from None
        except Exception as exc:
            raise ImageRefused(f"the {fmt} image cannot be read: {exc}") from None
    try:
        if image.width * image.height > MAX_PIXELS:
            raise ImageRefused(
                f"the image has {image.width}×{image.height} pixels; at most "
                f"{MAX_PIXELS // 1_000_000} megapixels are accepted"
            )
        if getattr(image, "n_frames", 1) > 1:
            raise ImageRefused("animated or multi-frame images are not accepted")
    except BaseException:
        image.close()
        raise
    return fmt, image


_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_SWAPPING = {5, 6, 7, 8}
"""EXIF orientations that turn the image a quarter: width and height trade places."""


@dataclass(frozen=True)
class Inspected:
    """What the cheap checks tell of an original, before any pixel is decoded."""

    format: str
    width: int
    height: int
    whole: bool
    """The file's structure ends where it should (JPEG EOI, PNG IEND, RIFF/ISO box sizes).
    When false, only a full decode can tell a truncated file from a trailer a camera added."""


def _whole(fh: BinaryIO, fmt: str, size: int) -> bool:
    if fmt == "JPEG":
        fh.seek(max(0, size - 2))
        return fh.read(2) == b"\xff\xd9"
    if fmt == "PNG":
        fh.seek(max(0, size - len(_PNG_END)))
        return fh.read(len(_PNG_END)) == _PNG_END
    if fmt == "WEBP":
        fh.seek(4)
        return int.from_bytes(fh.read(4), "little") + 8 == size
    # HEIF: the top-level ISO boxes must tile the file exactly.
    offset = 0
    while offset < size:
        fh.seek(offset)
        header = fh.read(16)
        if len(header) < 8:
            return False
        length = int.from_bytes(header[:4], "big")
        if length == 1 and len(header) == 16:
            length = int.from_bytes(header[8:16], "big")
        elif length == 0:
            length = size - offset
        if length < 8:
            return False
        offset += length
    return offset == size


def inspect(path: str) -> Inspected:
    """The cheap checks of an uploaded original: the format from its bytes, the header's
    dimensions (bombs, megapixels), frames, and whether the file ends where its format says.

    Refuses with :class:`ImageRefused`; a few milliseconds, whatever the image's size.
    """
    fmt, image = _open(path)
    with image:
        width, height = image.size
        try:
            orientation = image.getexif().get(0x0112, 1)
        except Exception:
            orientation = 1  # unreadable EXIF: the pipeline decides
    if orientation in _SWAPPING:
        width, height = height, width
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        whole = _whole(fh, fmt, size)
    return Inspected(format=fmt, width=width, height=height, whole=whole)


def ingest(path: str, original: str = "") -> Ingested:
    """Check an uploaded original and make its screen copy and thumbnail (``original``, its
    SHA-256, is written into each copy)."""
    fmt, image = _open(path)
    with image:
        width, height = image.size
        try:
            # JPEGs decode straight at a reduced scale (1/2, 1/4, 1/8) that still covers
            # the screen copy: far less work for the same result.
            scale = SCREEN_PX / max(width, height)
            image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
            image.load()
            orientation = image.getexif().get(0x0112, 1)
            upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRefused(f"the {fmt} image is damaged or truncated: {exc}") from None
        orientation_swapped = upright.size != image.size and upright.size == (
            image.height,
            image.width,
        )
    if orientation_swapped:
        width, height = height, width
    rgb = upright.convert("RGB") if upright.mode != "RGB" else upright
    screen = rgb  # the decoded image is ours alone: resize it in place
    # Bilinear: JPEGs arrive here already decoded at the nearest larger scale (a 12 MP photo
    # at 2000 px), so this is a gentle reduction, where Pillow's bilinear filter (scaled to
    # the reduction, so still anti-aliased) looks the same as bicubic at half the cost.
    screen.thumbnail((SCREEN_PX, SCREEN_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    thumb = screen.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return Ingested(
        format=fmt,
        width=width,
        height=height,
        variants=(
            _variant("screen", screen, 82, original),
            _variant("thumb", thumb, 75, original),
        ),
    )


def _background(app_pid: int) -> None:
    """Worker start-up: copies are background work, so requests come first on the CPU."""
    follow_app(app_pid)
    os.nice(10)
    # A worker must stop when told to, whatever handlers its parent had.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    # A forked worker inherits the parent's Pillow settings, and WeasyPrint turns this on
    # when imported; truncated images must be refused here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False


class IngestPool:
    """Worker processes for the pipeline (at a lower CPU priority than the app, so that making
    copies never slows answering); started lazily, shut down with the app."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def ingest(self, path: Path, original: str) -> Ingested:
        """Run :func:`ingest` in a worker process."""
        if self._pool is None:
            # forkserver, not fork: a worker forked from the app would inherit every file the
            # app has open at that moment, and with it any flock held on one (an upload being
            # completed), keeping that lock for the worker's whole life.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_background,
                initargs=(os.getpid(),),
            )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, ingest, str(path), original)
        except BrokenProcessPool:
            self.shutdown()  # a worker died: the next call starts a fresh pool
            raise

    def shutdown(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            # Work in hand is abandoned (photos stay processing and are queued again at the
            # next start), so the workers are stopped rather than left to finish it.
            workers = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            self._pool = None

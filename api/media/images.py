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
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps

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


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif/icc arguments: the copies carry no metadata at all.
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _variant(kind: str, image: Image.Image, quality: int) -> Variant:
    data = _jpeg(image, quality)
    return Variant(kind, hashlib.sha256(data).hexdigest(), data, image.width, image.height)


def ingest(path: str) -> Ingested:
    """Check an uploaded original and make its screen copy and thumbnail."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    fmt = sniff(head)
    if fmt == "HEIF":
        _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=[fmt])
        except Image.DecompressionBombError:
            raise ImageRefused("the image is too large (a decompression bomb?)") from None
        except Image.DecompressionBombWarning:
            raise ImageRefused("the image is too large (a decompression bomb?)") from None
        except Exception as exc:
            raise ImageRefused(f"the {fmt} image cannot be read: {exc}") from None
        with image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused(
                    f"the image has {image.width}×{image.height} pixels; at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted"
                )
            if getattr(image, "n_frames", 1) > 1:
                raise ImageRefused("animated or multi-frame images are not accepted")
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
    screen.thumbnail((SCREEN_PX, SCREEN_PX), Image.Resampling.BICUBIC, reducing_gap=2.0)
    thumb = screen.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return Ingested(
        format=fmt,
        width=width,
        height=height,
        variants=(_variant("screen", screen, 82), _variant("thumb", thumb, 75)),
    )


class IngestPool:
    """Worker processes for the pipeline; started lazily, shut down with the app."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def ingest(self, path: Path) -> Ingested:
        """Run :func:`ingest` in a worker process."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, ingest, str(path))

    def shutdown(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

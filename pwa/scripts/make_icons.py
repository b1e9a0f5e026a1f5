"""Draw the app's PNG icons (run once with the project's Python: Pillow is a dependency)."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def icon(size: int, pad: float) -> Image.Image:
    """A blue tile with a white wrench-like mark: a ring and a bar."""
    image = Image.new("RGB", (size, size), "#1989fa")
    draw = ImageDraw.Draw(image)
    p = size * pad
    c = size / 2
    r = (size - 2 * p) * 0.28
    w = max(2, int(size * 0.07))
    draw.ellipse((c - r, c - r - r * 0.6, c + r, c + r - r * 0.6), outline="white", width=w)
    draw.line((c, c + r * 0.4, c, size - p - r * 0.2), fill="white", width=w * 2)
    return image


OUT.mkdir(parents=True, exist_ok=True)
icon(192, 0.12).save(OUT / "icon-192.png", optimize=True)
icon(512, 0.12).save(OUT / "icon-512.png", optimize=True)
icon(512, 0.22).save(OUT / "maskable-512.png", optimize=True)

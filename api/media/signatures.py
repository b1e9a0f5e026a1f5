"""Signatures: check the strokes drawn on the phone and render them to a PNG on the server.

Strokes arrive as ``{"width": W, "height": H, "strokes": [[{"x", "y", "t", "p"?}, …], …]}``
in canvas pixels (``t`` in milliseconds, ``p`` pressure 0..1 where the device gives it).
"""

from __future__ import annotations

import io
import itertools
import math
from typing import Any

from PIL import Image, ImageDraw

MIN_POINTS = 8
MIN_INK = 60.0
"""Canvas pixels of drawn line below which a "signature" is a tap or a dot."""
MAX_POINTS = 20_000
MAX_CANVAS = 2000


class SignatureRefused(ValueError):
    """Strokes that do not make a signature."""


Point = tuple[float, float, float]


def parse_strokes(data: dict[str, Any]) -> tuple[int, int, list[list[Point]]]:
    """Canvas size and strokes as (x, y, pressure) lists; :class:`SignatureRefused` on bad data."""
    strokes = data.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise SignatureRefused("the signature is empty")
    parsed: list[list[Point]] = []
    count = 0
    for stroke in strokes:
        if not isinstance(stroke, list):
            raise SignatureRefused("each stroke is a list of points")
        points: list[Point] = []
        for point in stroke:
            try:
                x, y = float(point["x"]), float(point["y"])
                p = float(point.get("p", 0.5))
            except (TypeError, KeyError, ValueError):
                raise SignatureRefused("each point needs numeric x and y") from None
            if not all(math.isfinite(v) for v in (x, y, p)):
                raise SignatureRefused("point coordinates must be finite numbers")
            points.append((x, y, min(max(p, 0.0), 1.0)))
        count += len(points)
        if points:
            parsed.append(points)
    if count > MAX_POINTS:
        raise SignatureRefused(f"too many points ({count}; at most {MAX_POINTS})")
    xs = [pt[0] for s in parsed for pt in s]
    ys = [pt[1] for s in parsed for pt in s]
    if not xs:
        raise SignatureRefused("the signature is empty")
    try:
        width = int(data.get("width") or max(xs) + 10)
        height = int(data.get("height") or max(ys) + 10)
    except (TypeError, ValueError, OverflowError):
        raise SignatureRefused("width and height must be whole numbers of pixels") from None
    if not (0 < width <= MAX_CANVAS and 0 < height <= MAX_CANVAS):
        raise SignatureRefused(f"the canvas must be at most {MAX_CANVAS}×{MAX_CANVAS} pixels")
    ink = sum(math.dist(a[:2], b[:2]) for stroke in parsed for a, b in itertools.pairwise(stroke))
    if count < MIN_POINTS or ink < MIN_INK:
        raise SignatureRefused("the signature is too short; please sign again")
    return width, height, parsed


def render_png(data: dict[str, Any]) -> bytes:
    """The signature as a black-on-white PNG of the canvas size, drawn from its strokes."""
    width, height, strokes = parse_strokes(data)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        if len(stroke) == 1:
            x, y, p = stroke[0]
            r = 1.0 + 2.0 * p
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
            continue
        for (x1, y1, p1), (x2, y2, p2) in itertools.pairwise(stroke):
            line = max(1, round(1.5 + 3.0 * (p1 + p2) / 2))
            draw.line((x1, y1, x2, y2), fill=0, width=line, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()

"""A tiny 2-D scene (rectangles, polylines, circles, text) written as SVG or PNG.

Why not matplotlib: importing it costs about half a second (the Artist
classes build their docstrings at import), more than everything else
``kneecoach plot`` does on a 10-year history, and the load chart is a few
dozen shapes. One scene feeds both writers, so the SVG and the PNG show the
same thing: SVG as text, PNG through Pillow (already installed as a
matplotlib dependency; its import costs a few milliseconds), drawn at
:data:`SUPERSAMPLE` times the size and scaled down for smooth edges and text.

Coordinates are pixels of the final image, y pointing down. Output is
deterministic: no timestamps, fixed fonts and drawing order.
"""

from __future__ import annotations

import importlib.util
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL import Image, ImageFont

Anchor = Literal["start", "middle", "end"]
Point = tuple[float, float]

#: The PNG is drawn this many times larger, then scaled down (anti-aliasing).
SUPERSAMPLE = 3
FONT_FAMILY = "DejaVu Sans, Bitstream Vera Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    opacity: float = 1.0
    stroke_width: float = 1.0


@dataclass(frozen=True)
class Polyline:
    """An open line through ``points``; ``dash`` is (on, off) lengths in pixels for a dashed or dotted line."""

    points: tuple[Point, ...]
    stroke: str
    width: float = 1.5
    dash: tuple[float, float] | None = None


@dataclass(frozen=True)
class Polygon:
    points: tuple[Point, ...]
    fill: str


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Text:
    """``text`` with its ``anchor`` end (start, middle or end) vertically centred on (x, y).

    ``rotate`` turns it counter-clockwise by that many degrees around (x, y).
    """

    x: float
    y: float
    text: str
    size: float
    anchor: Anchor = "middle"
    rotate: float = 0.0
    fill: str = "#000000"


Shape = Rect | Polyline | Polygon | Circle | Text


@dataclass
class Scene:
    """Shapes in drawing order on a white ``width`` x ``height`` pixel page."""

    width: int
    height: int
    title: str = ""
    shapes: list[Shape] = field(default_factory=list)

    def add(self, *shapes: Shape) -> None:
        self.shapes.extend(shapes)

    def save(self, path: Path) -> Path:
        """Write ``path`` as SVG or PNG by its suffix (creating the folder) and return it."""
        fmt = path.suffix.lower()
        if fmt not in {".png", ".svg"}:
            raise ValueError(f"plot file must end in .png or .svg, got {path.name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == ".svg":
            path.write_text(to_svg(self), encoding="utf-8")
        else:
            path.write_bytes(to_png(self))
        return path


# --------------------------------------------------------------------------- SVG


def _n(v: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (stable, compact text)."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _svg_shape(s: Shape) -> str:
    if isinstance(s, Rect):
        paint = f'fill="{s.fill}"' if s.fill else 'fill="none"'
        if s.stroke:
            paint += f' stroke="{s.stroke}" stroke-width="{_n(s.stroke_width)}"'
        if s.opacity < 1:
            paint += f' fill-opacity="{_n(s.opacity)}"'
        return f'<rect x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" height="{_n(s.h)}" {paint}/>'
    if isinstance(s, Polyline):
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in s.points)
        dash = f' stroke-dasharray="{_n(s.dash[0])} {_n(s.dash[1])}"' if s.dash else ""
        return (f'<polyline points="{pts}" fill="none" stroke="{s.stroke}" stroke-width="{_n(s.width)}" '
                f'stroke-linejoin="round" stroke-linecap="square"{dash}/>')
    if isinstance(s, Polygon):
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in s.points)
        return f'<polygon points="{pts}" fill="{s.fill}"/>'
    if isinstance(s, Circle):
        return f'<circle cx="{_n(s.cx)}" cy="{_n(s.cy)}" r="{_n(s.r)}" fill="{s.fill}"/>'
    turn = f' transform="rotate({_n(-s.rotate)} {_n(s.x)} {_n(s.y)})"' if s.rotate else ""
    return (f'<text x="{_n(s.x)}" y="{_n(s.y)}" font-size="{_n(s.size)}" text-anchor="{s.anchor}" '
            f'dominant-baseline="central" fill="{s.fill}"{turn}>{escape(s.text)}</text>')


def to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document (text stays text: searchable, scalable)."""
    head = (f'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}px" height="{scene.height}px" '
            f'viewBox="0 0 {scene.width} {scene.height}" font-family="{FONT_FAMILY}">')
    body = [f"<title>{escape(scene.title)}</title>"] if scene.title else []
    body.append(f'<rect width="{scene.width}" height="{scene.height}" fill="#ffffff"/>')
    body.extend(_svg_shape(s) for s in scene.shapes)
    return "\n".join([head, *body, "</svg>"]) + "\n"


# --------------------------------------------------------------------------- PNG


def font_file() -> Path | None:
    """DejaVu Sans as shipped inside matplotlib, found without importing matplotlib; ``None`` if absent."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=16)
def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    path = font_file()
    return ImageFont.truetype(str(path), size_px) if path else ImageFont.load_default(size_px)


def _rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), round(255 * opacity)


def _png_text(img: Image.Image, t: Text, k: int) -> None:
    """Draw ``t`` scaled by ``k``; rotated text is drawn on its own layer and turned about its anchor."""
    from PIL import Image, ImageDraw

    font = _font(round(t.size * k))
    x, y = t.x * k, t.y * k
    pil_anchor = {"start": "lm", "middle": "mm", "end": "rm"}[t.anchor]
    if not t.rotate:
        ImageDraw.Draw(img).text((x, y), t.text, font=font, fill=_rgba(t.fill), anchor=pil_anchor)
        return
    left, top, right, bottom = font.getbbox(t.text, anchor="lm")
    w, h = int(right - left) + 4, int(bottom - top) + 4
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((2 - left, h / 2), t.text, font=font, fill=_rgba(t.fill), anchor="lm")
    ax = {"start": 2.0, "middle": w / 2, "end": w - 2.0}[t.anchor]
    turned = layer.rotate(t.rotate, resample=Image.Resampling.BICUBIC, expand=True)
    # Where the anchor lands in the turned layer: rotate its offset from the centre
    # (counter-clockwise on screen, y down), then shift to the new centre.
    a = math.radians(t.rotate)
    px, py = turned.width / 2 + (ax - w / 2) * math.cos(a), turned.height / 2 - (ax - w / 2) * math.sin(a)
    img.paste(turned, (round(x - px), round(y - py)), turned)


def _dashes(points: tuple[Point, ...], dash: tuple[float, float]) -> list[tuple[Point, ...]]:
    """The "on" pieces of a dashed polyline (Pillow draws only solid lines)."""
    on, off = dash
    pieces: list[tuple[Point, ...]] = []
    pos = 0.0  # distance along the dash pattern
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        t = 0.0
        while t < length:
            phase = pos % (on + off)
            step = min((on - phase) if phase < on else (on + off - phase), length - t)
            if phase < on:
                a, b = t / length, (t + step) / length
                pieces.append(((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)))
            t += step
            pos += step
    return pieces


def _png_translucent(img: Image.Image, s: Rect, k: int) -> None:
    """A see-through filled rectangle: blend just that region of the page with the colour."""
    from PIL import Image

    box = (round(s.x * k), round(s.y * k), round((s.x + s.w) * k), round((s.y + s.h) * k))
    region = img.crop(box)
    img.paste(Image.blend(region, Image.new("RGB", region.size, _rgba(s.fill or "#ffffff")[:3]), s.opacity), box)
    if s.stroke:
        _png_shape(img, Rect(s.x, s.y, s.w, s.h, None, s.stroke, 1.0, s.stroke_width), k)


def _png_shape(img: Image.Image, s: Shape, k: int) -> None:
    from PIL import ImageDraw

    if isinstance(s, Text):
        _png_text(img, s, k)
    elif isinstance(s, Rect) and s.opacity < 1 and s.fill:
        _png_translucent(img, s, k)
    elif isinstance(s, Rect):
        ImageDraw.Draw(img).rectangle(
            [s.x * k, s.y * k, (s.x + s.w) * k, (s.y + s.h) * k], fill=_rgba(s.fill) if s.fill else None,
            outline=_rgba(s.stroke) if s.stroke else None, width=max(1, round(s.stroke_width * k)) if s.stroke else 0)
    elif isinstance(s, Polyline):
        width = max(1, round(s.width * k))
        for part in _dashes(s.points, s.dash) if s.dash else [s.points]:
            if len(part) > 1:
                ImageDraw.Draw(img).line([(x * k, y * k) for x, y in part], fill=_rgba(s.stroke), width=width,
                                         joint="curve")
    elif isinstance(s, Polygon):
        ImageDraw.Draw(img).polygon([(x * k, y * k) for x, y in s.points], fill=_rgba(s.fill))
    else:
        ImageDraw.Draw(img).ellipse([(s.cx - s.r) * k, (s.cy - s.r) * k, (s.cx + s.r) * k, (s.cy + s.r) * k],
                                    fill=_rgba(s.fill))


def to_png(scene: Scene) -> bytes:
    """The scene as PNG bytes (no metadata chunks, so the same scene gives the same file).

    Drawn in RGB at :data:`SUPERSAMPLE` times the size, then box-averaged down
    (``Image.reduce``: fast, and exactly the anti-aliasing supersampling needs).
    """
    from PIL import Image

    k = SUPERSAMPLE
    img = Image.new("RGB", (scene.width * k, scene.height * k), (255, 255, 255))
    for s in scene.shapes:
        _png_shape(img, s, k)
    buf = io.BytesIO()
    img.reduce(k).save(buf, format="PNG")
    return buf.getvalue()

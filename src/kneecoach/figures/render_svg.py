"""Figures as line-art SVG: one animated panel for the web, a static strip for print.

One style for the whole product: round-capped strokes, the near side of the
body dark and the far side grey, working muscles in orange, props in slate.
Output is deterministic (fixed number formatting, no ids from memory or time),
so the same knowledge base always gives byte-identical files.

* :func:`animated_svg` - a single panel that steps through interpolated poses
  with CSS keyframes; under ``prefers-reduced-motion`` it shows the start pose
  ghosted behind the end pose instead.
* :func:`strip_svg` - every keyframe side by side with its label, then any
  ``wrong`` poses crossed out: for the PDF, Markdown and README. It uses only
  paths, lines, circles, rects and text, which fpdf2 draws as vector graphics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import numpy as np

from kneecoach.knowledge.figure_anatomy import REGIONS, face_vector
from kneecoach.knowledge.figure_checks import keyframe_body, prop_centre
from kneecoach.knowledge.figure_model import HEAD_R, Body, expand_pose, placed, project, solve
from kneecoach.knowledge.figure_spec import Figure, Keyframe, Prop

SCALE = 200.0          # px per body height
MARGIN = 0.07
MIN_WIDTH = 0.9
LABEL_H = 58.0         # px under each panel for its label (up to three lines)
INK = "#1f2937"
FAR = "#9aa5b1"
MUSCLE = "#e4572e"
PROP_STROKE = "#64748b"
PROP_FILL = "#e2e8f0"
RIGHT = "#15803d"
WRONG = "#b91c1c"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

#: Stroke width (body heights) per segment family.
WIDTH = {"trunk": 0.10, "thigh": 0.075, "shank": 0.06, "foot": 0.035, "upper_arm": 0.05, "forearm": 0.042,
         "neck": 0.04, "hips": 0.07, "shoulders": 0.06}
HOLD_S = 0.9
MOVE_S = 1.1
STEPS = 6


def _n(v: float) -> str:
    """Fixed, short number formatting (deterministic, no '-0.0')."""
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def _family(seg: str) -> str:
    return seg[:-2] if seg[-2:] in ("_r", "_l") else seg


@dataclass(frozen=True)
class Frame:
    body: Body
    label: str = ""
    kf: Keyframe | None = None   # the keyframe this frame leaves from (for its props)



def interpolate(a: Keyframe, b: Keyframe, t: float) -> Body:
    """The pose a fraction ``t`` of the way from ``a`` to ``b`` (angles and anchor blended)."""
    pa, pb = expand_pose(a.pose), expand_pose(b.pose)
    angles = {k: pa[k] + (pb[k] - pa[k]) * t for k in pa}
    if a.anchor is None and b.anchor is None:
        return placed(angles, None, None)
    if a.anchor and b.anchor and a.anchor.point == b.anchor.point:
        at = (a.anchor.at[0] + (b.anchor.at[0] - a.anchor.at[0]) * t,
              a.anchor.at[1] + (b.anchor.at[1] - a.anchor.at[1]) * t)
        return placed(angles, a.anchor.point, at)
    ba, bb = keyframe_body(a), keyframe_body(b)
    shift = ba.points["pelvis"] + (bb.points["pelvis"] - ba.points["pelvis"]) * t
    return solve(angles).translated(shift)


def motion(fig: Figure) -> list[tuple[Frame, float]]:
    """The animation: (frame, seconds shown), out through the keyframes and back (ping-pong)."""
    kfs = list(fig.keyframes)
    path = kfs + kfs[-2:0:-1]
    out: list[tuple[Frame, float]] = []
    for i, kf in enumerate(path):
        nxt = path[(i + 1) % len(path)]
        out.append((Frame(keyframe_body(kf), kf.label, kf), HOLD_S))
        for s in range(1, STEPS):
            out.append((Frame(interpolate(kf, nxt, s / STEPS), "", kf), MOVE_S / STEPS))
    return out


class _Canvas:
    """Maps world points of one view into a panel's pixels."""

    def __init__(self, view: str, box: tuple[float, float, float, float], dx: float = 0.0,
                 elevation: float = 0.0) -> None:
        self.view = view
        self.elevation = elevation
        self.x0, self.y0, self.x1, self.y1 = box
        self.dx = dx

    @property
    def width(self) -> float:
        return (self.x1 - self.x0) * SCALE

    @property
    def height(self) -> float:
        return (self.y1 - self.y0) * SCALE

    def xy(self, v: np.ndarray) -> tuple[float, float]:
        x, y = project(v, self.view, self.elevation)
        return self.px(x, y)

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.dx + (x - self.x0) * SCALE, (self.y1 - y) * SCALE


def _bounds(fig: Figure, bodies: list[Body]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for body in bodies:
        for name, v in body.points.items():
            x, y = project(v, fig.view, fig.elevation)
            r = HEAD_R if name == "head" else 0.05
            xs += [x - r, x + r]
            ys += [y - r, y + r]
        for prop in fig.props:
            for v in _prop_extent(prop, body, fig.view):
                xs.append(v[0])
                ys.append(v[1])
    ys.append(0.0)
    x0, x1 = min(xs) - MARGIN, max(xs) + MARGIN
    if x1 - x0 < MIN_WIDTH:   # narrow front views still get room for their labels
        mid = (x0 + x1) / 2
        x0, x1 = mid - MIN_WIDTH / 2, mid + MIN_WIDTH / 2
    return x0, min(ys) - MARGIN, x1, max(ys) + MARGIN


def _prop_extent(prop: Prop, body: Body, view: str) -> list[tuple[float, float]]:
    if prop.kind in ("box", "chair", "step", "bench"):
        if view == "side":
            top = prop.height + (0.35 if prop.kind == "chair" else 0.0)
            return [(prop.y, 0.0), (prop.y + prop.depth, top)]
        return [(-prop.x - prop.width / 2, 0.0), (-prop.x + prop.width / 2, prop.height)]
    if prop.kind in ("ball", "lacrosse_ball", "foam_roller", "pad"):
        c = prop_centre(prop, body)
        x, y = project(c, view, 0.0)
        return [(x - prop.r, y - prop.r), (x + prop.r, y + prop.r)]
    if prop.kind in ("wall", "mirror") and view == "side":
        return [(prop.y - 0.04, 0.0), (prop.y, 0.0)]
    return []


def _line(c: _Canvas, a: np.ndarray, b: np.ndarray, color: str, width: float, extra: str = "") -> str:
    x1, y1 = c.xy(a)
    x2, y2 = c.xy(b)
    return (f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{color}" '
            f'stroke-width="{_n(width * SCALE)}"{extra}/>')


def _shown(fig: Figure, kf: Keyframe | None) -> list[Prop]:
    if kf is None or kf.props is None:
        return list(fig.props)
    return [p for p in fig.props if p.id in kf.props or p.kind == "floor"]


def _static_props(c: _Canvas, fig: Figure, body: Body, kf: Keyframe | None = None) -> list[str]:
    out: list[str] = []
    sw = f'stroke="{PROP_STROKE}" stroke-width="3"'
    for prop in _shown(fig, kf):
        k = prop.kind
        if k == "floor":
            x1, y = c.px(c.x0, 0.0)
            x2, _ = c.px(c.x1, 0.0)
            out.append(f'<line x1="{_n(x1)}" y1="{_n(y)}" x2="{_n(x2)}" y2="{_n(y)}" {sw}/>')
        elif k in ("wall", "mirror") and c.view == "side":
            behind = float(body.points["pelvis"][1]) > prop.y
            xa, ya = c.px(prop.y - 0.035 if behind else prop.y, c.y1)
            xb, yb = c.px(prop.y if behind else prop.y + 0.035, 0.0)
            fill = "#dbeafe" if k == "mirror" else PROP_FILL
            out.append(f'<rect x="{_n(xa)}" y="{_n(ya)}" width="{_n(xb - xa)}" height="{_n(yb - ya)}" '
                       f'fill="{fill}" {sw}/>')
        elif k in ("box", "step", "bench", "chair"):
            if c.view == "side":
                xa, ya = c.px(prop.y, prop.height)
                xb, yb = c.px(prop.y + prop.depth, 0.0)
            else:
                xa, ya = c.px(-prop.x - prop.width / 2, prop.height)
                xb, yb = c.px(-prop.x + prop.width / 2, 0.0)
            if k == "chair":
                seat = 0.05 * SCALE
                out.append(f'<rect x="{_n(xa)}" y="{_n(ya)}" width="{_n(xb - xa)}" height="{_n(seat)}" '
                           f'fill="{PROP_FILL}" {sw}/>')
                for lx in (xa + 6, xb - 6):
                    out.append(f'<line x1="{_n(lx)}" y1="{_n(ya + seat)}" x2="{_n(lx)}" y2="{_n(yb)}" {sw}/>')
                if c.view == "side":
                    bx, by = c.px(prop.y, prop.height + 0.33)
                    out.append(f'<line x1="{_n(xa + 4)}" y1="{_n(ya)}" x2="{_n(bx + 4)}" y2="{_n(by)}" '
                               f'stroke="{PROP_STROKE}" stroke-width="8" stroke-linecap="round"/>')
            else:
                out.append(f'<rect x="{_n(xa)}" y="{_n(ya)}" width="{_n(xb - xa)}" height="{_n(yb - ya)}" '
                           f'rx="2" fill="{PROP_FILL}" {sw}/>')
        elif k in ("ball", "lacrosse_ball", "foam_roller") and not prop.attach:
            out.append(_round_prop(c, prop, body))
    return out


def _round_prop(c: _Canvas, prop: Prop, body: Body) -> str:
    centre = prop_centre(prop, body)
    x, y = c.xy(centre)
    fill = {"ball": "#dbeafe", "lacrosse_ball": "#fde68a", "foam_roller": "#cbd5e1", "pad": "#cbd5e1"}[prop.kind]
    if prop.kind == "foam_roller" and c.view == "front":
        w = 0.45 * SCALE
        return (f'<rect x="{_n(x - w / 2)}" y="{_n(y - prop.r * SCALE)}" width="{_n(w)}" '
                f'height="{_n(2 * prop.r * SCALE)}" rx="{_n(prop.r * SCALE)}" fill="{fill}" '
                f'stroke="{PROP_STROKE}" stroke-width="3"/>')
    return (f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(prop.r * SCALE)}" fill="{fill}" '
            f'stroke="{PROP_STROKE}" stroke-width="3"/>')


def _attached_props(c: _Canvas, fig: Figure, body: Body, kf: Keyframe | None = None) -> list[str]:
    out: list[str] = []
    for prop in _shown(fig, kf):
        pts = [body.points[p] for p in prop.attach]
        if not pts:
            continue
        if prop.kind in ("ball", "lacrosse_ball", "foam_roller", "pad"):
            out.append(_round_prop(c, prop, body))
        elif prop.kind == "band":
            xy = [c.xy(p) for p in pts]
            if len(xy) >= 2 and np.hypot(xy[0][0] - xy[1][0], xy[0][1] - xy[1][1]) > 8:
                d = " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(xy))
                out.append(f'<path d="{d}" fill="none" stroke="#16a34a" stroke-width="6" stroke-linecap="round"/>')
            else:
                x, y = xy[0]
                out.append(f'<ellipse cx="{_n(x)}" cy="{_n(y)}" rx="7" ry="12" fill="none" stroke="#16a34a" '
                           f'stroke-width="5"/>')
        elif prop.kind == "dumbbells":
            for p in pts:
                x, y = c.xy(p)
                out.append(f'<line x1="{_n(x - 14)}" y1="{_n(y)}" x2="{_n(x + 14)}" y2="{_n(y)}" stroke="{INK}" '
                           f'stroke-width="4"/>')
                for ex in (x - 14, x + 14):
                    out.append(f'<rect x="{_n(ex - 5)}" y="{_n(y - 10)}" width="10" height="20" rx="2" '
                               f'fill="{PROP_STROKE}"/>')
        elif prop.kind == "dowel" and len(pts) >= 2:
            trunk = body.frames["trunk"]
            back = trunk @ np.array([0.0, -1.0, 0.0]) * 0.075
            along = (pts[1] - pts[0]) / max(float(np.linalg.norm(pts[1] - pts[0])), 1e-9)
            a = pts[0] + back - along * 0.08
            b = pts[1] + back + along * 0.1
            out.append(_line(c, a, b, "#a16207", 0.022))
    return out


def _body(c: _Canvas, fig: Figure, body: Body, highlight: list[str], color: str = INK,
          far: str = FAR, muscles: bool = True) -> list[str]:
    """Segments far-to-near, each followed by the muscles drawn on it."""
    pelvis_depth = _depth(c, body.points["pelvis"])
    items = []
    for seg, a, b in body.segments:
        fam = _family(seg)
        if fam in ("hips", "shoulders") and c.view == "side":
            continue
        d = (_depth(c, body.points[a]) + _depth(c, body.points[b])) / 2
        items.append((d, seg, a, b))
    items.sort(key=lambda t: (round(t[0], 6), t[1]))
    sides = {"both": ("r", "l"), "right": ("r",), "left": ("l",)}[fig.working_side]
    out = []
    head_done = False
    for d, seg, a, b in items:
        fam = _family(seg)
        is_far = seg[-2:] in ("_r", "_l") and d < pelvis_depth - 0.02
        col = far if is_far else color
        if fam == "neck" and not head_done:
            x, y = c.xy(body.points["head"])
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(HEAD_R * SCALE)}" fill="{color}"/>')
            head_done = True
        out.append(_line(c, body.points[a], body.points[b], col, WIDTH[fam]))
        if not muscles:
            continue
        side = seg[-1] if seg[-2:] in ("_r", "_l") else ""
        for m in highlight:
            for reg in REGIONS.get(m, ()):
                if reg.segment != fam or (side and side not in sides):
                    continue
                frame = body.frames[seg if side else "trunk"]
                pa, pb = body.points[a], body.points[b]
                # trunk muscles with a sideways face (glute medius) are drawn on each working side's hip
                trunk_sides = sides if (not side and "lateral" in reg.face) else ("r",)
                for s_ in ([side] if side else trunk_sides):
                    off = face_vector(frame, reg.face, s_) * WIDTH[fam] * (0.28 if side else 0.4)
                    p0 = pa + (pb - pa) * reg.t0 + off
                    p1 = pa + (pb - pa) * reg.t1 + off
                    mcol = "#f4a08a" if is_far else MUSCLE
                    out.append(_line(c, p0, p1, mcol, WIDTH[fam] * 0.45))
    return out


def _depth(c: _Canvas, v: np.ndarray) -> float:
    return float(v[0]) if c.view == "side" else float(v[1])


def _highlight(fig: Figure, default: list[str]) -> list[str]:
    return list(fig.highlight) if fig.highlight is not None else list(default)


def _header(uid: str, title: str, desc: str, width: float, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" class="kc-figure">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
    ]


def _uid(owner_id: str, kind: str) -> str:
    return "kcf-" + kind + "-" + re.sub(r"[^a-z0-9]", "-", owner_id.lower())


def describe(name: str, how: str, fig: Figure) -> str:
    """The text alternative: the entry's own words plus the drawn positions in order."""
    frames = "; ".join(k.label for k in fig.keyframes)
    wrong = f" Shown crossed out: {'; '.join(k.label for k in fig.wrong)}." if fig.wrong else ""
    return f"{name}. {how.strip()} Drawn positions: {frames}.{wrong}"


def animated_css(owner_id: str, fig: Figure) -> str:
    """The CSS that steps :func:`animated_svg`'s frames (and stills them for reduced motion).

    Kept separate so a page with a strict Content-Security-Policy (no inline
    styles) can serve it as a stylesheet; standalone files embed it.
    """
    uid = _uid(owner_id, "anim")
    frames = motion(fig)
    total = sum(s for _, s in frames)
    css = [f".{uid} .f{{opacity:0}}", f".{uid} .f0{{opacity:1}}", f".{uid} .still{{display:none}}"]
    t = 0.0
    for i, (_, secs) in enumerate(frames):
        a, b = 100 * t / total, 100 * (t + secs) / total
        css.append(f"@keyframes {uid}-{i}{{0%{{opacity:0}}{a:.2f}%{{opacity:1}}{b:.2f}%{{opacity:0}}}}")
        css.append(f".{uid} .f{i}{{animation:{uid}-{i} {total:.2f}s step-end infinite}}")
        t += secs
    css.append(f"@media (prefers-reduced-motion: reduce){{.{uid} .f{{animation:none;display:none}}"
               f".{uid} .still{{display:inline}}}}")
    return "\n".join(css) + "\n"


def animated_svg(owner_id: str, fig: Figure, name: str, how: str, targets: list[str],
                 embed_css: bool = True) -> str:
    """One panel animated through the keyframes (CSS), still under prefers-reduced-motion."""
    uid = _uid(owner_id, "anim")
    frames = motion(fig)
    bodies = [f.body for f, _ in frames]
    c = _Canvas(fig.view, _bounds(fig, bodies), elevation=fig.elevation)
    height = c.height + LABEL_H
    hl = _highlight(fig, targets)
    out = _header(uid, name, describe(name, how, fig), c.width, height)
    if embed_css:
        out.append(f"<style>{animated_css(owner_id, fig)}</style>")
    out.append(f'<g class="{uid}" stroke-linecap="round">')
    per_pose_props = any(k.props is not None for k in fig.keyframes)
    if not per_pose_props:   # drawn once, behind every frame
        out += _static_props(c, fig, frames[0][0].body)
    for i, (frame, _) in enumerate(frames):
        out.append(f'<g class="f f{i}">')
        if per_pose_props:
            out += _static_props(c, fig, frame.body, frame.kf)
        out += _body(c, fig, frame.body, hl)
        out += _attached_props(c, fig, frame.body, frame.kf)
        if frame.label:
            out.append(_label(c.width / 2, c.height + 17, frame.label, INK, c.width))
        out.append("</g>")
    first, last = keyframe_body(fig.keyframes[0]), keyframe_body(fig.keyframes[-1])
    out.append('<g class="still">')
    if per_pose_props:
        out += _static_props(c, fig, last, fig.keyframes[-1])
    out.append('<g opacity="0.35">')
    out += _body(c, fig, first, hl, color=FAR, far="#cbd5e1", muscles=False)
    out.append("</g>")
    out += _body(c, fig, last, hl)
    out += _attached_props(c, fig, last, fig.keyframes[-1])
    out.append(_label(c.width / 2, c.height + 17, "Grey: start. Dark: end.", INK, c.width))
    out.append("</g></g></svg>")
    return "\n".join(out) + "\n"


def wrap(text: str, width_px: float, size: float) -> list[str]:
    """Split a label into at most two lines that fit ``width_px`` (a glyph is about 0.55 em)."""
    per_line = max(8, int(width_px / (0.6 * size)))
    if len(text) <= per_line:
        return [text]
    head, sep, tail = text.partition(": ")
    if sep and len(head) + 1 <= per_line and len(tail) <= per_line:
        return [head + ":", tail]
    if sep and len(head) + 1 <= per_line:
        rest = wrap(tail, width_px, size)
        return [head + ":", *rest[:1], *([" ".join(rest[1:])] if len(rest) > 1 else [])]
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > per_line:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    if len(lines) > 3:
        lines = [lines[0], lines[1], " ".join(lines[2:])]
    return lines


def _label(x: float, y: float, text: str, color: str, width: float = 1e9, size: float = 14.0) -> str:
    lines = wrap(text, width, size)
    spans = "".join(f'<tspan x="{_n(x)}" dy="{_n(0 if i == 0 else size * 1.15)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" font-family="{FONT}" font-size="{_n(size)}" '
            f'fill="{color}">{spans}</text>')


def strip_svg(owner_id: str, fig: Figure, name: str, how: str, targets: list[str],
              labels: bool = True) -> str:
    """All keyframes side by side (arrows between), then ``wrong`` poses crossed out in red."""
    uid = _uid(owner_id, "strip")
    kfs = [(kf, False) for kf in fig.keyframes] + [(kf, True) for kf in fig.wrong]
    bodies = [keyframe_body(kf) for kf, _ in kfs]
    box = _bounds(fig, bodies)
    gap = 44.0
    probe = _Canvas(fig.view, box)
    width = probe.width * len(kfs) + gap * (len(kfs) - 1)
    height = probe.height + (LABEL_H if labels else 0)
    hl = _highlight(fig, targets)
    out = _header(uid, name, describe(name, how, fig), width, height)
    for i, ((kf, wrong), body) in enumerate(zip(kfs, bodies, strict=True)):
        c = _Canvas(fig.view, box, dx=i * (probe.width + gap), elevation=fig.elevation)
        out.append('<g stroke-linecap="round">')
        out += _static_props(c, fig, body, kf)
        out += _body(c, fig, body, hl)
        out += _attached_props(c, fig, body, kf)
        if wrong:
            x, y = c.dx + c.width - 14, 14
            out.append(f'<path d="M{_n(x - 10)},{_n(y - 10)} L{_n(x + 10)},{_n(y + 10)} M{_n(x + 10)},{_n(y - 10)} '
                       f'L{_n(x - 10)},{_n(y + 10)}" stroke="{WRONG}" stroke-width="5" stroke-linecap="round"/>')
        elif fig.wrong:
            x, y = c.dx + c.width - 14, 14
            out.append(f'<path d="M{_n(x - 8)},{_n(y)} L{_n(x - 2)},{_n(y + 7)} L{_n(x + 9)},{_n(y - 8)}" '
                       f'fill="none" stroke="{RIGHT}" stroke-width="3.5" stroke-linecap="round" '
                       f'stroke-linejoin="round"/>')
        if labels:
            out.append(_label(c.dx + c.width / 2, c.height + 17, kf.label, WRONG if wrong else INK, c.width))
        out.append("</g>")
        if i < len(kfs) - 1 and not wrong and not kfs[i + 1][1]:
            ax, ay = c.dx + c.width + 4, probe.height / 2
            out.append(f'<path d="M{_n(ax)},{_n(ay)} L{_n(ax + gap - 8)},{_n(ay)} M{_n(ax + gap - 14)},{_n(ay - 6)} '
                       f'L{_n(ax + gap - 8)},{_n(ay)} L{_n(ax + gap - 14)},{_n(ay + 6)}" fill="none" '
                       f'stroke="{PROP_STROKE}" stroke-width="4" stroke-linecap="round"/>')
        elif i < len(kfs) - 1:
            sx = c.dx + c.width + gap / 2
            out.append(f'<line x1="{_n(sx)}" y1="6" x2="{_n(sx)}" y2="{_n(probe.height)}" stroke="#cbd5e1" '
                       f'stroke-width="1" stroke-dasharray="4 4"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

"""Jinja2 environment and the one ``render`` helper every page uses.

``render`` adds what every template needs (the user, the CSRF token, flash
messages) so a template can never be rendered without its CSRF token.
Autoescaping is on for all HTML templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from markupsafe import Markup, escape

from kneecoach.figures.library import figure_svg
from kneecoach.web.security import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["DAY_NAMES"] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _src_label(source_id: str) -> str:
    """A short label for a source id: seed files keep their number, others their id."""
    return source_id.split("_")[0] if source_id[:3].isdigit() else source_id


templates.env.filters["src"] = _src_label


def _dist(km: float, unit: str | None = "km") -> str:
    """A stored distance (km) in the viewer's unit, with the unit: ``{{ w.km|dist(unit) }}`` -> "5.1 mi"."""
    from kneecoach.intake.units import show_distance

    return show_distance(km, unit or "km")


templates.env.filters["dist"] = _dist


def _dist_num(km: float, unit: str | None = "km") -> str:
    """The number alone, for a column whose heading names the unit: ``{{ w.km|dist_num(unit) }}`` -> "5.1"."""
    from kneecoach.intake.units import km_to

    return f"{km_to(km, unit or 'km'):.1f}"


templates.env.filters["dist_num"] = _dist_num


def _figure(kind: str, entry_id: str, style: str = "page") -> Markup:
    """An exercise's or self-test's figure as inline SVG (empty when it has none)."""
    svg = figure_svg(kind, entry_id, style)  # type: ignore[arg-type]
    return Markup(svg) if svg else Markup("")  # noqa: S704 - SVG built by our renderer, all text escaped


templates.env.globals["figure"] = _figure


def _mark_current(html: str, path: str) -> Markup:
    """Mark the navigation link to ``path`` with ``aria-current="page"`` (issue 23).

    Used as ``{% filter mark_current(request.url.path) %}`` around the navigation, so links can be
    added to or removed from the navigation without each repeating the check.
    """
    link = f'<a href="{escape(path)}"'
    return Markup(str(html).replace(link, link + ' aria-current="page"', 1))  # noqa: S704 - our own markup


templates.env.filters["mark_current"] = _mark_current


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (stored in the signed session)."""
    request.session.setdefault("flash", []).append([kind, message[:300]])


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    ctx = dict(context or {})
    ctx.setdefault("user", getattr(request.state, "user", None))
    ctx["csrf_token"] = csrf_token(request.session)
    ctx["flashes"] = request.session.pop("flash", [])
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)

"""A plan as a printable PDF (fpdf2) in a Unicode font, with each exercise's figure as vector graphics.

The font is DejaVu Sans (free licence, see its LICENSE_DEJAVU), taken from the
copy matplotlib - already a pinned dependency - ships, so no extra download or
system package is needed. It covers Latin, Greek and Cyrillic; CJK comes from
a bundled subset of Droid Sans Fallback (Apache-2.0, see ``fonts/README.md``)
used as fpdf2's fallback font, so "Zoë Łukasz 佐藤" prints as typed. Anything
neither font has becomes '?' through :func:`printable` rather than breaking the
export. :func:`latin1` is kept for callers that need Latin-1 only.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kneecoach.figures.library import figure_svg
from kneecoach.intake.units import km_to, show_distance
from kneecoach.plan.models import Plan
from kneecoach.render.ics import DAY_NAMES, weekly_schedule
from kneecoach.render.triage import examine_first_lines, hold_lines

_REPLACEMENTS = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u2022": "*", "\u2192": "->", "\u2190": "<-", "\u2265": ">=", "\u2264": "<=",
    "\u00d7": "x", "\u2248": "~", "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0152": "OE",
    "\u0153": "oe", "\u0131": "i", "\u2713": "v", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2011": "-",
}


def latin1(text: object) -> str:
    """``text`` made safe for a core PDF font (Latin-1), never raising."""
    s = str(text)
    s = "".join(_REPLACEMENTS.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFC", s)
    out = []
    for ch in s:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base if base.strip() else "?")
    return "".join(out)


FONT = "DejaVu"
CJK_FONT = "DroidSansFallback"
CJK_FILE = Path(__file__).parent / "fonts" / "DroidSansFallback-subset.ttf"


def font_dir() -> Path:
    """Where the DejaVu TTFs (and their licence) are: matplotlib's bundled fonts."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for path in (font_dir() / "DejaVuSans.ttf", CJK_FILE):
        with TTFont(str(path), lazy=True) as font:
            covered.update(font.getBestCmap())
    return frozenset(covered)


def printable(text: object) -> str:
    """``text`` (NFC) with any character the embedded font cannot draw replaced by '?'."""
    covered = _covered()
    s = unicodedata.normalize("NFC", str(text))
    return "".join(ch if ord(ch) in covered or ch in "\n\t" else "?" for ch in s)


class _PlanPDF(FPDF):
    def __init__(self, title: str, disclaimer: str) -> None:
        super().__init__(format="A4")
        fonts = font_dir()
        self.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self.add_font(CJK_FONT, "", str(CJK_FILE))
        self.set_fallback_fonts([CJK_FONT], exact_match=False)  # bold and italic text falls back too
        self._title = printable(title)
        self._disclaimer = printable(disclaimer)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(16, 16, 16)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "I", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, f"{self._title} - education, not a diagnosis - page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def h1(self, text: str) -> None:
        self.set_font(FONT, "B", 17)
        self.multi_cell(0, 8, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def h2(self, text: str) -> None:
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 13)
        self.set_fill_color(232, 240, 246)
        self.multi_cell(0, 7, printable(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def h3(self, text: str) -> None:
        self.set_font(FONT, "B", 10.5)
        self.multi_cell(0, 5.5, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(self, text: str, size: float = 9.5, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, 4.6, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def figure(self, exercise_id: str, panel_mm: float = 34.0) -> None:
        """The exercise's keyframes side by side, drawn as vector paths (fpdf2 reads our SVG)."""
        svg = figure_svg("exercise", exercise_id, "print")
        if not svg:
            return
        # fpdf2 ignores <title>/<desc> (with a warning); the PDF carries the same text as the paragraph below.
        svg = "\n".join(line for line in svg.splitlines() if not line.startswith(("<title", "<desc")))
        head = svg[: svg.index(">")]
        _, _, vw, vh = (float(v) for v in head.split('viewBox="')[1].split('"')[0].split())
        panels = svg.count('<g stroke-linecap="round">')
        width = min(self.epw, panel_mm * max(panels, 1))
        height = width * vh / vw
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
        self.image(io.BytesIO(svg.encode("utf-8")), x=self.l_margin, y=self.get_y(), w=width, h=height)
        self.set_y(self.get_y() + height + 1)

    def bullet(self, text: str) -> None:
        self.set_font(FONT, "", 9.5)
        x = self.l_margin
        self.set_x(x + 3)
        self.multi_cell(self.epw - 3, 4.6, printable("- " + text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _trend_chart(pdf: FPDF, points: list[Any], height: float = 45.0) -> None:
    """Kujala (blue) and limb symmetry (green) on a 0-100 scale over time, drawn as vector lines."""
    if not points:
        return
    x0, y0, w, h = pdf.l_margin + 8, pdf.get_y() + 2, pdf.epw - 12, height
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def xy(day: date, v: float) -> tuple[float, float]:
        return x0 + (day - first).days / span * w, y0 + h - v / 100.0 * h

    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT, "", 7)
    for v in (0, 50, 90, 100):
        pdf.line(x0, xy(first, v)[1], x0 + w, xy(first, v)[1])
        pdf.set_xy(x0 - 8, xy(first, v)[1] - 1.5)
        pdf.cell(7, 3, str(v), align="R")
    series = [("Kujala", (31, 78, 121), [(p.day, float(p.kujala)) for p in points if p.kujala is not None])]
    for test in sorted({t for p in points for t in p.lsi}):
        series.append((f"LSI {test} %", (46, 125, 50), [(p.day, p.lsi[test]) for p in points if test in p.lsi]))
    pdf.set_line_width(0.6)
    for _, colour, values in series:
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pts = [xy(d, v) for d, v in values]
        for a, b in zip(pts, pts[1:]):
            pdf.line(*a, *b)
        for x, y in pts:
            pdf.circle(x=x, y=y, radius=0.9, style="F")
    pdf.set_xy(x0, y0 + h + 1)
    pdf.set_text_color(60, 60, 60)
    pdf.cell(0, 4, printable(f"{first:%d %b %Y} to {last:%d %b %Y}.  " + "  ".join(
        f"{label}: {', '.join(f'{v:.0f}' for _, v in values)}" for label, _, values in series)))
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(6)


def _progress_section(pdf: FPDF, progress: Any) -> None:
    pdf.h2("Progress: re-tests and trends")
    pdf.para(progress.due.message)
    pdf.para(progress.kujala_message)
    _trend_chart(pdf, progress.trend)
    for ph in progress.phases:
        if ph.criteria:
            marks = "; ".join(f"{c.label}: {c.status.replace('_', ' ')}" for c in ph.criteria)
            pdf.bullet(f"{ph.name}{' (current)' if ph.id == progress.current_phase else ''}: {marks}")
    pdf.para(progress.cadence.message, size=9)


def plan_to_pdf(plan: Plan, runner_name: str = "", runs_per_week: int = 3, start: date | None = None,
                source_titles: dict[str, str] | None = None, progress: Any | None = None, unit: str = "km") -> bytes:
    """The plan as PDF bytes: disclaimer, phases with exercises and doses, ramp table, rules, sources.

    ``source_titles`` maps source ids to titles for the reference list
    (ids are listed bare when it is missing).
    """
    title = "kneecoach plan" + (f" for {runner_name}" if runner_name else "")
    pdf = _PlanPDF(title, plan.disclaimer)
    pdf.set_title(printable(title))
    pdf.set_creator("kneecoach")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.h1(title)
    pdf.para(f"Plan version {plan.version} - knowledge base {plan.kb_version}"
             + (f" - starting Monday {start.isoformat()}" if start else ""), size=9)
    pdf.ln(2)
    pdf.set_draw_color(180, 120, 0)
    pdf.set_fill_color(255, 246, 220)
    pdf.set_font(FONT, "B", 9.5)
    pdf.multi_cell(0, 4.8, printable("Education, not a diagnosis. " + plan.disclaimer), border=1, fill=True,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    examine = examine_first_lines(plan.pathway)
    held = hold_lines(plan)
    if examine or held:
        # The reason running is held (and who must see the knee first) comes before anything else.
        pdf.set_draw_color(170, 0, 0)
        pdf.set_fill_color(255, 232, 232)
        pdf.set_font(FONT, "B", 9.5)
        pdf.multi_cell(0, 4.8, printable(" ".join([*examine, *held])), border=1, fill=True,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.para(f"Weekly distance: from {show_distance(plan.start_km, unit)} towards {show_distance(plan.target_km, unit)}.")
    for note in plan.notes:
        pdf.bullet(note)
    if plan.clinician_changes:
        pdf.h2("Changes by your clinician")
        for c in plan.clinician_changes:
            pdf.bullet(f"{c.summary}, by {c.author_name} on {c.at[:10]}. Why: {c.reason}"
                       + (f" (overrides: {' '.join(c.overridden)} Their reason: {c.override_reason})"
                          if c.override_reason else ""))

    pw = plan.pathway
    if pw is not None:
        pdf.h2(f"Pathway: {pw.name}")
        pdf.para(pw.summary)
        if pw.because:
            pdf.para("Chosen because: " + "; ".join(pw.because) + ".", size=9)
        pdf.para(f"Running: {pw.ramp_note}")
        marks = {"met": "MET", "not_met": "NOT MET YET", "not_recorded": "NOT RECORDED YET"}
        for c in pw.criteria:
            pdf.bullet(f"[{marks[c.status]}] {c.label}. Re-test: {c.retest}")
    for adv in plan.pathway_advice:
        pdf.bullet(adv.text)
    if plan.education:
        pdf.h2("Understanding your knee")
        for e in plan.education:
            pdf.h3(e.title)
            pdf.para(e.text)
            pdf.para("Evidence: " + "; ".join(f"{n.source} ({n.level_label})" for n in e.evidence), size=8)

    sources: set[str] = set(plan.pain_rule.sources) | set(plan.ramp_rule.sources)
    for phase in sorted(plan.phases, key=lambda p: p.order):
        pdf.h2(f"Phase {phase.order}: {phase.name} (typically {phase.weeks} weeks)")
        pdf.para(f"Goal: {phase.goal}")
        pdf.para(f"Start when: {phase.entry}")
        pdf.para(f"Done when: {phase.exit}")
        sources.update(phase.sources)
        for ex in phase.exercises:
            pdf.ln(1.5)
            pdf.h3(f"{ex.name} - {ex.dose.text}")
            pdf.figure(ex.id)
            pdf.para(ex.how)
            pdf.para(f"Progression: {ex.progression}", size=9, style="I")
            for c in ex.cautions:
                pdf.para(f"Caution: {c}", size=9, style="B")
            pdf.para("Sources: " + ", ".join(ex.sources), size=8)
            if ex.evidence:
                pdf.para("Evidence: " + "; ".join(
                    dict.fromkeys(f"{'questions' if n.stance == 'against' else 'supports'}: {n.source} ({n.level_label})"
                                  for n in ex.evidence if n.stance != "describes")), size=8)
            sources.update(ex.sources)
            sources.update(n.source for n in ex.evidence)
        for advice in phase.advice:
            pdf.bullet(advice)

    pdf.h2("Weekly schedule and mileage ramp")
    weeks = weekly_schedule(plan, runs_per_week, start)
    pdf.set_font(FONT, "", 8.5)
    with pdf.table(col_widths=(12, 18, 18, 22, 108), text_align=("CENTER", "RIGHT", "RIGHT", "LEFT", "LEFT"),
                   line_height=4.6) as table:
        head = table.row()
        for h in ("Week", unit, f"Long run ({unit})", "Phase", "Days"):
            head.cell(h)
        for w in weeks:
            days = []
            for d in w.days:
                bits = []
                if d.run:
                    bits.append(f"run {km_to(d.run.km, unit):.1f}")
                if d.exercises:
                    bits.append(f"{len(d.exercises)} ex")
                if bits:
                    days.append(f"{DAY_NAMES[d.weekday][:3]}: {' + '.join(bits)}")
            row = table.row()
            row.cell(str(w.week))
            row.cell(f"{km_to(w.km, unit):.1f}" + (" (cut)" if w.cutback else ""))
            row.cell(f"{km_to(w.long_run_km, unit):.1f}")
            row.cell(printable(w.phase.name if w.phase else "-"))
            row.cell(printable("; ".join(days) + (f" - {w.note}" if w.note else "")))

    if progress is not None:
        _progress_section(pdf, progress)

    pdf.h2("Pain rule")
    pr = plan.pain_rule
    pdf.para(f"Keep pain during a run at or below {pr.max_during_run}/10 and next-morning pain at or below "
             f"{pr.max_next_morning}/10 before adding distance. Any score of {pr.step_back_at}/10 or more: "
             f"step back a week. {pr.pause_running_at}/10 or more during a run, or next-morning pain unsettled "
             f"{pr.pause_after_unsettled_mornings} days in a row: pause running (cycle, swim or walk) and keep the "
             "exercises going.")
    pdf.para(pr.rationale, size=9, style="I")
    rr = plan.ramp_rule
    pdf.h2("Ramp rule")
    step = f" (at least {show_distance(rr.min_step_km, unit)})" if rr.min_step_km > 0 else ""
    pdf.para(f"Add at most {rr.max_increase_pct:g}%{step} a week; no run more than {rr.long_run_spike_pct:g}% longer "
             f"than the longest of the previous 30 days; every {rr.cutback_every_weeks} weeks cut back by "
             f"{rr.cutback_pct:g}%.")
    pdf.para(rr.rationale, size=9, style="I")

    if plan.terrain:
        pdf.h2("Terrain")
        for t in plan.terrain:
            pdf.bullet(t.text)
            sources.update(t.sources)
    if plan.adjuncts:
        pdf.h2("Short-term helpers (beside the exercises)")
        labels = {"may_help_short_term": "may help short term", "optional": "optional", "not_recommended": "not recommended"}
        for x in plan.adjuncts:
            levels = ", ".join(dict.fromkeys(f"{n.source} ({n.level_label})" for n in x.evidence))
            pdf.bullet(f"{x.name} ({labels[x.recommendation]}): {x.advice} Evidence: {levels}")
            sources.update(n.source for n in x.evidence)
    if plan.excluded:
        pdf.h2("Left out of your plan, and why")
        for ex in plan.excluded:
            pdf.bullet(f"{ex.name}: {ex.reason}")
            sources.update(ex.sources)

    pdf.h2("Sources")
    titles = source_titles or {}
    for sid in sorted(sources):
        pdf.bullet(f"{sid}" + (f" - {titles[sid]}" if sid in titles and titles[sid] != sid else ""))
    return bytes(pdf.output())

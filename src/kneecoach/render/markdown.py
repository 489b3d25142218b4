"""Assessment -> Markdown, for print and (through Rich) for the terminal.

The disclaimer opens and closes the document: wherever a person reads a plan,
they read that it is education, not a diagnosis.
"""

from __future__ import annotations

from kneecoach.engine import Assessment
from kneecoach.assessment.kb import load_kb
from kneecoach.intake.units import distance_format
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.render.triage import examine_first_lines, hold_lines, raised_by_text, week_text

URGENCY_LABEL = {"emergency": "emergency: today", "urgent": "urgent: within days", "soon": "soon: within weeks"}
CRITERION_MARK = {"met": "met", "not_met": "not met yet", "not_recorded": "not recorded yet"}
ADJUNCT_LABEL = {
    "may_help_short_term": "may help in the short term",
    "optional": "optional",
    "not_recommended": "not recommended",
}
STANCE_LABEL = {"for": "For", "against": "Against", "qualified": "With a condition", "describes": "Describes"}


def _src(sources: list[str]) -> str:
    return ", ".join(f"`{s}`" for s in sources)


def _lvl(level_label: str) -> str:
    return f"*{level_label}*" if level_label else ""


def _evidence_line(notes: list) -> str:
    """'supports: x (level); questions: y (level)' for a planned exercise."""
    by_stance: dict[str, list[str]] = {}
    for n in notes:
        key = "questions" if n.stance == "against" else "supports" if n.stance in ("for", "qualified") else "describes"
        by_stance.setdefault(key, []).append(f"`{n.source}` ({n.level_label})")
    return "; ".join(f"{k}: {', '.join(dict.fromkeys(v))}" for k, v in by_stance.items())


def _level(kb: KnowledgeBase, claim_id: str) -> str:
    from kneecoach.assessment.evidence import level_label

    return _lvl(level_label(kb.claim_level(claim_id))) if claim_id in kb.claims else ""


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def render_markdown(a: Assessment, kb: KnowledgeBase | None = None, figures: dict[str, str] | None = None,
                    unit: str = "km") -> str:
    kb = kb or load_kb()
    out: list[str] = [f"# kneecoach assessment: {a.profile_name}", "", f"> **{a.disclaimer}**", ""]

    if a.referral:
        out += [
            f"## See a clinician first ({URGENCY_LABEL[a.referral.urgency]})",
            "",
            a.referral.message,
            "",
        ]
        if a.referral.action:
            out += [f"**What to do:** {a.referral.action}", ""]
        out += [
            f"- **{h.question}** ({URGENCY_LABEL[h.urgency]}) {h.reason} {raised_by_text(h)} (sources: {_src(h.sources)})"
            for h in a.referral.reasons
        ]
        out += ["", "No exercise plan is given while a warning sign is present.", ""]
    if a.unanswered_red_flags:
        questions = [kb.red_flags[r].question for r in a.unanswered_red_flags]
        out += ["**Safety questions not answered** (please answer them before relying on this plan):", ""]
        out += [f"- {q}" for q in questions]
        out += [""]

    examine = examine_first_lines(a.pathway)
    if examine and a.pathway and a.pathway.referral:
        out += [f"## {examine[0]}", "", *(line + "\n" for line in examine[1:]), f"(sources: {_src(a.pathway.referral.sources)})", ""]
    held = hold_lines(a.plan)
    if held:
        out += [f"**{held[0]}** {held[1]}", ""]
    if a.kujala:
        if a.kujala.score is not None:
            out += [f"## Kujala anterior knee pain score: {a.kujala.score}/100", "", a.kujala.interpretation, ""]
        else:
            out += [
                f"## Kujala score: incomplete ({a.kujala.answered}/13 answered)",
                "",
                "Missing: " + ", ".join(a.kujala.missing),
                "",
            ]

    if a.pain_free:
        out += [
            "## Prevention check",
            "",
            "You report no knee pain: the self-tests below look for imbalances before they cause pain "
            "(seed `001_9eaeebca36d4881b.txt` offers them to every runner).",
            "",
        ]
    if a.pathway:
        pw = a.pathway
        out += [f"## Pathway: {pw.name}", "", pw.summary, ""]
        if pw.because:
            out += ["Chosen because: " + "; ".join(pw.because) + ".", ""]
        if pw.also_matched:
            out += ["Your answers also resemble: " + "; ".join(pw.also_matched) + ". Ask a clinician which fits best.", ""]
        out += [f"*Running:* {pw.ramp_note} ({_src(pw.sources)})", ""]
        if pw.criteria:
            out += ["### Return-to-run criteria", "", "| Criterion | Status | How to re-test | Source |", "|---|---|---|---|"]
            out += [
                f"| {_cell(c.label)} | {CRITERION_MARK[c.status]} | {_cell(c.retest)} | {_src(c.sources)} |"
                for c in pw.criteria
            ]
            out += [""]

    out += ["## Findings", ""]
    if a.findings:
        out += [f"- {f.label} ({f.kind}; {_src(f.sources)})" for f in a.findings]
    else:
        out += ["- No findings: record the self-tests for a fuller picture."]
    out += [""]

    out += ["## Likely imbalances (hypotheses, ranked)", ""]
    if a.pathway and a.pathway.referral and a.hypotheses:
        out += ["*Until the knee has been examined, these readings are background only: they are not the "
                "reason for the pain, and the plan does not build on them.*", ""]
    if not a.hypotheses:
        out += ["No imbalance stands out from the answers given.", ""]
    for n, h in enumerate(a.hypotheses, 1):
        sides = f" ({', '.join(s.value for s in h.sides)})" if h.sides else ""
        out += [f"### {n}. {h.name}{sides}: {h.confidence} confidence (score {h.score})", "", h.mechanism, ""]
        out += ["| Evidence | Weight | What the source says | Source | Level |", "|---|---|---|---|---|"]
        out += [
            f"| {_cell(e.finding)} | +{e.weight} | {_cell(e.claim)} | `{e.source}` | {_level(kb, e.claim_id)} |"
            for e in h.evidence
        ]
        out += [
            f"| {_cell(e.finding)} | {e.weight} | {_cell(e.claim)} | `{e.source}` | {_level(kb, e.claim_id)} |"
            for e in h.against
        ]
        out += [""]

    if a.conditions:
        out += ["## Patterns your answers resemble (not a diagnosis)", ""]
        out += [f"- **{c.name}**: {c.description} Because: {'; '.join(c.because)}. ({_src(c.sources)})" for c in a.conditions]
        out += [""]

    if a.disagreements:
        out += ["## Where the sources disagree", ""]
        for d in a.disagreements:
            out += [f"### {d.question}", ""]
            if d.positions:
                out += ["| Source | Level | Stance | Says | Applies |", "|---|---|---|---|---|"]
            out += [
                f"| `{p.source}` | {_lvl(p.level_label)} | {STANCE_LABEL[p.stance]} | {_cell(p.statement)} | "
                f"{_cell(p.context) or 'generally'} |"
                for p in d.positions
            ]
            if d.evidence:
                out += ["", "**What the evidence says:**" + (f" {d.evidence_summary}" if d.evidence_summary else ""), ""]
                out += ["| Source | Level | Stance | Says |", "|---|---|---|---|"]
                out += [
                    f"| `{p.source}` | {_lvl(p.level_label)} | {STANCE_LABEL[p.stance]} | {_cell(p.statement)} |"
                    for p in d.evidence
                ]
            out += ["", f"**What kneecoach does:** {d.kneecoach_approach}", ""]

    plan = a.plan
    dist = distance_format(unit)
    if plan and plan.education:
        out += ["## Understanding your knee", ""]
        for e in plan.education:
            srcs = ", ".join(f"`{n.source}` ({n.level_label})" for n in e.evidence)
            out += [f"**{e.title}.** {e.text} ({srcs})", ""]
    if plan:
        out += ["## Your plan", ""]
        if plan.current_phase:
            current = next((p.name for p in plan.phases if p.id == plan.current_phase), plan.current_phase)
            out += [f"**Current phase (from your re-tests and diary):** {current}", ""]
        out += [f"- {n}" for n in plan.notes]
        if plan.notes:
            out += [""]
        if plan.clinician_changes:
            out += ["**Changes by your clinician** (kept by kneecoach's reviews until the clinician releases them):", ""]
            out += [f"- {c.summary}, by {c.author_name} on {c.at[:10]}. Why: {c.reason}"
                    + (f" (overrides: {' '.join(c.overridden)} Their reason: {c.override_reason})"
                       if c.override_reason else "") for c in plan.clinician_changes]
            out += [""]
        for ph in plan.phases:
            out += [f"### Phase {ph.order}: {ph.name} ({ph.weeks} weeks)", "", f"*Goal:* {ph.goal}  ", f"*Start:* {ph.entry}  ", f"*Done when:* {ph.exit}", ""]
            out += [f"- {adv}" for adv in ph.advice]
            if ph.advice:
                out += [""]
            for e in ph.exercises:
                why = f" Chosen for: {', '.join(e.addresses)}." if e.addresses else ""
                out += [f"- **{e.name}**: {e.dose.text}. {e.how}{why} *Progress:* {e.progression} ({_src(e.sources)})"]
                out += [f"  - Caution: {c}" for c in e.cautions]
                if plan.rungs.get(e.id) and e.id in kb.ladders:
                    rung = kb.ladders[e.id].rungs[min(plan.rungs[e.id], len(kb.ladders[e.id].rungs) - 1)]
                    out += [f"  - Current step on the ladder: **{rung.name}**. {rung.how}".rstrip()]
                if e.evidence:
                    out += [f"  - Evidence: {_evidence_line(e.evidence)}"]
                if figures and e.id in figures:
                    out += ["", f"  ![{e.name}: start and end positions]({figures[e.id]})", ""]
            out += ["", f"Sources: {_src(ph.sources)}", ""]
        if plan.pathway_advice:
            out += ["### For this pathway", ""]
            out += [f"- {adv.text} ({_src(adv.sources)})" for adv in plan.pathway_advice]
            out += [""]
        if plan.excluded:
            out += ["### Left out on purpose", ""]
            out += [f"- **{e.name}**: {e.reason} ({_src(e.sources)})" for e in plan.excluded]
            out += [""]
        if plan.adjuncts:
            out += ["### Short-term helpers (optional, beside the exercises)", ""]
            for x in plan.adjuncts:
                levels = ", ".join(dict.fromkeys(f"`{n.source}` ({n.level_label})" for n in x.evidence))
                out += [f"- **{x.name}** ({ADJUNCT_LABEL[x.recommendation]}): {x.advice} Evidence: {levels}"]
            out += [""]
        out += ["### Terrain", ""]
        out += [f"- {t.text} ({_src(t.sources)})" for t in plan.terrain]
        pr = plan.pain_rule
        out += [
            "",
            "### Pain rule",
            "",
            f"Pain during a run up to {pr.max_during_run}/10 and next morning up to {pr.max_next_morning}/10: "
            f"carry on with the ramp. Above that: repeat the week. {pr.step_back_at}/10 or more: step back a week. "
            f"{pr.pause_running_at}/10 or more during a run, or next-morning pain above {pr.max_next_morning}/10 "
            f"{pr.pause_after_unsettled_mornings} days in a row: pause running (cycle, swim or walk instead) and "
            f"keep the exercises going until daily activities are calm. {pr.rationale} ({_src(pr.sources)})",
            "",
            f"### Weekly running ramp: {dist.km(plan.start_km)} to {dist.km(plan.target_km)}",
            "",
            plan.ramp_rule.rationale + f" ({_src(plan.ramp_rule.sources)})",
            "",
            f"| Week | {dist.unit} | Long run {dist.unit} | Note |",
            "|---|---|---|---|",
        ]
        out += [f"| {w.week} | {dist.num(w.km)} | {dist.num(w.long_run_km)} | {_cell(week_text(w))} |"
                for w in plan.mileage_ramp]
        out += [""]

    out += ["---", "", f"*{a.disclaimer}*", "", f"Knowledge base {a.kb_version}.", ""]
    return "\n".join(out)

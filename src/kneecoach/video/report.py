"""From a clip to a report and profile values: the one entry point the CLI and web faces share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.video.analysis import Analysis, analyse

NOT_A_DIAGNOSIS = (
    "The angle compares your two legs, and today with later re-tests; it is not a diagnosis. Phone "
    "video measures the knee's angle as the camera sees it (frontal plane projection angle), which is "
    "reliable enough for screening (munro2012) and larger on average in runners with knee pain "
    "(willson2008), but healthy values vary between people."
)


@dataclass
class VideoReport:
    """What a face shows and what goes into the profile."""

    analysis: Analysis
    cutoff_deg: float
    images: dict[str, str] = field(default_factory=dict)  # "chart", "key_left", "key_right" -> path

    def profile_values(self) -> dict[str, dict[str, Any]]:
        """``self_tests.single_leg_squat.<side>`` values for each measured side.

        The profile keeps the angle as a size (0-60 deg): a knee that stays outside the hip-ankle
        line (negative FPPA) is recorded as 0, i.e. no inward drop.
        """
        out: dict[str, dict[str, Any]] = {}
        for side, res in self.analysis.sides.items():
            angle = round(min(60.0, max(0.0, res.fppa_deg)), 1)
            out[side] = {"valgus_angle_deg": angle, "knee_falls_inward": angle >= self.cutoff_deg}
        return out

    def to_json(self) -> dict[str, Any]:
        a = self.analysis
        return {
            "sides": {s: asdict(r) for s, r in a.sides.items()},
            "reps": [asdict(r) for r in a.reps],
            "partial_reps": a.partial_reps,
            "side_source": a.side_source,
            "fppa_symmetry_pct": a.fppa_symmetry_pct,
            "frames_analysed": a.frames_analysed,
            "fps_analysed": a.fps,
            "warnings": a.warnings,
            "cutoff_deg": self.cutoff_deg,
            "profile_values": self.profile_values(),
            "images": self.images,
            "note": NOT_A_DIAGNOSIS,
            "sources": ["munro2012", "willson2008", "crossley2011"],
        }


def cutoff_deg(kb: KnowledgeBase) -> float:
    """The knowledge base's valgus cut-off (rules.yaml valgus_angle_deg)."""
    return float(kb.rules.valgus_angle_deg)


def analyse_clip(
    clip: Path,
    kb: KnowledgeBase,
    *,
    side: str | None = None,
    stride: int = 1,
    out_dir: Path | None = None,
    progress: Any = None,
) -> VideoReport:
    """Pose -> analysis -> (optionally) key frames and chart in ``out_dir``."""
    from kneecoach.video.pose import extract_pose
    from kneecoach.video.render import angle_chart, key_frame

    series = extract_pose(clip, stride=stride, progress=progress)
    analysis = analyse(series, side=side)
    report = VideoReport(analysis, cutoff_deg(kb))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = clip.stem
        report.images["chart"] = str(angle_chart(analysis, out_dir / f"{stem}-fppa.png"))
        for s in analysis.sides:
            report.images[f"key_{s}"] = str(key_frame(clip, series, analysis, s, out_dir / f"{stem}-{s}-key.png"))
    return report


def apply_to_profile_data(data: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Write measured sides into raw profile data, keeping everything else (e.g. ``painful``)."""
    tests = data.setdefault("self_tests", {}) or {}
    data["self_tests"] = tests
    sls = tests.setdefault("single_leg_squat", {}) or {}
    tests["single_leg_squat"] = sls
    for side, vals in values.items():
        current = sls.get(side) or {}
        current.update(vals)
        sls[side] = current
    return data

"""Adherence: the share of prescribed exercise sessions done, per week.

Small and pure on purpose (issue 17 needs it for the caseload; issue 16 builds the runner's side):
a "session" is a day with at least one exercise logged, prescribed as the most days a week any
exercise of the current phase asks for (a runner doing the whole routine on a day has done that
day's session).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def weekly_adherence(days_done: Iterable[date], days_per_week: int, start: date, weeks: int) -> list[float | None]:
    """For each of ``weeks`` weeks from ``start``: sessions done / prescribed, capped at 1.

    ``None`` for every week when nothing is prescribed (``days_per_week`` 0): there is nothing
    to adhere to, which is not the same as 0 %.
    """
    if days_per_week <= 0:
        return [None] * weeks
    done = set(days_done)
    out: list[float | None] = []
    for w in range(weeks):
        first = start + timedelta(days=7 * w)
        n = sum(1 for d in range(7) if first + timedelta(days=d) in done)
        out.append(min(1.0, n / days_per_week))
    return out


def adherence_over(days_done: Iterable[date], days_per_week: int, end: date, days: int = 14) -> float | None:
    """Sessions done in the ``days`` days up to ``end`` (inclusive) over those prescribed, capped at 1."""
    first = end - timedelta(days=days - 1)
    return adherence_share(len({d for d in days_done if first <= d <= end}), days_per_week, days)


def adherence_share(sessions_done: int, days_per_week: int, days: int = 14) -> float | None:
    """``sessions_done`` (days with exercise) in a window of ``days`` over those prescribed, capped at 1."""
    if days_per_week <= 0 or days <= 0:
        return None
    return min(1.0, sessions_done / (days_per_week * days / 7))

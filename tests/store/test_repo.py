"""Owner-scoped repository: users, care links, plans, runs, diary; nobody reads anyone else's rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .conftest import act, make_plan
from kneecoach.intake.profile import Profile
from kneecoach.store import repo
from kneecoach.store.db import transaction
from kneecoach.store.models import ExerciseSession, PainEntry, RunRecord

KNOWN = {"clamshell", "glute_bridge", "stretch_quads"}
D = date(2026, 3, 2)


def _two_users(factory: sessionmaker[Session]) -> tuple[int, int]:
    with transaction(factory) as s:
        a = repo.create_user(s, "A@Example.org", "Ann", "runner")
        b = repo.create_user(s, "b@example.org", "Bob", "runner")
        return a.id, b.id


def test_users_and_local_runner(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        u = repo.create_user(s, "  Ann@Example.ORG ", "Ann", "runner", password_hash="x")
        assert repo.get_user_by_email(s, "ann@example.org").id == u.id
        with pytest.raises(repo.RepoError, match="already exists"):
            repo.create_user(s, "ann@example.org", "Ann 2")
        with pytest.raises(repo.RepoError, match="role"):
            repo.create_user(s, "c@example.org", "C", "admin")
        with pytest.raises(repo.RepoError, match="email"):
            repo.create_user(s, "not-an-email", "C")
        local = repo.get_or_create_local_runner(s)
        assert local.email == "local@kneecoach.invalid" and local.password_hash is None
        assert repo.get_or_create_local_runner(s).id == local.id


def test_care_link_flow(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        runner = repo.create_user(s, "r@x.org", "Runner")
        other = repo.create_user(s, "o@x.org", "Other")
        physio = repo.create_user(s, "p@x.org", "Physio", "clinician")
        assert not repo.can_view(s, physio.id, runner.id)
        link = repo.create_invite(s, runner.id)
        assert len(link.invite_code) >= 32
        with pytest.raises(repo.PermissionDenied, match="clinician"):
            repo.accept_invite(s, other.id, link.invite_code)
        with pytest.raises(repo.NotFound, match="unknown invite"):
            repo.accept_invite(s, physio.id, "nope")
        with pytest.raises(repo.PermissionDenied):
            repo.create_invite(s, physio.id)
        repo.accept_invite(s, physio.id, link.invite_code)
        with pytest.raises(repo.RepoError, match="already been used"):
            repo.accept_invite(s, physio.id, link.invite_code)
        assert repo.can_view(s, physio.id, runner.id)
        assert repo.can_view(s, runner.id, runner.id)
        assert not repo.can_view(s, physio.id, other.id)
        assert not repo.can_view(s, runner.id, physio.id)  # links are one-way
        assert [u.id for u in repo.runners_for_clinician(s, physio.id)] == [runner.id]
        # An unaccepted invite grants nothing.
        repo.create_invite(s, other.id)
        assert [u.id for u in repo.runners_for_clinician(s, physio.id)] == [runner.id]
        # A link left over from an account that is no longer a clinician grants nothing.
        physio.role = "runner"
        s.flush()
        assert not repo.can_view(s, physio.id, runner.id)


def test_plan_versions_and_assessment(factory: sessionmaker[Session]) -> None:
    a, b = _two_users(factory)
    plan = make_plan()
    with transaction(factory) as s:
        r1 = repo.save_plan(s, a, plan, "first")
        r2 = repo.save_plan(s, a, plan, "second")
        rb = repo.save_plan(s, b, plan, "b's first")
        assert (r1.version, r2.version, rb.version) == (1, 2, 1)
        version, latest = repo.latest_plan(s, a)  # type: ignore[misc]
        assert version == 2 and latest.version == 2
        assert [p.reason for p in repo.plan_history(s, a)] == ["first", "second"]
        assert repo.latest_plan(s, 999) is None


def test_profile_round_trip_and_assessment_owner_check(factory: sessionmaker[Session]) -> None:
    a, b = _two_users(factory)
    profile = Profile.model_validate(
        {"symptoms": {"sides": ["left"], "locations": ["around_kneecap"]},
         "running": {"current_weekly_km": 20, "target_weekly_km": 40}}
    )
    with transaction(factory) as s:
        rec = repo.save_profile(s, a, profile)
        assert repo.latest_profile(s, a) == profile
        assert repo.latest_profile(s, b) is None
        repo.save_assessment(s, a, rec.id, {"x": 1}, "kb1")
        with pytest.raises(repo.NotFound):
            repo.save_assessment(s, b, rec.id, {"x": 1}, "kb1")


def test_runs_round_trip_dedupe_and_timezone(factory: sessionmaker[Session]) -> None:
    a, b = _two_users(factory)
    run = act(D, 10.0, gain=55)
    with transaction(factory) as s:
        rows, dups = repo.add_runs(s, a, [run, act(D, 10.01), act(D, 5.0, hour=18)])
        assert len(rows) == 2 and len(dups) == 1  # 10.01 km at the same minute = same run
        rows_b, dups_b = repo.add_runs(s, b, [run])
        assert len(rows_b) == 1 and not dups_b  # another owner's identical run is not a duplicate
    with transaction(factory) as s:
        got = repo.list_runs(s, a)
        assert got[0] == run  # tz-aware UTC, every field preserved
        assert [r.distance_km for r in repo.list_runs(s, a, since=D, until=D)] == [10.0, 5.0]
        assert repo.list_runs(s, a, since=date(2026, 3, 3)) == []
        _, again = repo.add_runs(s, a, [run])
        assert len(again) == 1


def test_pain_and_exercise_validation(factory: sessionmaker[Session]) -> None:
    a, _ = _two_users(factory)
    with transaction(factory) as s:
        repo.add_pain(s, a, D, "during", 0)
        repo.add_pain(s, a, D, "next_morning", 10, note="bad night")
        for score, timing, msg in [(11, "during", "0 .* 10"), (-1, "during", "0 .* 10"), (3, "durring", "timing"),
                                   (2.5, "during", "whole number")]:
            with pytest.raises(ValueError, match=msg):
                repo.add_pain(s, a, D, timing, score)  # type: ignore[arg-type]
        repo.add_exercise(s, a, D, "Clamshell", sets=3, reps=15, known_ids=KNOWN)
        with pytest.raises(ValueError, match="Did you mean: clamshell"):
            repo.add_exercise(s, a, D, "clamshel", known_ids=KNOWN)
        with pytest.raises(ValueError, match="sets cannot be negative"):
            repo.add_exercise(s, a, D, "clamshell", sets=-1, known_ids=KNOWN)
        with pytest.raises(ValueError, match="load cannot be negative"):
            repo.add_exercise(s, a, D, "clamshell", load_kg=-5, known_ids=KNOWN)
        with pytest.raises(ValueError, match="hold must be a number"):
            repo.add_exercise(s, a, D, "clamshell", hold_s=float("nan"), known_ids=KNOWN)
        assert [p.score for p in repo.list_pain(s, a)] == [0, 10]
        assert [e.exercise_id for e in repo.list_exercise(s, a)] == ["clamshell"]
        obs = repo.pain_obs(repo.list_pain(s, a))
        assert obs[1].timing == "next_morning" and obs[1].score == 10


def test_exercise_ids_checked_against_packaged_knowledge_base(factory: sessionmaker[Session]) -> None:
    known = repo.known_exercise_ids()
    if known is None:
        pytest.skip("knowledge base not loadable in this checkout")
    a, _ = _two_users(factory)
    some = sorted(known)[0]
    with transaction(factory) as s:
        repo.add_exercise(s, a, D, some)
        with pytest.raises(ValueError, match="unknown exercise"):
            repo.add_exercise(s, a, D, "underwater_basket_weaving")


def test_owner_isolation_everywhere(factory: sessionmaker[Session]) -> None:
    a, b = _two_users(factory)
    with transaction(factory) as s:
        (run,), _ = repo.add_runs(s, a, [act(D, 8.0)])
        pain = repo.add_pain(s, a, D, "during", 2, run_id=run.id)
        ex = repo.add_exercise(s, a, D, "clamshell", known_ids=KNOWN)
        repo.save_plan(s, a, make_plan(), "a's plan")
        ids = (run.id, pain.id, ex.id)
    run_id, pain_id, ex_id = ids
    with transaction(factory) as s:
        assert repo.list_runs(s, b) == [] and repo.run_rows(s, b) == []
        assert repo.list_pain(s, b) == [] and repo.list_exercise(s, b) == []
        assert repo.latest_plan(s, b) is None and repo.plan_history(s, b) == []
        assert repo.latest_profile(s, b) is None and repo.latest_assessment(s, b) is None
        for fn, row_id in [(repo.delete_run, run_id), (repo.delete_pain, pain_id), (repo.delete_exercise, ex_id)]:
            with pytest.raises(repo.NotFound):
                fn(s, b, row_id)
        with pytest.raises(repo.NotFound):  # cannot attach a pain score to someone else's run
            repo.add_pain(s, b, D, "during", 1, run_id=run_id)
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(RunRecord)) == 1
        assert s.scalar(select(func.count()).select_from(PainEntry)) == 1
        assert s.scalar(select(func.count()).select_from(ExerciseSession)) == 1
        # The owner can delete; the linked pain score survives, unlinked.
        repo.delete_run(s, a, run_id)
        assert repo.list_runs(s, a) == []
        assert repo.list_pain(s, a)[0].run_id is None
        with pytest.raises(repo.NotFound):
            repo.delete_run(s, a, run_id)

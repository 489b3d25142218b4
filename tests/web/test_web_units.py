"""Small pure pieces of the web app: secret key storage, form <-> model mapping."""

from __future__ import annotations

import os
import stat

import pytest
from pydantic import ValidationError

from kneecoach.web.forms import (
    build_profile,
    error_messages,
    flatten_form,
    flatten_model,
    nest,
)
from kneecoach.web.security import (
    SECRET_ENV,
    csrf_matches,
    csrf_token,
    load_secret_key,
)


def test_secret_key_is_created_once_with_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    k1 = load_secret_key(tmp_path)
    k2 = load_secret_key(tmp_path)
    assert k1 == k2 and len(k1) >= 40
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_world_readable_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    load_secret_key(tmp_path)
    os.chmod(tmp_path / "secret_key", 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_secret_key(tmp_path)


def test_env_key_wins_and_must_be_long(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ValueError, match="too short"):
        load_secret_key(tmp_path)
    monkeypatch.setenv(SECRET_ENV, "a-long-enough-secret-key-value")
    assert load_secret_key(tmp_path) == "a-long-enough-secret-key-value"
    assert not (tmp_path / "secret_key").exists()


def test_csrf_token_is_stable_per_session_and_compared_exactly():
    session: dict = {}
    tok = csrf_token(session)
    assert csrf_token(session) == tok
    assert csrf_matches(session, tok)
    assert not csrf_matches(session, tok[:-1])
    assert not csrf_matches(session, None)
    assert not csrf_matches({}, tok)


def test_nest_skips_blank_answers():
    assert nest({"a.b": "1", "a.c": "", "d": "2"}) == {"a": {"b": "1"}, "d": "2"}
    assert nest({"a.b": "1", "d": "2"}, keep=("d",)) == {"d": "2"}


def test_form_roundtrip_through_profile():
    values = flatten_form([
        ("csrf_token", "x"), ("symptoms.sides", "left"), ("symptoms.sides", "right"),
        ("symptoms.locations", "around_kneecap"), ("running.current_weekly_km", " 12.5 "),
        ("running.target_weekly_km", "30"), ("self_tests.single_leg_squat.left.knee_falls_inward", "true"),
        ("self_tests.single_leg_squat.right.knee_falls_inward", ""), ("red_flags.locking", "false"),
    ])
    assert "csrf_token" not in values and values["symptoms.sides"] == ["left", "right"]
    profile = build_profile(values, replace=("symptoms", "running", "self_tests", "red_flags"))
    assert profile.running.current_weekly_km == 12.5
    assert profile.self_tests.single_leg_squat.left.knee_falls_inward is True
    assert profile.self_tests.single_leg_squat.right is None  # blank side = not tested
    assert profile.red_flags == {"locking": False}
    again = flatten_model(profile.model_dump(mode="json"))
    assert again["symptoms.sides"] == ["left", "right"] and again["running.current_weekly_km"] == "12.5"


def test_self_test_form_keeps_intake_answers():
    base = build_profile({"symptoms.sides": ["left"], "symptoms.locations": ["around_kneecap"],
                          "running.current_weekly_km": "10", "running.target_weekly_km": "20"})
    updated = build_profile({"self_tests.plank_hold_s": "40", "running.current_weekly_km": "99"},
                            base.model_dump(mode="json"), replace=("self_tests",))
    assert updated.self_tests.plank_hold_s == 40
    assert updated.running.current_weekly_km == 10  # not replaced by the self-test form


def test_error_messages_name_the_form_field():
    with pytest.raises(ValidationError) as info:
        build_profile({"symptoms.locations": ["nowhere"], "running.current_weekly_km": "x",
                       "running.target_weekly_km": "0"})
    msgs = error_messages(info.value)
    assert msgs["symptoms.sides"] == "Tick at least one."
    assert msgs["running.current_weekly_km"] == "Enter a number."
    assert "running.target_weekly_km" in msgs
    assert any(k.startswith("symptoms.locations") for k in msgs)

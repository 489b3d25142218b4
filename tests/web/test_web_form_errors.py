"""Form errors in plain words, next to the field, naming the allowed range (issue 23)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from kneecoach.web.forms import INTAKE_KEYS, SELF_TEST_KEYS, build_profile, error_messages

from .conftest import Browser


def _messages(values: dict, keys: tuple[str, ...]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        build_profile(values, None, keys)
    return error_messages(info.value)


def test_range_errors_name_the_whole_range_in_plain_words() -> None:
    msgs = _messages({"name": "x", "age": "400", "running.current_weekly_km": "-5", "running.target_weekly_km": "30",
                      "running.runs_per_week": "2.5"}, INTAKE_KEYS)
    assert msgs["age"] == "Enter a number from 8 to 100."  # both ends, read from the model
    assert msgs["running.current_weekly_km"] == "Enter a number of 0 or more."
    assert msgs["running.runs_per_week"].startswith("Enter a whole number")
    assert not any("Input should" in m for m in msgs.values()), msgs
    msgs = _messages({"self_tests.plank_hold_s": "99999"}, SELF_TEST_KEYS)
    assert msgs["self_tests.plank_hold_s"] == "Enter a number from 0 to 3600."


def test_invalid_intake_shows_the_message_beside_the_field_and_keeps_every_answer(browser: Browser) -> None:
    browser.signup("form@example.org", "Form")
    r = browser.intake(**{"age": "400", "running.current_weekly_km": "-5", "history.surgery.kind": "arthroscopy"})
    assert r.status_code == 400
    html = r.text
    # the message sits inside the age field, tied to the input by aria-describedby
    field = re.search(r'<div class="field has-error">\s*<label for="f-age">.*?</div>', html, re.S)
    assert field and "Enter a number from 8 to 100." in field.group(0)
    assert 'aria-describedby="err-age"' in field.group(0)
    assert "Input should be" not in html
    # nothing typed is lost: the other answers are back in their fields
    assert 'value="arthroscopy"' in html and 'value="400"' in html and 'value="40"' in html
    assert re.search(r'name="symptoms.locations" value="around_kneecap"\s+checked', html)

"""Kujala scoring against hand-worked cases."""

from __future__ import annotations

import pytest

from kneecoach.intake.kujala import KujalaAnswerError, score_kujala

BEST = {"limp": "a", "support": "a", "walking": "a", "stairs": "a", "squatting": "a", "running": "a", "jumping": "a",
        "prolonged_sitting": "a", "pain": "a", "swelling": "a", "patellar_movements": "a", "thigh_atrophy": "a",
        "flexion_deficiency": "a"}


def test_best_answers_score_100(kb):
    assert score_kujala(BEST, kb.kujala).score == 100


def test_worst_answers_score_0(kb):
    worst = {i.id: i.options[-1].id for i in kb.kujala.items}
    assert score_kujala(worst, kb.kujala).score == 0


def test_marathoner_case_by_hand(kb):
    # limp 5, support 5, walking 5, stairs b=8, squatting b=4, running b=8, jumping b=7,
    # sitting 10, pain b=8, swelling 10, patella 10, atrophy 5, flexion 5  -> 90
    answers = dict(BEST, stairs="b", squatting="b", running="b", jumping="b", pain="b")
    result = score_kujala(answers, kb.kujala)
    assert result.score == 90
    assert result.item_points["squatting"] == 4 and result.item_points["jumping"] == 7


def test_post_surgery_case_by_hand(kb):
    # 3+5+3+5+2+0+0+8+8+8+10+3+3 = 58
    answers = {"limp": "b", "support": "a", "walking": "b", "stairs": "c", "squatting": "d", "running": "e",
               "jumping": "d", "prolonged_sitting": "b", "pain": "b", "swelling": "b", "patellar_movements": "a",
               "thigh_atrophy": "b", "flexion_deficiency": "b"}
    assert score_kujala(answers, kb.kujala).score == 58


def test_sitting_option_d_is_4_and_dislocations_option_d_is_2(kb):
    answers = dict(BEST, prolonged_sitting="d", patellar_movements="d")
    assert score_kujala(answers, kb.kujala).score == 100 - 6 - 8


def test_partial_answers_give_no_score_and_list_missing(kb):
    answers = dict(BEST)
    del answers["jumping"], answers["swelling"]
    result = score_kujala(answers, kb.kujala)
    assert result.score is None
    assert result.answered == 11
    assert result.missing == ["jumping", "swelling"]


def test_unknown_option_names_the_item(kb):
    with pytest.raises(KujalaAnswerError, match="stairs.*'z'"):
        score_kujala(dict(BEST, stairs="z"), kb.kujala)


def test_unknown_item_is_rejected(kb):
    with pytest.raises(KujalaAnswerError, match="hopping"):
        score_kujala(dict(BEST, hopping="a"), kb.kujala)


def test_scale_has_13_items_summing_to_100(kb):
    assert len(kb.kujala.items) == 13
    assert sum(i.max_points for i in kb.kujala.items) == 100

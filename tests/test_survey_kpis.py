"""Survey KPIs against values worked out by hand (docs/surveys.md)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxkpi.engine import compute
from cxkpi.errors import MissingColumnsError, UsageError
from cxkpi.stats import nps_interval, wilson_interval

from .conftest import frame


def test_nps_of_the_issue_example():
    # promoters 10,10,9 = 3; passives 8,7 = 2; detractors 6,0 = 2; NPS = 100 × (3 − 2) / 7 = 14.2857
    r = compute("nps", frame(score=[10, 10, 9, 8, 7, 6, 0]))
    assert r.value == pytest.approx(14.2857, abs=1e-4)
    assert r.n == 7
    assert (r.breakdown["promoters"], r.breakdown["passives"], r.breakdown["detractors"]) == (3, 2, 2)
    assert r.breakdown["promoters_pct"] == pytest.approx(300 / 7)


def test_nps_interval_by_hand():
    # p = 3/7, d = 2/7: variance = 5/7 − (1/7)² = 34/49 = 0.693878
    # margin = 1.96 × 100 × sqrt(0.693878 / 7) = 196 × 0.314845 = 61.7096 (z=1.959964 → 61.7085)
    r = compute("nps", frame(score=[10, 10, 9, 8, 7, 6, 0]))
    margin = 1.959964 * 100 * math.sqrt((34 / 49) / 7)
    assert r.interval.low == pytest.approx(100 / 7 - margin, abs=1e-3)
    assert r.interval.high == pytest.approx(100 / 7 + margin, abs=1e-3)
    # all promoters: variance = 1 + 0 − 1 = 0, so the interval collapses onto 100
    low, high = nps_interval(5, 0, 5)
    assert (low, high) == (100.0, 100.0)


def test_nps_thresholds_are_configurable():
    # a variant some articles use: detractors "less than 6" (0–5)
    # scores 10, 6, 5: promoters 1, detractors 1 (the 5) → 100 × 0 / 3 = 0
    r = compute("nps", frame(score=[10, 6, 5]), settings={"detractor_max": 5})
    assert r.value == pytest.approx(0.0)
    assert r.breakdown["passives"] == 1


def test_wilson_matches_an_independent_computation():
    # 8 of 10: Wilson 95% = 0.4902 … 0.9433 (textbook value, e.g. Newcombe 1998 table / R binom.confint wilson)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(49.02, abs=0.01)
    assert high == pytest.approx(94.33, abs=0.01)
    # 0 of 10: 0 … 27.75 (never negative, unlike the normal approximation)
    low, high = wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(27.75, abs=0.01)


def test_csat_percent_satisfied_mean_and_wilson():
    # 1–5 scale, satisfied = 4 and 5: [5, 4, 3, 1, 5] → 3 of 5 = 60 %, mean = 18 / 5 = 3.6
    r = compute("csat", frame(score=[5, 4, 3, 1, 5]))
    assert r.value == pytest.approx(60.0)
    assert r.breakdown["mean"] == pytest.approx(3.6)
    assert r.breakdown["satisfied"] == 3
    low, high = wilson_interval(3, 5)
    assert (r.interval.low, r.interval.high) == (pytest.approx(low), pytest.approx(high))


def test_csat_yes_no_survey():
    # yes = satisfied: 3 of 4 answers → 75 %; the blank is a skipped "no answer"
    r = compute("csat", frame(score=["Yes", "yes", "No", "Y", None]))
    assert r.value == pytest.approx(75.0)
    assert r.n == 4
    assert r.skipped.total == 1


def test_csat_labels_and_other_scales():
    # built-in verbal 1–5 labels: Very satisfied 5, Satisfied 4, Neutral 3, Dissatisfied 2 → 2 of 4 = 50 %
    r = compute("csat", frame(score=["Very satisfied", "satisfied ", "Neutral", "Dissatisfied"]))
    assert r.value == pytest.approx(50.0)
    # 1–10 scale: top two = 9 and 10 → [10, 9, 8, 2] = 2 of 4 = 50 %
    r = compute("csat", frame(score=[10, 9, 8, 2]), settings={"scale": "1-10"})
    assert r.value == pytest.approx(50.0)
    # custom labels from config
    r = compute("csat", frame(score=["top", "meh"]), settings={"labels": {"top": 5, "meh": 2}})
    assert r.value == pytest.approx(50.0)


def test_ces_mean_and_easy_share():
    # 1–7, easy = 5..7: [7, 6, 5, 4, 1] → mean 23/5 = 4.6; easy 3 of 5 = 60 %
    r = compute("ces", frame(score=[7, 6, 5, 4, 1]))
    assert r.value == pytest.approx(4.6)
    assert r.breakdown["easy_pct"] == pytest.approx(60.0)


def test_ces_reversed_scale():
    # "very easy" = 1: reverse with 1 + 7 − s → [1, 2, 7] becomes [7, 6, 1]; mean 14/3 = 4.667; easy 2 of 3
    r = compute("ces", frame(score=[1, 2, 7]), settings={"higher_is_easier": False})
    assert r.value == pytest.approx(14 / 3)
    assert r.breakdown["easy"] == 2


def test_ces_on_a_five_point_scale():
    # 1–5: easy_min defaults to 4 → [5, 4, 3, 2] = 2 of 4 easy; mean 3.5
    r = compute("ces", frame(score=[5, 4, 3, 2]), settings={"scale": "1-5"})
    assert r.value == pytest.approx(3.5)
    assert r.breakdown["easy_pct"] == pytest.approx(50.0)


def test_response_rate_from_invitation_rows():
    # 5 invitations, 2 answered → 40 %
    sent = pd.to_datetime(["2025-01-01"] * 5)
    r = compute("response-rate", frame(sent_at=sent, score=[9, None, 3, None, None]))
    assert r.value == pytest.approx(40.0)
    assert r.breakdown["responses"] == 2 and r.n == 5


def test_response_rate_from_a_sent_count():
    # a file of 3 responses, 12 invitations sent → 25 %
    r = compute("response-rate", frame(score=[9, 7, 3]), settings={"sent": 12})
    assert r.value == pytest.approx(25.0)
    assert r.n == 12


def test_more_responses_than_invitations_sent_is_an_error_not_a_rate(run_cli):
    # sample_data/surveys.csv holds 1,571 responses: --sent 500 would be 314 %, no rate at all
    from .conftest import ROOT

    code, out, err = run_cli("response-rate", ROOT / "sample_data" / "surveys.csv", "--sent", "500")
    assert code == 2 and out == ""
    assert "1,571 responses but --sent is 500" in err and "cannot pass 100 %" in err
    assert compute("response-rate", frame(score=[9, 7, 3]), settings={"sent": 3}).value == pytest.approx(100.0)


def test_bad_scores_are_skipped_by_reason():
    r = compute("nps", frame(score=["10", "N/A", "eleven", "12", "7.5", "0"]))
    # used: 10 and 0 → NPS 0; skipped: N/A (missing), eleven (not a number), 12 (outside), 7.5 (not whole)
    assert r.n == 2 and r.value == pytest.approx(0.0)
    assert r.skipped.total == 4
    assert r.rows == 6
    counts = r.skipped.counts
    assert counts["score outside the 0–10 scale"] == 1
    assert counts["score is not a whole number"] == 1
    assert r.skipped.rows["score outside the 0–10 scale"] == (5,)  # 4th data row = spreadsheet row 5


def test_unanswered_invitations_are_not_skipped_rows():
    # a per-invitation file: blank score + no response time = not answered (response-rate counts it)
    df = frame(sent_at=pd.to_datetime(["2025-01-01"] * 4), responded_at=pd.to_datetime(["2025-01-02", None, None, "2025-01-02"]),
               score=[10, None, None, None])
    r = compute("nps", df)
    assert r.n == 1 and r.value == 100.0
    assert r.skipped.total == 1  # row 5 has a response time but no score
    assert r.rows == 2
    assert any("2 unanswered" in n for n in r.notes)


def test_by_and_period_together():
    df = frame(score=[10, 0, 10, 10, 5],
               channel=["a", "a", "b", "a", "b"],
               responded_at=pd.to_datetime(["2025-01-05", "2025-01-20", "2025-01-07", "2025-02-01", "2025-02-03"]))
    r = compute("nps", df, by=("channel",), period="month")
    got = {(g.key["channel"], g.key["period"]): (g.value, g.n) for g in r.groups}
    # a/Jan: 10, 0 → (1 − 1)/2 = 0; b/Jan: 10 → 100; a/Feb: 10 → 100; b/Feb: 5 → −100
    assert got == {("a", "2025-01"): (0.0, 2), ("b", "2025-01"): (100.0, 1),
                   ("a", "2025-02"): (100.0, 1), ("b", "2025-02"): (-100.0, 1)}
    assert all(g.low_sample for g in r.groups)


def test_week_quarter_labels_and_since_until():
    df = frame(score=[10, 0, 10], responded_at=pd.to_datetime(["2025-03-31", "2025-04-06", "2025-04-07"]))
    r = compute("nps", df, period="week")
    # 2025-03-31 is Monday of ISO week 14; 04-06 is its Sunday; 04-07 starts week 15
    assert [(g.key["period"], g.n) for g in r.groups] == [("2025-W14", 2), ("2025-W15", 1)]
    r = compute("nps", df, period="quarter")
    assert [g.key["period"] for g in r.groups] == ["2025-Q1", "2025-Q2"]
    r = compute("nps", df, since=pd.Timestamp("2025-04-01"), until=pd.Timestamp("2025-04-07"))
    assert r.n == 1 and r.value == -100.0


def test_where_and_nested_by():
    df = frame(score=[10, 0, 9, 9], channel=["a", "a", "b", "b"], agent=["x", "y", "x", "x"])
    from cxkpi.engine import Where

    r = compute("nps", df, where=(Where.parse("channel=b"),))
    assert r.n == 2 and r.value == 100.0
    r = compute("nps", df, by=("channel", "agent"))
    assert [(g.key["channel"], g.key["agent"], g.n) for g in r.groups] == [("a", "x", 1), ("a", "y", 1), ("b", "x", 2)]


def test_survey_column_selects_the_kpis_rows():
    df = frame(score=[10, 0, 5, 1], survey=["NPS", "NPS", "CSAT", "CSAT"])
    r = compute("nps", df)  # only the NPS rows: 10 and 0
    assert r.n == 2 and r.value == 0.0
    r = compute("csat", df)  # only the CSAT rows: 5 and 1 → 50 %
    assert r.value == 50.0


def test_missing_column_names_what_the_file_has():
    with pytest.raises(MissingColumnsError, match="needs column 'score'.*'rating'"):
        compute("nps", frame(rating=[1, 2]))


def test_bad_thresholds_and_scale_are_usage_errors():
    with pytest.raises(UsageError):
        compute("nps", frame(score=[1]), settings={"promoter_min": 5, "detractor_max": 6})
    with pytest.raises(UsageError, match="scale"):
        compute("csat", frame(score=[1]), settings={"scale": "five"})


def test_empty_input_gives_an_empty_result():
    r = compute("nps", frame(score=pd.Series([], dtype="float64")))
    assert r.n == 0 and r.value is None


def test_scores_from_labels_and_text_are_read_once_per_distinct_answer():
    """numeric_scores looks labels up per distinct answer and parses plain numbers on Arrow; the result
    per row is what the label map and the number say: 'Very  SATISFIED' -> 5 (case and spaces ignored),
    '2,5' -> 2.5 (not whole: skipped), '6' outside 1-5, 'n/a' a label here (-> 3), '' no answer."""
    import pandas as pd

    from cxkpi.kpis.scores import numeric_scores

    raw = pd.Series(["5", " 3 ", "", "n/a", "Very  SATISFIED", "2,5", "x", "6", "+4"], dtype="string",
                    index=range(2, 11))
    scores, reasons = numeric_scores(raw, 1, 5, {"Very satisfied": 5, "n/a": 3})
    assert scores.to_dict() == {2: 5.0, 3: 3.0, 5: 3.0, 6: 5.0, 10: 4.0}
    assert reasons.to_dict() == {4: "no answer (empty score)", 7: "score is not a whole number",
                                 8: "score is not a number (or not in the label map)",
                                 9: "score outside the 1–5 scale"}

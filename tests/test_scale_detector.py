"""One answer-scale detector for nps/csat/ces, inspect, init and themes (issue: scales that mislead).

Before: `cxkpi nps` on answers that are all 1–5 printed −100 with exit 0 (every 1–5 answer is a
detractor on 0–10), and `inspect` suggested `cxkpi nps` for such a column.
"""

from __future__ import annotations

import json

import yaml

from cxkpi.kpis.scales import Fit, fit_scale, read
from cxkpi.config.starter import starter_config


def _scores(write, name, scores, header="score"):
    return write(name, f"responded_at,{header}\n" + "".join(
        f"2025-05-{i % 28 + 1:02d} 10:00,{s}\n" for i, s in enumerate(scores)))


ONE_TO_FIVE = [1, 2, 3, 4, 5, 4, 5, 3] * 5  # 40 answers, all 1–5
ZERO_TO_TEN = [10, 9, 0, 6, 8, 7, 3] * 5  # 35 answers on 0–10


# --- the detector --------------------------------------------------------------------------------

def test_fit_scale_picks_the_narrowest_usual_scale_holding_95_percent():
    assert fit_scale(ONE_TO_FIVE) == Fit(1, 5, 40, 40)
    assert fit_scale([7, 6, 6, 2, 5]) == Fit(1, 7, 5, 5)
    assert fit_scale(ZERO_TO_TEN) == Fit(0, 10, 35, 35)
    # 38 of 40 on 1–5 and two 10s: 38 ≥ 0.95 × 40 = 38, so 1–5 still fits
    assert fit_scale([1, 2, 3, 4, 5] * 7 + [4, 5, 3] + [10, 10]) == Fit(1, 5, 38, 40)
    # 37 of 40: 37 < 38, so 1–5 and 1–7 do not fit; 0–10 holds all 40
    assert fit_scale([1, 2, 3, 4, 5] * 7 + [4, 5] + [10, 10, 10]) == Fit(0, 10, 40, 40)
    # counts of distinct answers (what inspect keeps) give the same answer as the rows
    assert fit_scale({"1": 10, "5": 28, "10": 2}) == Fit(1, 5, 38, 40)
    assert fit_scale([-3, 42, 17]) is None
    assert fit_scale(["n/a", "-"]) is None


def test_read_names_the_kpi_and_an_nps_label_does_not_force_0_to_10():
    assert read(ONE_TO_FIVE).kpi == "csat"
    assert read(ZERO_TO_TEN).kpi == "nps"
    assert read(["yes", "no", "yes"]).seen == "yes/no answers"
    r = read(ONE_TO_FIVE, "nps")  # a survey labelled NPS whose 40 answers are all 1–5
    assert (r.kpi, r.scale, r.seen) == ("csat", (1, 5), "answers on 1–5, not NPS's 0–10")
    # fewer than 10 answers: too few to overrule the label
    assert (read([1, 2, 3, 4, 5], "nps").kpi, read([1, 2, 3, 4, 5], "nps").scale) == ("nps", (0, 10))


# --- cxkpi nps -------------------------------------------------------------------------------------

def test_nps_on_1_to_5_answers_is_a_usage_error_that_suggests_csat(run_cli, write):
    path = _scores(write, "ratings.csv", ONE_TO_FIVE, header="Rating")
    code, out, err = run_cli("nps", path, "--score", "Rating")
    assert code == 2 and out == ""
    assert err.strip() == (
        f"cxkpi: error: {path}: column 'Rating': nps: all 40 answers are on a 1–5 scale, and NPS (0–10) "
        "counts 0–6 as detractors; use `cxkpi csat` for a 1–5 survey, "
        "or --scale 0-10 (in a config: kpis.nps.scale: 0-10) if the survey really is 0–10")
    # the way out works: csat counts 4 and 5 as satisfied: 4,5,4,5 per 8 → 20 of 40 = 50 %
    code, out, err = run_cli("csat", path, "--score", "Rating", "--format", "json")
    assert code == 0, err
    assert (json.loads(out)["value"], json.loads(out)["n"]) == (50.0, 40)


def test_nps_with_a_few_stray_answers_still_refused_naming_the_share(run_cli, write):
    path = _scores(write, "ratings.csv", [1, 2, 3, 4, 5] * 7 + [4, 5, 3] + [10, 10])
    code, _, err = run_cli("nps", path)
    assert code == 2
    assert "column 'score': nps: 38 of 40 answers are on a 1–5 scale" in err


def test_scale_0_10_insists(run_cli, write):
    path = _scores(write, "ratings.csv", ONE_TO_FIVE)
    code, out, err = run_cli("nps", path, "--scale", "0-10", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    # every answer ≤ 6 is a detractor: 100 × (0 − 40) / 40 = −100
    assert (r["value"], r["n"], r["settings"]["scale"]) == (-100.0, 40, "0-10")
    assert not any("1–5" in n for n in r["notes"])
    code, _, err = run_cli("nps", path, "--scale", "1-5")
    assert code == 2 and "'1-5' is not one of 'auto', '0-10'" in err


def test_scale_0_10_in_a_config(run_cli, write, tmp_path):
    path = _scores(write, "ratings.csv", ONE_TO_FIVE)
    cfg = write("c.yaml", f"sources:\n  surveys:\n    file: {path.name}\nkpis:\n  nps:\n    scale: 0-10\n")
    code, out, err = run_cli("nps", "--config", cfg, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["value"] == -100.0  # 40 detractors of 40


def test_fewer_than_10_answers_on_1_to_5_compute_with_a_note(run_cli, write):
    path = _scores(write, "ratings.csv", [1, 2, 3, 4, 5])
    code, out, err = run_cli("nps", path, "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert (r["value"], r["n"]) == (-100.0, 5)  # 5 detractors of 5
    assert "all 5 answers are 1–5: if this is a 1–5 survey, use `cxkpi csat` (NPS counts 0–6 as detractors)" \
        in r["notes"]


def test_nps_on_0_to_10_answers_is_unchanged(run_cli, write):
    path = _scores(write, "nps.csv", ZERO_TO_TEN)
    code, out, err = run_cli("nps", path, "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    # per 7 answers: promoters 10, 9; detractors 0, 6, 3 → 100 × (2 − 3) / 7
    assert (r["value"], r["n"], r["notes"]) == (-14.285714, 35, [])  # −100 / 7, to 6 decimals


def test_csat_on_0_to_10_answers_says_which_scale_they_fit(run_cli, write):
    path = _scores(write, "nps.csv", ZERO_TO_TEN)
    code, out, err = run_cli("csat", path, "--format", "json")
    assert code == 0, err
    assert "the answers fit a 0–10 scale, not 1–5: --scale 0-10 to read them on it (an NPS survey? `cxkpi nps`)" \
        in json.loads(out)["notes"]


# --- inspect ---------------------------------------------------------------------------------------

def test_inspect_suggests_csat_for_a_1_to_5_column(run_cli, write):
    path = _scores(write, "ratings.csv", ONE_TO_FIVE)
    code, out, err = run_cli("inspect", path)
    assert code == 0, err
    assert "Computable KPIs: csat, ces, response-rate\n" in out  # nps refuses these answers
    assert "Score column 'score': answers on 1–5\n" in out
    assert f"Try: cxkpi csat {path}\n" in out
    code, out, _ = run_cli("inspect", path, "--format", "json")
    s = json.loads(out)["suggestion"]
    assert s["computable_kpis"] == ["csat", "ces", "response-rate"]
    assert s["answer_scale"] == {"column": "score", "seen": "answers on 1–5", "kpi": "csat", "scale": "1-5"}


def test_inspect_suggests_nps_for_a_0_to_10_column(run_cli, write):
    path = _scores(write, "nps.csv", ZERO_TO_TEN)
    code, out, err = run_cli("inspect", path)
    assert code == 0, err
    assert "Computable KPIs: nps, csat, ces, response-rate\n" in out
    assert "Score column 'score': answers on 0–10\n" in out
    assert f"Try: cxkpi nps {path}\n" in out


def test_inspect_suggests_ces_for_1_to_7_and_the_scale_flag_a_csat_on_1_to_10_needs(run_cli, write):
    path = _scores(write, "effort.csv", [7, 6, 6, 2, 5, 1, 3] * 3)
    code, out, _ = run_cli("inspect", path)
    assert code == 0 and f"Try: cxkpi ces {path}\n" in out
    # a header naming satisfaction, answers 1–10 (no 0): CSAT on 1–10, which needs --scale 1-10
    path = _scores(write, "sat.csv", list(range(1, 11)) * 2, header="Satisfaction")
    code, out, err = run_cli("inspect", path)
    assert code == 0, err
    assert "Computable KPIs: csat, nps, ces, response-rate\n" in out
    assert "Score column 'Satisfaction': answers on 1–10\n" in out
    assert f"Try: cxkpi csat {path} --scale 1-10\n" in out


# --- init and themes ------------------------------------------------------------------------------

def test_init_reads_an_nps_labelled_1_to_5_survey_as_csat(write):
    path = write("s.csv", "survey,score\n" + "".join(f"NPS,{s}\n" for s in ONE_TO_FIVE))
    text = starter_config([str(path)])
    raw = yaml.safe_load(text)
    assert raw["kpis"] == {"csat": {"survey": "NPS"}}
    assert "seen: answers on 1–5, not NPS's 0–10" in text


def test_themes_read_an_nps_labelled_1_to_5_survey_as_csat(run_cli, write):
    path = write("s.csv", "survey,score,comment\n" + "".join(f"NPS,{s},slow delivery\n" for s in ONE_TO_FIVE))
    code, out, err = run_cli("themes", path, "--format", "json")
    assert code == 0, err
    assert "answers of the survey 'NPS' are on 1–5, not 0–10: read as CSAT" in out

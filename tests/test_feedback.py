"""Comment themes and sentiment (cxkpi themes / cxkpi sentiment); expected values worked out by hand."""

from __future__ import annotations

import json
import math
import sys
import textwrap

import pandas as pd
import pytest

from cxkpi.cli.app import main
from cxkpi.engine import compute
from cxkpi.errors import ConfigError
from cxkpi.text import dictionary
from cxkpi.text.tokens import languages, phrases

# 20 NPS answers: 8 detractors (0–6), 2 passives (7–8), 10 promoters (9–10).
TWENTY = [
    (2, "Still waiting for my refund."),
    (0, "The refund never came!"),
    (5, "Refund process is a mess."),
    (6, "I want a refund now."),
    (3, "Slow response."),
    (4, "Slow response again."),
    (1, "Nobody answered my email."),
    (6, "Rude agent."),
    (7, "It was ok."),
    (8, "Fine, nothing special."),
    (10, "Got my refund, fast and friendly."),
    (9, "Fast reply."),
    (10, "Very fast!"),
    (9, "Fast and helpful."),
    (10, "Helpful agent."),
    (10, "Fast service."),
    (9, "Great product."),
    (10, "So fast, thank you."),
    (9, "Friendly team."),
    (10, "Great product, great support."),
]


def twenty() -> pd.DataFrame:
    return pd.DataFrame({"score": [str(s) for s, _ in TWENTY], "comment": [c for _, c in TWENTY],
                         "survey": "NPS"}, index=range(2, 22))


def by_theme(result) -> dict:
    return {g.key["theme"]: g for g in result.groups}


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


# ----------------------------------------------------------------- key phrases
def test_theme_counts_and_lift_on_twenty_comments():
    result = compute("themes", twenty(), settings={"min_mentions": 2})
    themes = by_theme(result)
    assert result.n == 20
    assert result.breakdown["detractor_comments"] == 8
    assert result.breakdown["promoter_comments"] == 10

    refund = themes["refund"]
    # rows 1–4 (detractors) and row 11 (a promoter) mention a refund: 5 of 20 comments
    assert refund.breakdown["mentions"] == 5
    assert refund.n == 20
    assert refund.value == pytest.approx(25.0)
    assert refund.breakdown["detractor_mentions"] == 4
    assert refund.breakdown["promoter_mentions"] == 1
    assert refund.breakdown["detractors_pct"] == pytest.approx(50.0)  # 4 of 8 detractors
    assert refund.breakdown["promoters_pct"] == pytest.approx(10.0)  # 1 of 10 promoters
    # lift = ((4 + .5) / (8 + 1)) / ((1 + .5) / (10 + 1)) = 0.5 / 0.136364 = 3.666667
    assert refund.breakdown["lift"] == pytest.approx(3.666667, rel=1e-6)
    # NPS of who mentions it: 1 promoter, 4 detractors of 5 -> 100 * (1 - 4) / 5 = -60
    assert refund.breakdown["nps"] == pytest.approx(-60.0)

    fast = themes["fast"]
    # promoters in rows 11, 12, 13, 14, 16, 18; no detractor
    assert fast.breakdown["mentions"] == 6
    assert fast.value == pytest.approx(30.0)
    assert (fast.breakdown["detractor_mentions"], fast.breakdown["promoter_mentions"]) == (0, 6)
    # ((0 + .5) / 9) / ((6 + .5) / 11) = 0.055556 / 0.590909 = 0.094017
    assert fast.breakdown["lift"] == pytest.approx(0.094017, rel=1e-5)
    assert fast.breakdown["nps"] == pytest.approx(100.0)

    # "slow response" (rows 5, 6): the two words only ever come together, so the
    # single words are not listed on their own; ((2 + .5) / 9) / ((0 + .5) / 11) = 6.111111
    assert themes["slow response"].breakdown["mentions"] == 2
    assert themes["slow response"].breakdown["lift"] == pytest.approx(6.111111, rel=1e-6)
    assert "slow" not in themes and "response" not in themes
    assert "great product" in themes and "great" not in themes

    # ranked by lift: slow response (6.11) before refund (3.67) before fast (0.094)
    order = [g.key["theme"] for g in result.groups]
    assert order.index("slow response") < order.index("refund") < order.index("fast")


def test_examples_come_from_the_side_the_theme_leans_to():
    result = compute("themes", twenty(), settings={"min_mentions": 2})
    examples = by_theme(result)["refund"].breakdown["examples"]
    assert len(examples) == 3
    # refund leans to detractors: the promoter's "Got my refund, fast and friendly." is not among the first three
    assert "Got my refund, fast and friendly." not in examples
    assert set(examples) <= {c for _, c in TWENTY[:4]}


def test_by_nps_group_puts_detractors_and_promoters_side_by_side():
    result = compute("themes", twenty(), by=("nps_group",), settings={"min_mentions": 2})
    groups = {(g.key["nps_group"], g.key["theme"]): g for g in result.groups}
    assert result.group_by == ("nps_group", "theme")
    # 4 of the 8 detractors' comments mention a refund; 1 of the 10 promoters'
    assert groups[("detractor", "refund")].value == pytest.approx(50.0)
    assert groups[("detractor", "refund")].n == 8
    assert groups[("promoter", "refund")].value == pytest.approx(10.0)
    assert groups[("promoter", "fast")].value == pytest.approx(60.0)
    assert ("detractor", "fast") not in groups  # no detractor said it
    # the groups come in scale order; the passives' comments ("It was ok.", "Fine, nothing special.")
    # have no phrase said twice, so the passive group lists no theme
    seen = list(dict.fromkeys(g.key["nps_group"] for g in result.groups))
    assert seen == ["detractor", "promoter"]


def test_themes_per_period():
    frame = pd.DataFrame({
        "responded_at": pd.to_datetime(["2025-05-03", "2025-05-20", "2025-06-02", "2025-06-09", "2025-06-30"]),
        "score": ["2", "3", "10", "9", "2"],
        "comment": ["Slow reply.", "Slow reply.", "Slow reply.", "Great team.", "Great team."],
    })
    result = compute("themes", frame, period="month", settings={"min_mentions": 2})
    cells = {(g.key["period"], g.key["theme"]): g for g in result.groups}
    # May: 2 comments, both "slow reply"; June: 3 comments, 1 "slow reply", 2 "great team"
    assert cells[("2025-05", "slow reply")].value == pytest.approx(100.0)
    assert cells[("2025-06", "slow reply")].value == pytest.approx(100 / 3)
    assert cells[("2025-06", "great team")].breakdown["mentions"] == 2
    assert ("2025-05", "great team") not in cells


def test_csat_file_groups_are_satisfied_and_dissatisfied():
    frame = pd.DataFrame({"score": ["1", "2", "5", "4", "3"],
                          "comment": ["Slow.", "Slow again.", "Quick!", "Quick and kind.", "Meh."]})
    result = compute("themes", frame, by=("nps_group",), settings={"min_mentions": 2})
    labels = {g.key["nps_group"] for g in result.groups}
    assert labels <= {"dissatisfied", "neutral", "satisfied"}
    slow = next(g for g in result.groups if g.key["theme"] == "slow")
    assert slow.key["nps_group"] == "dissatisfied" and slow.value == pytest.approx(100.0)  # 2 of 2
    total = compute("themes", frame, settings={"min_mentions": 2})
    # CSAT of who mentions "quick": both satisfied (5 and 4) -> 100%
    assert by_theme(total)["quick"].breakdown["csat"] == pytest.approx(100.0)


def test_negation_makes_its_own_phrase():
    c = pd.Series(["The agent was not very helpful.", "Didn't listen at all."])
    found = phrases(c, languages(c))
    surfaces = set(found["surface"])
    assert "not helpful" in surfaces  # "very" is a stop word between them
    assert "didn't listen" in surfaces


def test_language_check_by_stop_words_and_script():
    c = pd.Series(["The agent was rude and slow.", "Der Agent war nicht hilfreich und sehr langsam.",
                   "L'agent n'est pas rapide et il est impoli.", "Сервис отличный", "Slow response."])
    assert languages(c).tolist() == ["en", "de", "fr", "other", "en"]


def test_stemming_joins_word_forms():
    pytest.importorskip("snowballstemmer")
    c = pd.Series(["The app crashes.", "App crashed again.", "It keeps crashing."])
    frame = pd.DataFrame({"comment": c})
    result = compute("themes", frame, settings={"min_mentions": 2})
    # crashes / crashed / crashing share the stem "crash": one theme in all 3 comments
    # (named after its most frequent form; a tie goes to the first alphabetically: "crashed")
    crash = [g for g in result.groups if g.key["theme"] in {"crashes", "crashed", "crashing"}]
    assert [(g.key["theme"], g.breakdown["mentions"]) for g in crash] == [("crashed", 3)]


def test_comments_without_text_are_not_counted():
    frame = pd.DataFrame({"score": ["9", "3", "10"], "comment": ["Fast reply.", "", None]})
    result = compute("themes", frame, settings={"min_mentions": 1})
    assert result.n == 1
    assert any("2 rows without a comment" in note for note in result.notes)


def test_empty_frame_gives_an_empty_result():
    frame = pd.DataFrame({"score": pd.Series([], dtype="object"), "comment": pd.Series([], dtype="object")})
    result = compute("themes", frame)
    assert result.n == 0 and result.groups == ()


# ----------------------------------------------------------------- dictionary
DICTIONARY = {
    "themes": {
        "refund": {"keywords": {"en": ["refund*", "money back"], "de": ["Rückerstattung"]}},
        "rude": ["rude", "impoli*"],
        "cafe": {"keywords": ["café"], "regex": [r"\bcoffee\b"]},
    },
    "other": "nothing specific",
}


def dictionary_result(comments, **kw):
    frame = pd.DataFrame({"comment": comments})
    return compute("themes", frame, settings={"themes": dictionary.parse(DICTIONARY)}, **kw)


def test_a_comment_with_two_themes_counts_in_both():
    result = dictionary_result(["Refund took ages and the agent was rude.", "Rude!", "Where is my refund?",
                                "All good."])
    themes = by_theme(result)
    assert themes["refund"].breakdown["mentions"] == 2  # comments 1 and 3
    assert themes["rude"].breakdown["mentions"] == 2  # comments 1 and 2
    assert themes["nothing specific"].breakdown["mentions"] == 1  # comment 4
    assert themes["refund"].value == pytest.approx(50.0)  # 2 of 4
    # 3 of 4 comments have at least one theme
    assert result.value == pytest.approx(75.0)
    assert result.breakdown["with_theme"] == 3
    # the no-theme bucket is listed last
    assert result.groups[-1].key["theme"] == "nothing specific"


def test_dictionary_matching_ignores_case_and_accents():
    result = dictionary_result([
        "RUCKERSTATTUNG fehlt",  # no umlaut, upper case: matches "Rückerstattung"
        "keine rückerstattung",
        "Refunded, thanks",  # refund* matches any ending
        "the CAFE was cold",  # "café" without the accent
        "Café crème",
        "Très IMPOLI",  # impoli* matches "impoli"
        "prudent and calm",  # "rude" is a whole word: no match inside "prudent"
        "good COFFEE",  # regex, matched on the folded text
    ])
    themes = by_theme(result)
    assert themes["refund"].breakdown["mentions"] == 3
    assert themes["cafe"].breakdown["mentions"] == 3
    assert themes["rude"].breakdown["mentions"] == 1
    assert themes["nothing specific"].breakdown["mentions"] == 1  # "prudent and calm"


def test_dictionary_regex_that_re2_cannot_run_falls_back_to_python():
    themes = dictionary.parse({"happy": {"regex": [r"(?<!un)happy"]}})
    frame = pd.DataFrame({"comment": ["Happy now", "unhappy customer", "very HAPPY"]})
    result = compute("themes", frame, settings={"themes": themes})
    # matched on the folded (lower-case) text; "unhappy" is excluded by the look-behind
    assert by_theme(result)["happy"].breakdown["mentions"] == 2


def test_dictionary_problems_are_reported_together(tmp_path):
    bad = tmp_path / "themes.yaml"
    bad.write_text(textwrap.dedent("""
        themes:
          refund: {keywords: [refund], regex: ['(unclosed']}
          empty: []
          weird: {words: [x]}
    """), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        dictionary.load(bad)
    message = str(info.value)
    assert "themes.refund.regex" in message and "themes.empty: no keywords" in message
    assert "themes.weird.words: unknown key" in message


def test_cli_themes_with_a_dictionary_file_in_every_format(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    csv.write_text("Score,Comment\n2,Refund please\n10,Great and quick\n9,quick!\n3,rude and no refund\n",
                   encoding="utf-8")
    themes = tmp_path / "t.yaml"
    themes.write_text("refund: [refund*]\nquick: [quick*, fast]\n", encoding="utf-8")
    code, out, _ = run_cli(["themes", str(csv), "--themes", str(themes), "--format", "json", "-q"], capsys)
    assert code == 0
    payload = json.loads(out)
    found = {g["key"]["theme"]: g["breakdown"]["mentions"] for g in payload["groups"]}
    assert found == {"refund": 2, "quick": 2}  # nothing left for "other"
    for fmt in ("csv", "markdown", "table"):
        code, out, _ = run_cli(["themes", str(csv), "--themes", str(themes), "--format", fmt, "-q"], capsys)
        assert code == 0 and "refund" in out


def test_cli_missing_dictionary_is_a_one_line_usage_error(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    csv.write_text("Score,Comment\n2,Refund please\n", encoding="utf-8")
    code, _, err = run_cli(["themes", str(csv), "--themes", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "no such theme dictionary file" in err


# ----------------------------------------------------------------- sentiment
def test_sentiment_without_the_extra_exits_1_with_the_install_hint(tmp_path, capsys, monkeypatch):
    # a None entry in sys.modules makes `import vaderSentiment...` raise ImportError
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    csv = tmp_path / "s.csv"
    csv.write_text("Score,Comment\n2,Terrible\n", encoding="utf-8")
    code, out, err = run_cli(["sentiment", str(csv)], capsys)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and 'pip install ".[text]"' in err  # run from the checkout


def test_themes_work_without_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "vaderSentiment", None)
    monkeypatch.setitem(sys.modules, "vaderSentiment.vaderSentiment", None)
    csv = tmp_path / "s.csv"
    csv.write_text("Score,Comment\n2,Slow reply\n3,Slow reply\n", encoding="utf-8")
    code, _, _ = run_cli(["themes", str(csv), "-q", "--format", "json"], capsys)
    assert code == 0


def test_sentiment_scores_and_agreement_with_the_score():
    vader = pytest.importorskip("vaderSentiment.vaderSentiment")
    analyser = vader.SentimentIntensityAnalyzer()
    rows = [
        ("10", "Great product, love it."),  # promoter, positive
        ("9", "The agent was rude."),  # promoter, negative
        ("2", "Terrible service, I hate it."),  # detractor, negative
        ("1", "Wonderful, thanks a lot!"),  # detractor, positive
        ("8", "It was ok."),  # passive, neutral
        ("3", "Der Service war schrecklich und langsam."),  # German: not scored
    ]
    english = [c for _, c in rows[:5]]
    compound = [analyser.polarity_scores(c)["compound"] for c in english]
    assert compound[0] > 0.05 and compound[3] > 0.05  # the sentences behave as their labels say
    assert compound[1] < -0.05 and compound[2] < -0.05
    assert -0.05 < compound[4] < 0.05

    frame = pd.DataFrame({"score": [s for s, _ in rows], "comment": [c for _, c in rows]})
    result = compute("sentiment", frame)
    assert result.n == 5  # the German comment is not scored
    assert result.breakdown["not_scored"] == 1
    assert result.value == pytest.approx(sum(compound) / 5)
    assert result.breakdown["negative_pct"] == pytest.approx(40.0)  # 2 of 5
    assert result.breakdown["positive_pct"] == pytest.approx(40.0)
    assert result.breakdown["neutral_pct"] == pytest.approx(20.0)
    # promoters: 2, one negative -> 50%; detractors (scored): 2, one positive -> 50%
    assert result.breakdown["promoters"] == 2 and result.breakdown["detractors"] == 2
    assert result.breakdown["promoters_negative_pct"] == pytest.approx(50.0)
    assert result.breakdown["detractors_positive_pct"] == pytest.approx(50.0)
    # agreement: promoter+positive (row 1) and detractor+negative (row 3) of 4 -> 50%
    assert result.breakdown["agreement_pct"] == pytest.approx(50.0)
    assert any("not scored" in n and "de 1" in n for n in result.notes)

    by_group = compute("sentiment", frame, by=("nps_group",))
    groups = {g.key["nps_group"]: g for g in by_group.groups}
    assert groups["promoter"].value == pytest.approx((compound[0] + compound[1]) / 2)
    assert groups["detractor"].breakdown["not_scored"] == 1
    assert not math.isnan(groups["passive"].value)


def test_sentiment_cli_on_the_sample(capsys):
    pytest.importorskip("vaderSentiment")
    code, out, _ = run_cli(["sentiment", "sample_data/surveys.csv", "--config", "config.example.yaml",
                            "--by", "channel", "--format", "json", "-q"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["group_by"] == ["channel"]
    assert {g["key"]["channel"] for g in payload["groups"]} == {"chat", "email", "phone", "web"}


def test_sample_data_detractor_themes_differ_from_promoter_themes():
    from cxkpi.api import compute_file
    from cxkpi.config import load_config

    result = compute_file("themes", config=load_config("config.example.yaml"))
    leaning = {g.key["theme"]: g.breakdown["lift"] for g in result.groups}
    # the generator writes complaints about refunds and rude agents only for unhappy customers,
    # and praise ("friendly", "easy") only for happy ones
    assert leaning["refund"] > 10 and leaning["rude"] > 10
    assert leaning["friendly"] < 0.1 and leaning["easy"] < 0.1

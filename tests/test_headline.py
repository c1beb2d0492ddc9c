"""One headline module for every renderer: each declared headline kind on a small hand-built entry."""

import pathlib
import re
from types import SimpleNamespace as NS

from cxkpi.render import headline as hl

CTX = hl.Ctx(NS(period="month", currency=None, headline_period="2025-10", compare_period="2025-09"))
REPORT = NS(period="month", currency=None, headline_period="2025-10", compare_period="2025-09")


def _entry(kpi, unit, value, breakdown=None, result=None):
    return NS(kpi=kpi, unit=unit, headline=value, breakdown=breakdown or {}, result=result)


def _group(period, label_col, label, value, n, **breakdown):
    return NS(key={"period": period, label_col: label}, value=value, n=n, breakdown=breakdown)


def test_median_headline_with_mean_and_p90_beside_it():
    # median 38 min -> "38m"; mean 300 min = 5 h 0 m; p90 993 min = 16 h 33 m (16 * 60 = 960, + 33)
    e = _entry("frt", "min", 300.0, {"median": 38.0, "mean": 300.0, "p90": 993.0})
    assert tuple(hl.card(e, CTX)) == ("38m", "median", "headline: the median; mean 5h 0m · p90 16h 33m", "mean ")
    assert tuple(hl.row(e, REPORT)) == ("38m", "median", "mean 5h 0m · p90 16h 33m", "mean ")
    assert hl.text(e, CTX) == "38m median — headline: the median; mean 5h 0m · p90 16h 33m"


def test_created_resolved_backlog_headline():
    e = _entry("volume", "tickets", 1114, {"created": 1114, "resolved": 1100, "backlog": 42})
    assert tuple(hl.card(e, CTX)) == ("1,114", "tickets created",
                                      "created 1,114 · resolved 1,100 · open backlog 42", "")
    assert tuple(hl.row(e, REPORT)) == ("1,114", "created", "resolved 1,100 · open backlog 42", "")


def test_net_positive_headline():
    # 60 % positive − 13 % negative = +47 points
    e = _entry("sentiment", "compound (−1…1)", 0.24, {"positive_pct": 60.0, "negative_pct": 13.0})
    assert tuple(hl.card(e, CTX)) == ("+47", "pts net positive",
                                      "60 % positive − 13 % negative comments · mean compound 0.24 (−1…1)",
                                      "compound ")
    assert tuple(hl.row(e, REPORT))[:3] == ("+47", "net positive", "60 % positive − 13 % negative")
    assert hl.text(e, CTX).startswith("pts net positive: +47 — ")


def test_top_label_headline_is_the_latest_periods_top_topic():
    groups = [_group("2025-09", "topic", "login", 70.0, 70, tickets=70),
              _group("2025-10", "topic", "billing", 40.0, 40, tickets=40),
              _group("2025-10", "topic", "login", 35.0, 35, tickets=35),
              _group("2025-10", "topic", "(all)", 100.0, 100, tickets=100)]
    result = NS(kpi="topics", group_by=("period", "topic"), groups=groups)
    e = _entry("topics", "%", 100.0, result=result)
    # October: billing 40 tickets first, login 35; the "(all)" row and September are not counted
    assert tuple(hl.card(e, CTX)) == ("billing", "top topic", "October 2025: 40.0 % of tickets (40) · 2 topics", "")
    assert tuple(hl.row(e, REPORT)) == ("40.0", "% of tickets", "top topic: billing (40 tickets of 2 topics)", "")
    assert hl.text(e, CTX).startswith("top topic: billing — ")  # a label from the data never leads the cell


def test_top_theme_lift_headline():
    groups = [_group("2025-10", "theme", "price", 10.0, 80, lift=2.0, detractors_pct=10.0, promoters_pct=5.0),
              _group("2025-10", "theme", "waiting", 20.0, 80, lift=51.6, detractors_pct=27.6, promoters_pct=0.5)]
    result = NS(kpi="themes", group_by=("period", "theme"), groups=groups)
    e = _entry("themes", "% of comments", 91.0, result=result)
    assert tuple(hl.card(e, CTX)) == (
        "waiting", "top detractor theme",
        "October 2025: in 27.6 % of detractors' comments vs 0.5 % of promoters' (lift 51.6×) · "
        "all periods: 91 % of comments carry a theme", "")
    assert tuple(hl.row(e, REPORT)) == (
        "51.6×", "lift", "top detractor theme: waiting (in 27.6 % of detractors' comments, 0.5 % of promoters')", "")


def test_a_kpi_without_a_declared_headline_shows_its_value():
    e = _entry("csat", "%", 82.91)
    assert tuple(hl.card(e, CTX)) == ("82.91", "%", "", "")


def test_no_renderer_picks_a_headline_by_kpi_name():
    render = pathlib.Path(hl.__file__).parent
    for path in render.glob("*.py"):
        src = path.read_text(encoding="utf-8")
        assert not re.search(r"entry\.kpi\s*(==|in\b)", src), path.name
        assert "MEDIAN_HEADLINE" not in src, path.name
    assert "from .html import" not in (render / "dashboard.py").read_text(encoding="utf-8")


def test_the_headline_kind_is_declared_by_the_kpi():
    from cxkpi.registry import HEADLINE_KINDS, load_all

    registry = load_all()
    assert set(HEADLINE_KINDS) == set(hl.KINDS)
    declared = {name: spec.headline for name, spec in registry.items() if spec.headline}
    assert declared == {"frt": "median", "resolution": "median", "requester-wait": "median", "agent-wait": "median",
                        "volume": "created-resolved-backlog",
                        "sentiment": "net-positive", "topics": "top-label", "themes": "top-theme-lift"}
    assert registry["csat"].headline is None


def test_an_unknown_headline_kind_fails_at_declaration():
    import pytest

    from cxkpi.registry import kpi

    with pytest.raises(ValueError, match="headline 'mode' is not one of"):
        kpi(name="x-test", title="x", source="tickets", needs=(), unit="%", higher_is_better=True,
            formula="x", aggregate=lambda *a: None, headline="mode")


def test_kpis_json_lists_the_headline_kind(run_cli):
    import json

    code, out, _ = run_cli("kpis", "--format", "json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["frt"]["headline"] == "median" and rows["nps"]["headline"] is None

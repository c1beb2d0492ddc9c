"""Definitions as named options (#18 part 8): FCR one-touch (cxkpi) vs one-reply (dbt_zendesk's one-touch),
NPS interval wald vs adjusted-wald (docs/helpdesk.md, docs/surveys.md). Expected values worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxkpi.cli.app import main
from cxkpi.engine import compute


def five_tickets() -> pd.DataFrame:
    # ticket replies reopens | one-touch (≤ 1 reply and 0 reopens) | one-reply (exactly 1 reply, reopens ignored)
    #  A      1       0      | yes                                  | yes
    #  B      0       0      | yes (closed without a reply)         | no  (a solve with no reply)
    #  C      1       1      | no  (reopened)                       | yes
    #  D      2       0      | no                                   | no
    #  E      1       2      | no  (reopened)                       | yes
    # one-touch 2 / 5 = 40 %; one-reply 3 / 5 = 60 %
    out = pd.DataFrame({
        "ticket_id": list("ABCDE"),
        "created_at": pd.to_datetime(["2025-06-02 09:00"] * 5),
        "resolved_at": pd.to_datetime(["2025-06-03 10:00"] * 5),
        "agent_replies": [1, 0, 1, 2, 1],
        "reopens": [0, 0, 1, 0, 2],
    })
    out.index = pd.RangeIndex(2, 7)
    return out


def test_fcr_one_touch_is_todays_default():
    r = compute("fcr", five_tickets())
    assert (r.value, r.n) == (40, 5)
    assert r.breakdown == {"first_contact": 2, "resolved": 5, "open": 0}
    assert any("rule one-touch" in n for n in r.notes)


def test_fcr_one_reply_matches_dbt_zendesk():
    r = compute("fcr", five_tickets(), settings={"rule": "one-reply"})
    assert (r.value, r.n) == (60, 5)
    assert r.breakdown == {"first_contact": 3, "resolved": 5, "open": 0}
    assert any("rule one-reply" in n and "dbt_zendesk" in n for n in r.notes)


def test_fcr_one_reply_needs_no_reopens_column():
    # the same five tickets without reopens: one-reply still A, C, E -> 3 / 5; one-touch refuses (needs reopens)
    f = five_tickets().drop(columns=["reopens"])
    assert compute("fcr", f, settings={"rule": "one-reply"}).value == 60
    with pytest.raises(Exception, match="one-reply"):
        compute("fcr", f)


def test_fcr_one_reply_on_the_cli(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("ticket_id,created_at,resolved_at,agent_replies,reopens\n"
                   + "".join(f"{t},2025-06-02 09:00,2025-06-03 10:00,{a},{r}\n"
                             for t, a, r in zip("ABCDE", [1, 0, 1, 2, 1], [0, 0, 1, 0, 2])))
    with pytest.raises(SystemExit) as e:
        main(["fcr", str(csv), "--rule", "one-reply", "--format", "json"])
    out, _ = capsys.readouterr()
    assert e.value.code == 0
    import json
    assert json.loads(out)["value"] == 60


# ----------------------------------------------------------- NPS interval: wald vs adjusted-wald
# 6 promoters, 2 passives, 2 detractors (n = 10), z = 1.959964
# wald:          p = 0.6, d = 0.2, NPS = 0.4, var = 0.6 + 0.2 − 0.4² = 0.64, √(0.64 / 10) = 0.252982,
#                margin = 1.959964 × 0.252982 = 0.495836 -> 40 ± 49.5836 = (−9.5836, 89.5836)
# adjusted-wald: n' = 13, p' = 6.75 / 13 = 0.519231, d' = 2.75 / 13 = 0.211538, NPS' = 4 / 13 = 0.307692,
#                var = 0.730769 − 0.307692² = 0.730769 − 0.094675 = 0.636095, √(0.636095 / 13) = 0.221202,
#                margin = 1.959964 × 0.221202 = 0.433548 -> 30.7692 ± 43.3548 = (−12.5856, 74.1240)
SIX_TWO_TWO = [10, 9, 10, 9, 10, 9, 8, 7, 3, 6]


def test_nps_adjusted_wald_by_hand():
    from cxkpi.stats import nps_adjusted_wald_interval, nps_interval
    assert nps_interval(6, 2, 10) == pytest.approx((-9.5836, 89.5836), abs=1e-3)
    assert nps_interval(6, 2, 10, method="adjusted-wald") == pytest.approx((-12.5856, 74.1240), abs=1e-3)
    assert nps_adjusted_wald_interval(6, 2, 10) == pytest.approx((-12.5856, 74.1240), abs=1e-3)
    # no answers: no interval (the three pseudo-answers alone are not data)
    assert all(math.isnan(x) for x in nps_adjusted_wald_interval(0, 0, 0))
    # 5 promoters of 5: wald collapses to (100, 100); adjusted: n' = 8, p' = 5.75/8 = 0.71875, d' = 0.09375,
    # NPS' = 0.625, var = 0.8125 − 0.390625 = 0.421875, √(0.421875/8) = 0.229640, margin = 0.450082
    # -> (17.49, 107.51) clipped to 100
    assert nps_interval(5, 0, 5) == pytest.approx((100, 100))
    assert nps_interval(5, 0, 5, method="adjusted-wald") == pytest.approx((17.4918, 100), abs=1e-3)
    with pytest.raises(ValueError, match="adjusted-wald"):
        nps_interval(1, 1, 3, method="score")


def test_nps_kpi_interval_option_keeps_the_value_and_the_default():
    f = pd.DataFrame({"score": SIX_TWO_TWO})
    f.index = pd.RangeIndex(2, 12)
    default = compute("nps", f)
    adjusted = compute("nps", f, settings={"interval": "adjusted-wald"})
    assert default.value == adjusted.value == 40  # the headline is the observed NPS either way
    assert (default.interval.low, default.interval.high) == pytest.approx((-9.5836, 89.5836), abs=1e-3)
    assert (adjusted.interval.low, adjusted.interval.high) == pytest.approx((-12.5856, 74.1240), abs=1e-3)
    assert any("adjusted-wald" in n for n in adjusted.notes)


def test_nps_reducer_interval_option():
    import numpy as np

    from cxkpi.reduce import Nps
    sign = np.array([1, 1, 1, 1, 1, 1, 0, 0, -1, -1], dtype="float64")  # the same 6 / 2 / 2
    groups = np.zeros(10, dtype="int64")
    for r, want in ((Nps(), (-9.5836, 89.5836)), (Nps(interval="adjusted-wald"), (-12.5856, 74.1240))):
        out = r.finalize(r.partial(sign, groups, 1))
        assert (out["value"][0], out["low"][0], out["high"][0]) == pytest.approx((40, *want), abs=1e-3)

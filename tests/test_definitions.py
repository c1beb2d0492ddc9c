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

"""KPI statistics (cxkpi.reduce.statistic) aggregated from partial states, and streamed files.

Expected values are worked out by hand in the comments. A statistic must give the same numbers
whatever the batches: each test adds the rows in several splits and compares.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxkpi.notes import Counted, merge_notes
from cxkpi.partials import Partials
from cxkpi.reduce import statistic


def _frames(stat, values: pd.DataFrame, keys: list[str], settings: dict, splits=(None,)):
    """(total, groups) for each split of ``values`` into consecutive batches (None: one batch)."""
    out = []
    for split in splits:
        acc = Partials(stat, settings)
        bounds = [0, len(values)] if split is None else [0, *split, len(values)]
        for a, b in zip(bounds, bounds[1:]):
            part = values.iloc[a:b]
            for k in keys:  # each batch has its own categories, as a batch of a file does
                part = part.assign(**{k: part[k].astype(str).astype("category")})
            acc.add(SimpleNamespace(values=part, group_keys=keys))
        total, groups, _ = acc.frames(keys)
        out.append((total, groups))
    for total, groups in out[1:]:
        pd.testing.assert_frame_equal(total, out[0][0])
        if groups is not None:
            pd.testing.assert_frame_equal(groups, out[0][1])
    return out[0]


def test_durations_mean_median_p90_and_pending():
    # channel a: 10, 20, 60 min and one unanswered (no minutes); b: 5 min.
    values = pd.DataFrame({"minutes": [10.0, np.nan, 20.0, 5.0, 60.0],
                           "unanswered": [False, True, False, False, False],
                           "channel": ["a", "a", "a", "b", "a"]})
    total, groups = _frames(statistic.durations("unanswered"), values, ["channel"], {"stat": "median"},
                            splits=(None, [1], [2, 4], [1, 2, 3, 4]))
    a = groups.loc["a"]
    # a: n 3, mean 30, median 20; p90: rank 0.9 × (3 − 1) = 1.8 → 20 + 0.8 × (60 − 20) = 52
    assert (a["n"], a["mean"], a["median"], a["p90"], a["value"], a["unanswered"]) == (3, 30, 20, 52, 20, 1)
    assert groups.loc["b", "median"] == 5 and groups.loc["b", "unanswered"] == 0
    # total: 5, 10, 20, 60 → mean 23.75, median (10 + 20) / 2 = 15, p90 rank 2.7 → 20 + 0.7 × 40 = 48
    t = total.iloc[0]
    assert (t["n"], t["mean"], t["median"], t["value"], t["unanswered"]) == (4, 23.75, 15, 15, 1)
    assert t["p90"] == pytest.approx(48)
    assert list(total.columns) == ["n", "mean", "median", "p90", "value", "unanswered"]


def test_durations_in_hours_and_the_empty_total():
    values = pd.DataFrame({"minutes": [30.0, 90.0], "open": [False, False]})
    total, _ = _frames(statistic.durations("open"), values, [], {"unit": "h"})
    assert total.iloc[0]["mean"] == pytest.approx(1.0)  # (30 + 90) / 2 = 60 min = 1 h
    acc = Partials(statistic.durations("open"), {})
    acc.add(SimpleNamespace(values=values.iloc[:0], group_keys=[]))
    empty = acc.frames([])[0]
    # no measured row: value first, as a KPI shows an empty total, counts 0 (not NaN)
    assert list(empty.columns) == ["value", "n", "mean", "median", "p90", "open"]
    assert empty.iloc[0]["n"] == 0 and empty.iloc[0]["open"] == 0 and np.isnan(empty.iloc[0]["value"])


def test_resolved_share_with_open_tickets_and_wilson():
    # 4 resolved tickets, 3 in one contact; 2 open tickets (not in the denominator)
    values = pd.DataFrame({"first_contact": [True, True, False, True, np.nan, np.nan],
                           "open": [False, False, False, False, True, True],
                           "no_answer": [False] * 6, "team": ["x"] * 6})
    total, groups = _frames(statistic.resolved_share("first_contact", ("open", "no_answer")), values, ["team"],
                            {"rule": "one-touch"}, splits=(None, [3], [1, 5]))
    t = total.iloc[0]
    assert (t["value"], t["n"], t["first_contact"], t["resolved"], t["open"]) == (75.0, 4, 3, 4, 2)
    assert "no_answer" not in total.columns  # only the survey rule has answers
    # Wilson 95 %: p = 0.75, n = 4, z = 1.96: centre (0.75 + 0.4802) / 1.9604 = 0.6275,
    # half 1.96 × √(0.046875 + 0.060025) / 1.9604 = 0.3268 → 30.1 % … 95.4 %
    assert t["low"] == pytest.approx(30.06, abs=0.01) and t["high"] == pytest.approx(95.44, abs=0.01)


def test_share_and_mean_csat_and_the_three_point_happiness():
    # scores 5, 4, 2, 1 on 1–5: satisfied 2 of 4 = 50 %, mean 3
    values = pd.DataFrame({"score": [5.0, 4.0, 2.0, 1.0], "satisfied": [True, True, False, False]})
    total, _ = _frames(statistic.share_and_mean("satisfied", "share", bottom="unhappy"), values, [], {},
                       splits=(None, [1], [2, 3]))
    t = total.iloc[0]
    assert (t["value"], t["n"], t["satisfied"], t["mean"]) == (50.0, 4, 2, 3.0)
    assert "unhappy" not in total.columns
    # a 1–3 scale: 3, 3, 2, 1 → top 2 of 4 (50 %), bottom 1 of 4 (25 %), happiness 25
    three = pd.DataFrame({"score": [3.0, 3.0, 2.0, 1.0], "satisfied": [True, True, False, False],
                          "unhappy": [False, False, False, True]})
    t = _frames(statistic.share_and_mean("satisfied", "share", bottom="unhappy"), three, [], {})[0].iloc[0]
    assert (t["satisfied_pct"], t["unhappy"], t["unhappy_pct"], t["happiness"]) == (50.0, 1, 25.0, 25.0)


def test_ces_mean_and_its_interval():
    # scores 7, 5, 6: mean 6, sample std 1 → 6 ± 1.96 / √3 = 6 ± 1.1316
    values = pd.DataFrame({"score": [7.0, 5.0, 6.0], "easy": [True, True, True]})
    t = _frames(statistic.share_and_mean("easy", "mean"), values, [], {}, splits=(None, [1], [2]))[0].iloc[0]
    assert t["value"] == pytest.approx(6.0)
    assert t["low"] == pytest.approx(6 - 1.96 / 3 ** 0.5, abs=1e-3)


def test_nps_counts_and_value():
    # 3 promoters, 1 passive, 1 detractor of 5: 60 % − 20 % = 40
    values = pd.DataFrame({"promoter": [True, True, True, False, False],
                           "detractor": [False, False, False, False, True], "channel": list("aabab")})
    total, groups = _frames(statistic.net_promoter(), values, ["channel"], {}, splits=(None, [2], [1, 3]))
    t = total.iloc[0]
    assert (t["value"], t["n"], t["promoters"], t["passives"], t["detractors"]) == (40.0, 5, 3, 1, 1)
    # a: rows 0, 1, 3 → 2 promoters, 1 passive: 66.7; b: rows 2, 4 → 1 promoter, 1 detractor: 0
    assert groups.loc["a", "value"] == pytest.approx(200 / 3) and groups.loc["b", "value"] == 0


def test_groups_are_sorted_as_pandas_sorts_them_whatever_the_batches_saw_first():
    values = pd.DataFrame({"minutes": [1.0, 2.0, 3.0, 4.0], "open": [False] * 4,
                           "team": ["zeta", "alpha", "mid", "alpha"]})
    _, groups = _frames(statistic.durations("open"), values, ["team"], {}, splits=(None, [1], [1, 2]))
    assert list(groups.index) == ["alpha", "mid", "zeta"]
    assert groups.loc["alpha", "mean"] == 3.0  # (2 + 4) / 2


def test_counted_notes_add_up_and_keep_the_order_of_one_read():
    def open_(n):
        return Counted("{n} open {tickets} not in the denominator", n, tickets=("ticket", "tickets"))

    # batch 1 has no open ticket, batch 2 has one, batch 3 two: the note sits before the rule,
    # where one read of the whole file says it
    notes = merge_notes([], ["rule one-touch"])
    notes = merge_notes(notes, [open_(1), "rule one-touch"])
    notes = merge_notes(notes, [open_(2), "rule one-touch"])
    assert notes == ["3 open tickets not in the denominator", "rule one-touch"]
    assert merge_notes([], [open_(1)]) == ["1 open ticket not in the denominator"]


# --------------------------------------------------------------------------- streamed files

def _tickets(path, n: int, bad: dict[int, str] | None = None) -> None:
    lines = ["ticket_id,created_at,first_response_at,channel"]
    for i in range(n):
        first = (bad or {}).get(i, f"2025-03-01 09:{i % 60:02d}:00")
        lines.append(f"T{i},2025-03-01 09:00:00,{first},{'email' if i % 2 else 'chat'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_streamed_file_is_never_read_whole(tmp_path, run_cli, monkeypatch):
    import cxkpi.io.load as load

    _tickets(tmp_path / "t.csv", 600)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")  # ~50 rows a batch: 12 batches
    monkeypatch.setattr(load, "_concat", lambda *a: pytest.fail("the rows were joined: not streamed"))
    code, out, err = run_cli("frt", tmp_path / "t.csv", "--by", "channel", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    # minutes i % 60: 0..59 ten times = 10 × 1770 = 17700 over 600 rows = 29.5
    assert data["n"] == 600 and data["value"] == pytest.approx(29.5)
    chat = next(g for g in data["groups"] if g["key"] == {"channel": "chat"})
    # chat = even i: minutes 0, 2, …, 58 ten times: mean 29
    assert chat["n"] == 300 and chat["value"] == pytest.approx(29.0)


def test_strict_on_a_streamed_file_names_the_first_bad_row_of_the_file(tmp_path, run_cli, monkeypatch):
    # two unreadable times in different batches (~50 rows each): file rows 102 and 502 (header = row 1)
    _tickets(tmp_path / "t.csv", 600, bad={100: "not a time", 500: "nor this"})
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    code, _, err = run_cli("frt", tmp_path / "t.csv", "--strict")
    assert code != 0
    assert "row 102" in err and "2 unusable rows in all" in err


def test_max_groups_on_a_streamed_file_counts_every_batch(tmp_path, run_cli, monkeypatch):
    # 600 tickets, 600 distinct ids: --by ticket_id makes 600 groups, over --max-groups 100, though no
    # batch of ~50 rows alone is
    _tickets(tmp_path / "t.csv", 600)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    code, _, err = run_cli("frt", tmp_path / "t.csv", "--by", "ticket_id", "--max-groups", "100")
    assert code != 0
    assert "600 groups" in err and "--max-groups" in err


def _surveys(path, answers: list[str]) -> None:
    lines = ["responded_at,score,channel"]
    lines += [f"2025-03-01 09:00:00,{a},{'email' if i % 2 else 'chat'}" for i, a in enumerate(answers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _batched_and_whole(run_cli, monkeypatch, *args) -> tuple[dict, dict]:
    monkeypatch.delenv("CXKPI_BATCH_BYTES", raising=False)
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    whole = json.loads(out)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "1024")  # ~30 rows a batch
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out), whole


def test_csat_decides_yes_no_from_the_whole_column_not_one_batch(tmp_path, run_cli, monkeypatch):
    # 600 answers: 1/0 in the first 300 rows, yes/no after. The whole column is yes/no (1 = yes), so
    # yes = i % 3 != 0: 400 of 600 = 66.7 %. A batch of 1s and 0s alone would read them on 1–5 (0
    # outside the scale, 1 not satisfied).
    answers = [("1" if i % 3 else "0") if i < 300 else ("yes" if i % 3 else "no") for i in range(600)]
    _surveys(tmp_path / "s.csv", answers)
    batched, whole = _batched_and_whole(run_cli, monkeypatch, "csat", tmp_path / "s.csv")
    assert batched == whole
    assert batched["n"] == 600 and batched["value"] == pytest.approx(400 / 6)
    assert "yes/no answers: yes = satisfied" in batched["notes"]


def test_nps_sorted_by_score_is_not_refused_for_a_batch_of_1_to_5(tmp_path, run_cli, monkeypatch):
    # a 0–10 survey exported sorted by score: i × 11 // 600 for i = 0..599. Many batches hold only 1–5
    # answers, which NPS refuses as a CSAT survey; the whole column is 0–10. Promoters: score ≥ 9 ⇔
    # i ≥ 491 (491 × 11 = 5401 ≥ 5400): 109; detractors: score ≤ 6 ⇔ i × 11 < 4200 ⇔ i ≤ 381: 382.
    # NPS = 100 × (109 − 382) / 600 = −45.5
    _surveys(tmp_path / "s.csv", [str(i * 11 // 600) for i in range(600)])
    batched, whole = _batched_and_whole(run_cli, monkeypatch, "nps", tmp_path / "s.csv")
    assert batched == whole
    assert batched["value"] == pytest.approx(-45.5)


def test_quantile_states_of_disjoint_groups_merge_as_one_read():
    # two files, one per month: groups 0 and 1 in the first, group 2 in the second (no group in both,
    # the fast path). Group 0: 5, 1, 3 → median 3; group 1: 4, 4 → 4; group 2: 9, 7 → (7 + 9) / 2 = 8
    from cxkpi.reduce import Quantiles

    q = Quantiles((0.5,))
    a = q.partial(np.array([5.0, 4.0, 1.0, 3.0, 4.0]), np.array([0, 1, 0, 0, 1]), 3)
    b = q.partial(np.array([9.0, 7.0]), np.array([2, 2]), 3)
    merged = q.finalize(q.merge_many([b, a]))
    assert list(merged["median"]) == [3.0, 4.0, 8.0] and list(merged["n"]) == [3, 2, 2]
    one = q.finalize(q.partial(np.array([5.0, 4.0, 1.0, 3.0, 4.0, 9.0, 7.0]), np.array([0, 1, 0, 0, 1, 2, 2]), 3))
    assert list(one["median"]) == list(merged["median"])


def test_a_streamed_report_leaves_out_a_kpi_whose_columns_the_file_lacks(tmp_path, run_cli, monkeypatch):
    # the file has no resolved_at: resolution is not computed (as without streaming), frt still is
    _tickets(tmp_path / "t.csv", 600)
    (tmp_path / "c.yaml").write_text(f"sources:\n  tickets:\n    file: {tmp_path / 't.csv'}\n", encoding="utf-8")
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    code, out, err = run_cli("report", "-c", tmp_path / "c.yaml", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    frt = next(k for k in data["kpis"] if k["kpi"] == "frt")
    assert frt["n"] == 600 and frt["value"] == pytest.approx(29.5)  # as in the frt test above
    assert "resolution" in data["not_computed"]


def test_a_streamed_file_missing_a_column_lists_its_headers(tmp_path, run_cli, monkeypatch):
    _tickets(tmp_path / "t.csv", 600)
    monkeypatch.setenv("CXKPI_BATCH_BYTES", "2048")
    code, _, err = run_cli("resolution", tmp_path / "t.csv")
    assert code != 0
    assert "the file has: 'ticket_id', 'created_at', 'first_response_at', 'channel'" in err

"""SLA against each ticket's own due date (first_response_due_at, due_at): expected values worked out by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cxkpi.engine import compute
from cxkpi.errors import MissingColumnsError

from .conftest import cli as run_cli

MON, TUE, WED = "2025-06-02", "2025-06-03", "2025-06-04"
AS_OF = f"{TUE} 12:00"


def frame(**cols) -> pd.DataFrame:
    """Columns ending in _at become naive datetimes; the index is the spreadsheet row number (2, 3, ...)."""
    out = pd.DataFrame({k: (pd.to_datetime(pd.Series(v, dtype=object)) if k.endswith("_at") else v)
                        for k, v in cols.items()})
    out.index = pd.RangeIndex(2, 2 + len(out))
    return out




def five_tickets() -> pd.DataFrame:
    # judged as of Tue 12:00; resolution target 1d (1440 min) for rows without a due date
    # id  created     resolved       due_at        | judged by | state
    # D1  Mon 09:00   Mon 15:00      Mon 17:00     | due date  | met (15:00 <= 17:00)
    # D2  Mon 09:00   Tue 10:00      Tue 10:00     | due date  | met (at the due instant counts as met)
    # D3  Mon 09:00   Tue 11:00      Mon 18:00     | due date  | breached, 17 h = 1020 min late
    # D4  Tue 08:00   -              Wed 08:00     | due date  | pending (due after Tue 12:00)
    # D5  Mon 09:00   Tue 08:00      -             | target    | met (1380 <= 1440)
    return frame(
        ticket_id=["D1", "D2", "D3", "D4", "D5"],
        created_at=[f"{MON} 09:00", f"{MON} 09:00", f"{MON} 09:00", f"{TUE} 08:00", f"{MON} 09:00"],
        resolved_at=[f"{MON} 15:00", f"{TUE} 10:00", f"{TUE} 11:00", None, f"{TUE} 08:00"],
        due_at=[f"{MON} 17:00", f"{TUE} 10:00", f"{MON} 18:00", f"{WED} 08:00", None],
    )


def test_five_tickets_due_date_and_target():
    r = compute("sla", five_tickets(), settings={"resolution_target": 1440.0, "as_of": AS_OF})
    b = r.breakdown
    # met D1, D2, D5 = 3; breached D3 = 1; pending D4 (not in the denominator) -> 3 / (3 + 1) = 75 %
    assert (r.value, r.n) == (75, 4)
    assert (b["met"], b["breached"], b["pending"]) == (3, 1, 1)
    # judged by a due date: D1-D4 = 4; by the target: D5 = 1
    assert (b["by_due_date"], b["by_target"]) == (4, 1)
    assert b["resolution_met_pct"] == 75 and b["resolution_breached"] == 1
    assert any("pending tickets are not in the denominator" in n for n in r.notes)
    assert any("4 tickets judged by their own due date, 1 ticket by the targets" in n for n in r.notes)
    (worst,) = r.extra["offenders"]
    # D3: resolved Tue 11:00, due Mon 18:00 -> 17 h = 1020 min over; resolution took Mon 09:00 -> Tue 11:00 = 1560
    assert (worst["ticket_id"], worst["state"], worst["over_by_minutes"], worst["minutes"]) == ("D3", "resolved",
                                                                                               1020, 1560)
    assert worst["due_at"] == f"{MON} 18:00:00" and worst["target_minutes"] is None


def test_open_ticket_past_its_due_date_is_breached():
    # D6: created Mon 09:00, still open, due Tue 09:00; as of Tue 12:00 it is 180 min overdue -> breached
    f = frame(ticket_id=["D6"], created_at=[f"{MON} 09:00"], resolved_at=[None], due_at=[f"{TUE} 09:00"])
    r = compute("sla", f, settings={"as_of": AS_OF})
    assert (r.value, r.n, r.breakdown["breached"], r.breakdown["pending"]) == (0, 1, 1, 0)
    (o,) = r.extra["offenders"]
    assert (o["state"], o["over_by_minutes"]) == ("open", 180)
    # judged at Tue 08:00 instead it is still pending: no value, n = 0
    early = compute("sla", f, settings={"as_of": f"{TUE} 08:00"})
    assert early.n == 0 and early.value is None and early.breakdown["pending"] == 1


def test_default_as_of_is_the_latest_event_not_a_due_date():
    # no --as-of: "now" = the latest created/resolved timestamp = Tue 11:00 (D3's resolution); the future
    # due date Wed 08:00 does not count. D4 (due Wed 08:00) stays pending, same totals as with Tue 12:00
    r = compute("sla", five_tickets(), settings={"resolution_target": 1440.0})
    assert (r.breakdown["met"], r.breakdown["breached"], r.breakdown["pending"]) == (3, 1, 1)
    assert any("judged as of 2025-06-03 11:00:00" in n for n in r.notes)


def test_first_response_due_and_a_solve_without_reply():
    # F1: replied Mon 09:30, due Mon 10:00           -> frt met
    # F2: replied Mon 11:00, due Mon 10:00           -> frt breached, 60 min over
    # F3: no reply, solved Mon 09:45, due Mon 10:00  -> the solve counts as the reply: met
    f = frame(ticket_id=["F1", "F2", "F3"], created_at=[f"{MON} 09:00"] * 3,
              first_response_at=[f"{MON} 09:30", f"{MON} 11:00", None],
              resolved_at=[None, None, f"{MON} 09:45"],
              first_response_due_at=[f"{MON} 10:00"] * 3)
    r = compute("sla", f, settings={"as_of": AS_OF})
    # frt only (no due_at, no resolution target): met F1, F3; breached F2 -> 2 / 3
    assert r.value == pytest.approx(200 / 3) and r.breakdown["frt_breached"] == 1
    assert r.extra["offenders"][0]["over_by_minutes"] == 60


def test_due_date_without_time_is_due_by_end_of_day():
    # every due value at midnight: a date only, due by the end of that day (met before Tue 00:00)
    # E1 resolved Mon 15:00, due Mon -> met; E2 resolved Tue 00:30, due Mon -> breached 30 min
    f = frame(ticket_id=["E1", "E2"], created_at=[f"{MON} 09:00"] * 2,
              resolved_at=[f"{MON} 15:00", f"{TUE} 00:30"], due_at=[MON, MON])
    r = compute("sla", f, settings={"as_of": AS_OF})
    assert (r.value, r.extra["offenders"][0]["over_by_minutes"]) == (50, 30)
    assert any("due by the end of that day" in n for n in r.notes)


def test_row_without_due_date_or_target_is_skipped_with_reason():
    r = compute("sla", five_tickets(), settings={"as_of": AS_OF})
    # no resolution target: D5 has nothing to be judged by; D1-D4 as before -> met 2, breached 1 -> 66.7 %
    assert r.skipped.counts == {"no due date and no SLA target": 1}
    assert r.value == pytest.approx(200 / 3)


def test_due_date_needs_the_event_column():
    f = frame(created_at=[f"{MON} 09:00"], due_at=[f"{TUE} 09:00"], first_response_at=[f"{MON} 09:10"])
    with pytest.raises(MissingColumnsError, match="due_at needs 'resolved_at'"):
        compute("sla", f, settings={"frt_target": 60.0, "as_of": AS_OF})


def test_cli_reads_freshdesk_style_due_headers(tmp_path, capsys):
    # the five tickets under export headers: "Due by Time" is due_at by synonym
    csv = tmp_path / "tickets.csv"
    csv.write_text("Ticket ID,Created At,Resolved At,Due by Time\n"
                   f"D1,{MON} 09:00,{MON} 15:00,{MON} 17:00\n"
                   f"D2,{MON} 09:00,{TUE} 10:00,{TUE} 10:00\n"
                   f"D3,{MON} 09:00,{TUE} 11:00,{MON} 18:00\n"
                   f"D4,{TUE} 08:00,,{WED} 08:00\n"
                   f"D5,{MON} 09:00,{TUE} 08:00,\n")
    code, out, _ = run_cli(["sla", str(csv), "--resolution-target", "1d", "--as-of", AS_OF, "-f", "json", "-q"],
                           capsys)
    assert code == 0
    d = json.loads(out)
    assert d["value"] == 75 and d["breakdown"]["by_due_date"] == 4 and d["breakdown"]["by_target"] == 1
    assert d["breakdown"]["pending"] == 1

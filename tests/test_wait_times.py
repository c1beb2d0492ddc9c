"""requester-wait / agent-wait: from the export's minutes and from a status history; every value by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A 3-ticket status history, rows deliberately out of order (the KPI sorts by ticket, then time).
# ticket 1: new 09:00 → pending 09:30 → open 11:30 → solved 12:00
#           requester wait = new 30 + open 30 = 60 min; agent wait = pending 120 min
# ticket 2: new 10:00 → open 10:10 → hold 10:40 → open 12:40 → pending 13:00 → solved 14:00 → closed 15:00
#           requester wait = 10 + 30 + 120 + 20 = 180 min; agent wait = pending 13:00–14:00 = 60 min
# ticket 3: new 13:00 → open 13:30 → pending 14:00, still pending: the last status runs to the latest
#           changed_at in the data (ticket 2's 15:00)
#           requester wait = 30 + 30 = 60 min; agent wait = 14:00–15:00 = 60 min
LOG = """ticket_id,status,changed_at,team
2,pending,2025-05-05 13:00,Tech
1,new,2025-05-05 09:00,Billing
1,pending,2025-05-05 09:30,Billing
3,new,2025-05-05 13:00,Billing
2,new,2025-05-05 10:00,Tech
2,open,2025-05-05 10:10,Tech
1,open,2025-05-05 11:30,Billing
2,hold,2025-05-05 10:40,Tech
2,open,2025-05-05 12:40,Tech
3,open,2025-05-05 13:30,Billing
1,solved,2025-05-05 12:00,Billing
2,solved,2025-05-05 14:00,Tech
3,pending,2025-05-05 14:00,Billing
2,closed,2025-05-05 15:00,Tech
"""


def result(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "-f", "json", "-q")
    assert code == 0, err
    return json.loads(out)


def test_three_ticket_history_by_hand(run_cli, write):
    path = write("events.csv", LOG)
    r = result(run_cli, "requester-wait", path)
    assert r["source"] == "ticket_events"
    # requester: 60, 180, 60 → mean 300 / 3 = 100, median 60, p90 = 60 + 0.8 × (180 − 60) = 156
    assert (r["value"], r["n"], r["rows"]) == (100.0, 3, 14)  # n counts tickets, rows status changes
    assert r["breakdown"] == {"mean": 100.0, "median": 60.0, "p90": pytest.approx(156.0), "open": 1}
    a = result(run_cli, "agent-wait", path)
    # agent: 120, 60, 60 → mean 240 / 3 = 80, median 60
    assert (a["value"], a["n"], a["breakdown"]["median"], a["breakdown"]["open"]) == (80.0, 3, 60.0, 1)
    assert any("until 2025-05-05 15:00:00 (the latest changed_at" in n for n in a["notes"])
    assert any("1 open ticket" in n for n in a["notes"])
    # read in a zone (tz-aware timestamps): the same spells, the same minutes (no DST change on 5 May)
    assert result(run_cli, "requester-wait", path, "--timezone", "Europe/Berlin")["value"] == 100.0


def test_as_of_stretches_the_running_spell_and_hides_later_changes(run_cli, write):
    path = write("events.csv", LOG)
    # ticket 3's pending runs to 16:00: 14:00–16:00 = 120; agent: 120, 60, 120 → mean 300 / 3 = 100
    assert result(run_cli, "agent-wait", path, "--as-of", "2025-05-05 16:00")["value"] == 100.0
    # as of 12:00: ticket 3 does not exist yet; ticket 2 is on hold (10:40–12:00 = 80), ticket 1 solved
    # requester: ticket 1 = 60, ticket 2 = 10 + 30 + 80 = 120 → mean 90; the 7 later changes (ticket 2's
    # last 4, ticket 3's 3) are not counted, not skipped either: rows = 14 − 7 = 7
    r = result(run_cli, "requester-wait", path, "--as-of", "2025-05-05 12:00")
    assert (r["value"], r["n"], r["rows"], r["skipped"]["total"]) == (90.0, 2, 7, 0)
    assert any("7 status changes after --as-of" in n for n in r["notes"])


def test_stat_unit_and_by_team(run_cli, write):
    path = write("events.csv", LOG)
    # requester median 60 min = 1 h
    r = result(run_cli, "requester-wait", path, "--stat", "median", "--unit", "h", "--by", "team")
    assert (r["value"], r["unit"]) == (1.0, "h")
    groups = {g["key"]["team"]: (g["value"], g["n"]) for g in r["groups"]}
    # Billing: tickets 1 and 3 (60, 60) → median 1 h; Tech: ticket 2 (180) → 3 h
    assert groups == {"Billing": (1.0, 2), "Tech": (3.0, 1)}


def test_configurable_statuses(run_cli, write):
    path = write("events.csv", LOG)
    # on-hold is not the team's fault here: requester = new + open only
    # ticket 1: 30 + 30 = 60; ticket 2: 10 + 30 + 20 = 60; ticket 3: 30 + 30 = 60 → 60
    r = result(run_cli, "requester-wait", path, "--statuses", "New, OPEN")
    assert r["value"] == 60.0
    assert any("not counted: closed, hold, pending, solved" in n for n in r["notes"])


def test_a_ticket_is_placed_in_time_whole(run_cli, write):
    # ticket 1 opens on Mon 5 May and waits into Tue; ticket 2 opens on Tue
    # ticket 1: new 23:00 → open 5 May 23:30 → solved 6 May 01:30: requester = 30 + 120 = 150
    # ticket 2: new 6 May 09:00 → solved 09:45: requester = 45
    path = write("events.csv", "ticket_id,status,changed_at\n"
                 "1,new,2025-05-05 23:00\n1,open,2025-05-05 23:30\n1,solved,2025-05-06 01:30\n"
                 "2,new,2025-05-06 09:00\n2,solved,2025-05-06 09:45\n")
    r = result(run_cli, "requester-wait", path, "--period", "day")
    assert {g["key"]["period"]: g["value"] for g in r["groups"]} == {"2025-05-05": 150.0, "2025-05-06": 45.0}
    # --since 6 May: ticket 1 began before it, so it is left out whole (not cut at midnight into 90 min)
    since = result(run_cli, "requester-wait", path, "--since", "2025-05-06")
    assert (since["value"], since["n"]) == (45.0, 1)


def test_business_hours_count_each_spell_in_open_time(run_cli, write):
    # pending from Fri 9 May 16:00 to Mon 12 May 10:00; Mon-Fri 09:00-17:00 counts
    # Fri 16:00–17:00 = 60 + Mon 09:00–10:00 = 60 → 120 min (calendar: 66 h = 3960 min)
    path = write("events.csv", "ticket_id,status,changed_at\n"
                 "7,new,2025-05-09 15:00\n7,pending,2025-05-09 16:00\n7,solved,2025-05-12 10:00\n")
    assert result(run_cli, "agent-wait", path)["value"] == 3960.0
    business = result(run_cli, "agent-wait", path, "--business-hours", "Mon-Fri 09:00-17:00")
    assert business["value"] == 120.0


def test_skipped_rows_are_counted_with_reasons(run_cli, write):
    # ticket 4 has a change without a time: its spells cannot be told, so all 3 of its rows are skipped
    # ticket 5 has an unreadable time (row 6): its spells cannot be told either, so row 6 is skipped as
    # unreadable and row 5 with it (else its "new" would run on to the latest change, 60 min, a made-up wait)
    # ticket 6 is fine: new 09:00 → open 09:20 → solved 10:00: requester = 20 + 40 = 60
    # a row without a ticket_id is skipped on its own
    path = write("events.csv", "ticket_id,status,changed_at\n"
                 "4,new,2025-05-05 09:00\n4,open,\n4,solved,2025-05-05 10:00\n"
                 "5,new,2025-05-05 09:00\n5,open,not a time\n"
                 "6,new,2025-05-05 09:00\n6,open,2025-05-05 09:20\n6,solved,2025-05-05 10:00\n"
                 ",open,2025-05-05 09:00\n")
    code, out, err = run_cli("requester-wait", path, "-f", "json", "-q")
    assert code == 0, err
    r = json.loads(out)
    reasons = {k: v["rows"] for k, v in r["skipped"]["reasons"].items()}
    assert reasons == {
        "no changed_at": [3],
        "another status change of this ticket has no changed_at or no status": [2, 4],
        "changed_at: unreadable value": [6],
        "another row of this ticket_id has an unreadable value": [5],
        "no ticket_id": [10],
    }
    assert r["skipped"]["total"] == 6
    assert (r["rows"], r["n"]) == (9, 1)  # 9 rows = 6 skipped + ticket 6's 3 changes
    assert any("status history rows 5, 6 not used" in n and "skipped whole" in n for n in r["notes"])
    # ticket 6 alone: 60; the latest changed_at is still 10:00 (ticket 4's and 6's), no ticket is open
    assert (r["value"], r["breakdown"]["open"]) == (60.0, 0)
    code, _, err = run_cli("requester-wait", path, "--strict")
    assert code != 0 and "--strict" in err


ZENDESK = ("Id,Requester,Assignee,Group,Via,Created at,Updated at,Solved at,Satisfaction Score,"
           "First reply time in minutes,Full resolution time in minutes,Replies,Reopens,"
           "Agent wait time in minutes,Requester wait time in minutes,"
           "Agent wait time in minutes within business hours,Requester wait time in minutes within business hours\n")


def test_export_minutes_columns_zendesk(run_cli, write):
    path = write("zendesk.csv", ZENDESK +
                 # id  created            solved             agent wait  requester wait  (business: agent, requester)
                 "1,a,x,Billing,email,2025-05-05 09:00,2025-05-05 12:00,2025-05-05 12:00,Good,30,180,1,0,120,60,100,50\n"
                 "2,b,y,Tech,web,2025-05-05 10:00,2025-05-06 09:00,2025-05-06 09:00,Bad,15,1380,2,0,1140,240,480,200\n"
                 "3,c,y,Tech,web,2025-05-06 08:00,2025-05-06 08:00,,Offered,,,0,0,,,,\n"
                 "4,d,x,Billing,email,2025-05-06 08:00,2025-05-06 08:00,,Offered,,,0,0,-5,30,,\n")
    r = result(run_cli, "requester-wait", path)
    # requester: 60, 240, 30 (ticket 3 empty: not recorded yet) → mean 330 / 3 = 110, median 60
    assert (r["source"], r["value"], r["n"], r["breakdown"]["median"], r["breakdown"]["empty"]) == \
        ("tickets", 110.0, 3, 60.0, 1)
    a = result(run_cli, "agent-wait", path)
    # agent: 120, 1140; ticket 3 empty, ticket 4's −5 skipped → mean 1260 / 2 = 630
    assert (a["value"], a["n"], a["breakdown"]["empty"]) == (630.0, 2, 1)
    assert a["skipped"]["reasons"] == {"negative agent_wait_minutes": {"count": 1, "rows": [5]}}
    # --business-hours export reads Zendesk's "… within business hours" twins: 50, 200 → 125
    b = result(run_cli, "requester-wait", path, "--business-hours", "export")
    assert (b["value"], b["n"]) == (125.0, 2)
    assert any("business time as the export computed it" in n for n in b["notes"])
    # --period day places a ticket by created_at: 5 May: 60, 240 → 150; 6 May: ticket 4's 30
    p = result(run_cli, "requester-wait", path, "--period", "day")
    assert {g["key"]["period"]: g["value"] for g in p["groups"]} == {"2025-05-05": 150.0, "2025-05-06": 30.0}


def test_config_columns_map_a_status_history(run_cli, write, tmp_path):
    # Freshdesk-style words and headers; agent wait = "Pending" + "Waiting on Customer"
    # ticket 9: Open 09:00 → Waiting on Customer 09:15 → Pending 10:15 → Open 10:45 → Resolved 11:00
    #           agent wait = 60 + 30 = 90 min
    write("activities.csv", "Ticket,New Status,Changed On\n"
          "9,Open,2025-05-05 09:00\n9,Waiting on Customer,2025-05-05 09:15\n9,Pending,2025-05-05 10:15\n"
          "9,Open,2025-05-05 10:45\n9,Resolved,2025-05-05 11:00\n")
    cfg = write("cxkpi.yaml", """
sources:
  ticket_events:
    file: activities.csv
    columns: {ticket_id: Ticket, status: New Status, changed_at: Changed On}
kpis:
  agent-wait: {source: ticket_events, statuses: "pending, waiting on customer"}
""")
    r = result(run_cli, "agent-wait", "-c", cfg)
    assert (r["value"], r["n"], r["breakdown"]["open"]) == (90.0, 1, 0)


def test_errors_are_one_line(run_cli, write):
    path = write("events.csv", LOG)
    code, out, err = run_cli("agent-wait", path, "--business-hours", "export")
    assert code == 2 and out == ""
    assert "a status history (ticket_events) has no business-time column" in err and err.count("\n") == 1
    other = write("other.csv", "ticket_id,status\n1,open\n")
    code, _, err = run_cli("requester-wait", other)
    assert code != 0 and "requester_wait_minutes" in err and "changed_at" in err


def test_sample_data_as_docs_helpdesk_shows_it(run_cli):
    # sample_data/ticket_events.csv, latest change 3 June 17:00 (ticket 1004 closed)
    # 1001: new 30 + open 30 = 60 | pending 09:30–11:30 = 120
    # 1002: new 15 + open 45 + hold 120 + open 60 = 240 | pending 5 May 14:00 – 6 May 09:00 = 1140
    # 1003: new 45 + open 75 + open 14:00–17:00 (still open) 180 = 300 | pending 10:00–14:00 = 240
    # 1004: new 30 + open 60 = 90 | 0
    # requester: mean 690 / 4 = 172.5, median (90 + 240) / 2 = 165
    # agent: mean 1500 / 4 = 375, median (120 + 240) / 2 = 180
    sample = ROOT / "sample_data" / "ticket_events.csv"
    r = result(run_cli, "requester-wait", sample)
    assert (r["value"], r["breakdown"]["median"], r["n"], r["breakdown"]["open"]) == (172.5, 165.0, 4, 1)
    a = result(run_cli, "agent-wait", sample)
    assert (a["value"], a["breakdown"]["median"]) == (375.0, 180.0)


def test_each_change_takes_its_rows_schedule(run_cli, write):
    # business_hours.schedule_by: team — Billing open 10:00-12:00, others the default 09:00-17:00
    # sample_data/ticket_events.csv, pending spells:
    # Billing 1001: Mon 5 May 09:30–11:30 → 10:00–11:30 = 90; 1003: Tue 3 Jun 10:00–14:00 → 10:00–12:00 = 120
    #   → mean 105
    # Tech 1002: Mon 5 May 14:00 – Tue 09:00 → Mon 14:00–17:00 = 180; 1004: no pending = 0 → mean 90
    cfg = write("cxkpi.yaml", f"""
sources:
  ticket_events: {{file: {ROOT / "sample_data" / "ticket_events.csv"}}}
business_hours:
  schedule: "Mon-Fri 09:00-17:00"
  schedule_by: team
  schedules:
    Billing: {{hours: "Mon-Fri 10:00-12:00"}}
""")
    r = result(run_cli, "agent-wait", "-c", cfg, "--source", "ticket_events", "--by", "team")
    assert {g["key"]["team"]: g["value"] for g in r["groups"]} == {"Billing": 105.0, "Tech": 90.0}


def test_time_selection_needs_a_time(run_cli, write):
    # minutes alone: 60 and 30 → mean 45; a --since on tickets that have no created_at is refused,
    # not answered with n = 0
    path = write("minutes.csv", "ticket_id,requester_wait_minutes\n1,60\n2,30\n")
    assert result(run_cli, "requester-wait", path)["value"] == 45.0
    code, out, err = run_cli("requester-wait", path, "--since", "2025-01-01")
    assert code == 2 and out == "" and "map it with --map created_at=HEADER" in err and err.count("\n") == 1


def test_where_on_a_history_is_flagged(run_cli, write):
    # --where status=open drops the other changes: the spells would run across them, and a note says so
    path = write("events.csv", LOG)
    r = result(run_cli, "requester-wait", path, "--where", "status=open")
    assert any("not used (skipped, or left out by --where)" in n for n in r["notes"])


def test_an_unreadable_change_skips_its_ticket_among_interleaved_ones(run_cli, write):
    # tickets 7 and 8 interleaved; 7's pending change (row 4) cannot be read, so 7 is skipped whole:
    # counted from its readable rows it would be new 09:00–10:00 = 60 (requester) and 0 agent wait,
    # where the truth is unknown. ticket 8: new 09:10 → pending 09:40 → solved 10:40:
    # requester 30, agent 60
    path = write("events.csv", "ticket_id,status,changed_at\n"
                 "7,new,2025-05-05 09:00\n8,new,2025-05-05 09:10\n7,pending,31/31/2025\n"
                 "8,pending,2025-05-05 09:40\n7,solved,2025-05-05 10:00\n8,solved,2025-05-05 10:40\n")
    r = result(run_cli, "requester-wait", path)
    assert (r["value"], r["n"], r["rows"]) == (30.0, 1, 6)
    reasons = {k: v["rows"] for k, v in r["skipped"]["reasons"].items()}
    assert reasons == {"changed_at: unreadable value": [4],
                       "another row of this ticket_id has an unreadable value": [2, 6]}
    assert result(run_cli, "agent-wait", path)["value"] == 60.0
    # --strict names the unreadable cell's row (4), not the first row skipped with it (2)
    code, _, err = run_cli("requester-wait", path, "--strict")
    assert code != 0 and "row 4: changed_at: unreadable value (--strict; 3 unusable rows in all)" in err

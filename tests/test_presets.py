"""Presets: real tools' exports read with no config, detection, and the messy values they carry.

The fixtures in tests/fixtures/exports/ are written by scripts/make_export_fixtures.py;
each expected value below is worked out by hand from the rows in that script.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cxkpi.io import values
from cxkpi.io.presets import all_presets, detect, score_headers
from cxkpi.sources import SOURCES

from .conftest import FIXTURES, ROOT

EXPORTS = FIXTURES / "exports"


def kpi_json(run_cli, *args):
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out), err


# ------------------------------------------------------------------ every fixture: detected and right
CASES = [
    # file, command and flags, preset, value, n, extra checks on the breakdown
    # Zendesk FRT from "First reply time in minutes": 30+960+5+20+90+1+45 = 1151 over 7 answered = 164.428571;
    # ticket 4 has no reply (unanswered); median of 1,5,20,30,45,90,960 = 30
    ("zendesk_tickets.csv", ["frt"], "zendesk", 164.428571, 7, {"median": 30, "unanswered": 1}),
    # the business-hours twins: 30+60+5+0+90+1+45 = 231 / 7 = 33
    ("zendesk_tickets.csv", ["frt", "--business-hours"], "zendesk", 33.0, 7, {}),
    # resolution from Created at → Solved at: 120+3930+30+60+1440+15 = 5595 / 6 = 932.5 (2 open)
    ("zendesk_tickets.csv", ["resolution"], "zendesk", 932.5, 6, {"open": 2}),
    # "Full resolution time in minutes within business hours": 120+90+30+0+480+15 = 735 / 6 = 122.5
    ("zendesk_tickets.csv", ["resolution", "--business-hours", "export"], "zendesk", 122.5, 6, {}),
    # CSAT = Good ÷ (Good + Bad) = 3 / (3 + 2); Offered (5, 8) left out, Not Offered (4) not a survey row
    ("zendesk_tickets.csv", ["csat"], "zendesk", 60.0, 5, {"satisfied": 3}),
    # one-touch FCR: solved tickets 1,2,3,5,6,7; fewer than 2 replies and no reopen: 1,3,6,7 → 4/6
    ("zendesk_tickets.csv", ["fcr"], "zendesk", 66.666667, 6, {"first_contact": 4, "open": 2}),
    # reopened: ticket 2 of the 6 solved
    ("zendesk_tickets.csv", ["reopens"], "zendesk", 16.666667, 6, {}),
    # Freshdesk "First response time (in hrs)": 00:30:00, 1.5 h, 0:45:30, 00:10:00, 00:02:00, 2.25 h
    # = 30 + 90 + 45.5 + 10 + 2 + 135 = 312.5 min / 6 = 52.083333
    ("freshdesk_tickets.csv", ["frt"], "freshdesk", 52.083333, 6, {}),
    # contacts rule: contacts = Customer interactions + 1; resolved 1,2,3,5,6 with 0,1,0,0,3 → 3 of 5
    ("freshdesk_tickets.csv", ["fcr", "--preset", "freshdesk", "--rule", "contacts"], "freshdesk", 60.0, 5,
     {"first_contact": 3}),
    # Help Scout: Great, Okay, Not Good, Great (one unrated) → CSAT 2/4; happiness 50 % − 25 % = 25
    ("helpscout_conversations.csv", ["csat"], "helpscout", 50.0, 4, {"happiness": 25.0, "unhappy": 1}),
    # first responses 30, 10, 120, 5 minutes → 41.25
    ("helpscout_conversations.csv", ["frt"], "helpscout", 41.25, 4, {}),
    # Intercom: 60 s, 300 s, 1800 s → 1, 5, 30 min → 12
    ("intercom_conversations.csv", ["frt"], "intercom", 12.0, 3, {}),
    # ratings 5, Great (= 4), 1 → satisfied (4 or 5) 2 of 3
    ("intercom_conversations.csv", ["csat"], "intercom", 66.666667, 3, {}),
    # Chatwoot: first replies after 5, 20, 1 minutes (one open without reply)
    ("chatwoot_conversations.csv", ["frt"], "chatwoot", 8.666667, 3, {}),
    ("chatwoot_conversations.csv", ["chat"], "chatwoot", 8.666667, 3, {"missed": 1}),
    # call log (; separated, no timestamps): handle = talk + hold + wrap = 240+30+60, 390+0+90, 330+60+30
    # = 330, 480, 420 s → mean 410 s = 6.833333 min; ASA (20+45+10)/3 = 25 s; abandoned 2 of 5
    ("callcenter_calls.csv", ["aht"], "callcenter", 6.833333, 3, {"asa_mean": 0.416667, "abandoned_pct": 40.0}),
    # Qualtrics: the same seven answers as plain_nps.csv (two of them as choice text) → (3 − 2) / 7
    ("qualtrics_export.csv", ["nps"], "qualtrics", 14.285714, 7, {"promoters": 3, "detractors": 2}),
    # SurveyMonkey: 10, 10, 9, 7, 3 → (3 − 1) / 5
    ("surveymonkey_export.csv", ["nps"], "surveymonkey", 40.0, 5, {}),
    # Typeform: 9, 6, 10, 8 → (2 − 1) / 4
    ("typeform_responses.csv", ["nps"], "typeform", 25.0, 4, {}),
    # Delighted: 10, 8, 2, 9, 9, 5 → (3 − 2) / 6
    ("delighted_responses.csv", ["nps"], "delighted", 16.666667, 6, {}),
    # Google Forms labels: Very satisfied, Satisfied, Neutral, Dissatisfied, Very satisfied = 5,4,3,2,5
    ("google_forms_responses.csv", ["csat"], "google_forms", 60.0, 5, {"mean": 3.8}),
]


@pytest.mark.parametrize("name,command,preset,value,n,breakdown", CASES,
                         ids=[f"{c[0].split('_')[0]}-{' '.join(c[1])}" for c in CASES])
def test_export_is_read_through_its_preset(run_cli, name, command, preset, value, n, breakdown):
    data, err = kpi_json(run_cli, command[0], EXPORTS / name, *command[1:])
    assert f"using preset {preset}" in err
    assert data["value"] == pytest.approx(value, abs=1e-6)
    assert data["n"] == n
    for key, expected in breakdown.items():
        assert data["breakdown"][key] == pytest.approx(expected, abs=1e-6), key


def test_qualtrics_nps_equals_the_same_answers_in_a_plain_file(run_cli):
    q, _ = kpi_json(run_cli, "nps", EXPORTS / "qualtrics_export.csv")
    plain, _ = kpi_json(run_cli, "nps", EXPORTS / "plain_nps.csv")
    for key in ("value", "n", "interval", "breakdown"):
        assert q[key] == plain[key]
    # three header rows: the ImportId row is not data, the first response is spreadsheet row 4
    assert q["rows"] == 7 and q["skipped"]["total"] == 0


def test_qualtrics_question_text_names_a_column(run_cli):
    data, _ = kpi_json(run_cli, "nps", EXPORTS / "qualtrics_export.csv", "--score",
                       "How likely are you to recommend us to a friend or colleague?")
    assert data["value"] == pytest.approx(14.285714)


def test_zendesk_xlsx_sheet_by_name_and_custom_field(run_cli):
    data, err = kpi_json(run_cli, "frt", EXPORTS / "zendesk_tickets.xlsx", "--sheet", "Tickets",
                         "--by", "Plan [list]")
    assert "using preset zendesk" in err
    assert data["value"] == pytest.approx(164.428571)
    groups = {g["key"]["plan_list"]: g["value"] for g in data["groups"]}
    # Pro: tickets 1, 3, 5, 7 → 30, 5, 20, 1 = 14; Basic: 2, 6, 8 (4 unanswered) → 960, 90, 45 = 365
    assert groups == {"Pro": pytest.approx(14.0), "Basic": pytest.approx(365.0)}


def test_surveymonkey_second_header_row_names_the_options(run_cli):
    data, _ = kpi_json(run_cli, "nps", EXPORTS / "surveymonkey_export.csv", "--by",
                       "Which channels did you use? - Chat")
    groups = {g["key"]["which_channels_did_you_use_chat"]: (g["value"], g["n"]) for g in data["groups"]}
    # chat used by respondents 2, 3, 5 (10, 9, 3) → (2 − 1) / 3; not by 1, 4 (10, 7) → 1/2
    assert groups["Chat"] == (pytest.approx(33.333333), 3)
    assert groups["(missing)"] == (pytest.approx(50.0), 2)


def test_preset_is_said_on_stderr_with_a_table(run_cli):
    code, out, err = run_cli("frt", EXPORTS / "zendesk_tickets.csv")
    assert code == 0
    assert err.splitlines()[0] == "frt: using preset zendesk (detected: 15 of 15 of its headers)"
    assert "164.43" in out


# ------------------------------------------------------------------ choosing, and failing clearly
def test_tie_names_the_candidates(run_cli, write):
    typeform = ["#", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
    delighted = ["Response ID", "Score", "Comment", "Created", "Updated", "Permalink", "Notes", "Email", "Name"]
    path = write("both.csv", ",".join(typeform + delighted) + "\n" + ",".join(["1"] * 13) + "\n")
    code, out, err = run_cli("nps", path)
    assert code == 2 and out == ""
    assert "fit several presets: delighted (9 of 9" in err and "typeform (4 of 4" in err
    assert "--preset delighted" in err
    code, _, err = run_cli("nps", path, "--preset", "delighted", "--format", "json")
    assert code == 0 and "using preset delighted" in err


def test_weak_match_suggests_a_preset_only_when_columns_are_missing(run_cli, write):
    headers = "Id,Assignee,Group,Via,Created at,Updated at\n1,Ann,T1,email,2025-01-01 10:00,2025-01-01 11:00\n"
    code, _, err = run_cli("frt", write("weak.csv", headers))
    assert code == 2
    assert "try --preset zendesk" in err and "6 of 15 headers" in err
    # the same weak file answers a KPI whose columns it has without any message about presets
    code, out, err = run_cli("volume", write("weak2.csv", headers), "--format", "json")
    assert code == 0 and "preset" not in err


def test_preset_none_turns_detection_off(run_cli):
    code, _, err = run_cli("frt", EXPORTS / "zendesk_tickets.csv", "--preset", "none")
    assert code == 2 and "first_response" in err and "using preset" not in err


def test_unknown_preset_and_preset_without_the_source(run_cli):
    code, _, err = run_cli("nps", EXPORTS / "plain_nps.csv", "--preset", "zendsk")
    assert code == 2 and "did you mean 'zendesk'" in err
    code, _, err = run_cli("nps", EXPORTS / "callcenter_calls.csv", "--preset", "callcenter")
    assert code == 2 and "preset 'callcenter' has no surveys columns (it reads: calls)" in err


def test_config_extends_a_preset_and_overrides_one_column(run_cli, write):
    cfg = write("cx.yaml", f"sources:\n  tickets:\n    file: {EXPORTS / 'zendesk_tickets.csv'}\n"
                           "    extends: zendesk\n    columns: {agent: Requester}\n")
    data, err = kpi_json(run_cli, "frt", "--config", cfg, "--by", "agent")
    assert "using preset zendesk" in err
    # eight requesters (one per ticket), not the three assignees
    assert {g["key"]["agent"] for g in data["groups"]} >= {"Ann Lee", "Bo Chen", "Hal Ito"}
    assert len(data["groups"]) == 8
    assert data["value"] == pytest.approx(164.428571)


def test_config_rejects_an_unknown_preset(run_cli, write):
    cfg = write("cx.yaml", "sources:\n  tickets:\n    preset: zendeks\n")
    code, _, err = run_cli("frt", EXPORTS / "zendesk_tickets.csv", "--config", cfg)
    assert code == 2 and "sources.tickets.preset: unknown preset 'zendeks'; did you mean 'zendesk'?" in err


def test_report_reads_a_source_through_its_preset(write):
    from cxkpi.config import load_config
    from cxkpi.report import build_report

    cfg = write("cx.yaml", f"sources:\n  tickets:\n    file: {EXPORTS / 'zendesk_tickets.csv'}\n"
                           "    preset: zendesk\nreport: {{kpis: [frt, fcr]}}\n".replace("{{", "{").replace("}}", "}"))
    rep = build_report(load_config(cfg))
    values_ = {e.kpi: e.headline for e in rep.entries}
    assert values_ == {"frt": pytest.approx(164.428571), "fcr": pytest.approx(66.666667)}


def test_presets_command_lists_every_preset(run_cli):
    code, out, _ = run_cli("presets", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == sorted(all_presets())
    zendesk = next(r for r in rows if r["name"] == "zendesk")
    assert zendesk["columns"]["tickets"]["first_response_minutes"] == ["First reply time in minutes"]
    code, out, _ = run_cli("presets", "qualtrics")
    assert code == 0 and "ResponseId" in out


def test_presets_page_is_up_to_date():
    from cxkpi.cli.presets import markdown, preset_rows

    assert (ROOT / "docs" / "presets.md").read_text() == markdown(preset_rows()), \
        "docs/presets.md is stale: run `cxkpi presets --format markdown > docs/presets.md`"


@pytest.mark.parametrize("name", sorted(all_presets()))
def test_preset_names_real_columns_and_is_found_by_its_own_signature(name):
    preset = all_presets()[name]
    for source, view in preset.views.items():
        known = SOURCES[source].columns
        for canonical in (*view.labels, *view.units, *view.unanswered, *view.uninvited, *view.add):
            assert canonical in view.columns, f"{name}.{source}: {canonical} has settings but no header"
        for canonical in view.business_columns:
            assert canonical in known and canonical in view.columns
        assert any(c in known for c in view.columns)
    ranked = score_headers(list(preset.signature))
    assert ranked[0].preset.name == name and ranked[0].score == 1.0
    assert detect(list(preset.signature), "f.csv").preset.name == name


def test_sample_data_is_not_mistaken_for_a_tool_export():
    from cxkpi.io.load import LoadOptions
    from cxkpi.io.read import read_table

    for path in sorted((ROOT / "sample_data").glob("*.csv")):
        headers = read_table(path, str(path), LoadOptions(), columns=[]).headers
        assert detect(headers, str(path)) is None, path.name


# ------------------------------------------------------------------ messy values of real exports
def test_ambiguous_day_month_asks_for_dayfirst_end_to_end(run_cli, write):
    text = "Responded At,Score\n03/04/2025,10\n05/06/2025,9\n11/12/2025,0\n"
    code, _, err = run_cli("nps", write("amb.csv", text), "--period", "month")
    assert code == 1
    assert "day-first or month-first" in err and "--dayfirst / --monthfirst" in err
    data, _ = kpi_json(run_cli, "nps", write("amb2.csv", text), "--period", "month", "--dayfirst")
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-04", "2025-06", "2025-12"]
    data, _ = kpi_json(run_cli, "nps", write("amb3.csv", text), "--period", "month", "--monthfirst")
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-03", "2025-05", "2025-11"]


def test_a_day_above_twelve_decides_the_order(run_cli, write):
    text = "Responded At,Score\n03/04/2025,10\n25/06/2025,9\n"
    data, _ = kpi_json(run_cli, "nps", write("dmy.csv", text), "--period", "month")
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-04", "2025-06"]
    text = "Responded At,Score\n03/04/2025,10\n06/25/2025,9\n"
    data, _ = kpi_json(run_cli, "nps", write("mdy.csv", text), "--period", "month")
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-03", "2025-06"]


def test_numbers_with_thousands_separators_and_decimal_commas():
    parsed, bad = values.numbers(pd.Series(["1,234", "1.234,5", "12,5", "1 234", "-3", "2e3", "1'000", "-1.234,5",
                                            "abc", "N/A", "1,5,6"]))
    assert parsed.iloc[:8].tolist() == [1234.0, 1234.5, 12.5, 1234.0, -3.0, 2000.0, 1000.0, -1234.5]
    assert parsed.iloc[8:].isna().all()
    assert bad.tolist() == ["abc", "1,5,6"]  # N/A is missing, not bad


def test_durations_in_every_shape_exports_use():
    minutes, bad = values.durations(pd.Series(["90", "01:30:00", "1:30", "1d 2h 3m", "PT1H30M", "2h", "45s", "x"]))
    assert minutes.iloc[:7].tolist() == pytest.approx([90, 90, 90, 1563, 90, 120, 0.75])
    assert bad.tolist() == ["x"]
    hours, _ = values.durations(pd.Series(["1.5", "00:45:30", "2,25"]), "h")
    assert hours.tolist() == pytest.approx([90, 45.5, 135])


def test_seconds_columns_read_clock_times(run_cli, write):
    # a two-part clock in a seconds column is m:ss (1:00 = 60 s); three parts are h:mm:ss
    text = "Call ID,Talk Seconds,Hold Seconds,Wrap Seconds\n1,00:04:00,30,1:00\n2,6m 30s,0,90\n"
    data, _ = kpi_json(run_cli, "aht", write("c.csv", text), "--unit", "s")
    # (240 + 30 + 60) and (390 + 0 + 90) → 330, 480 → 405 s
    assert data["value"] == pytest.approx(405.0)


def test_flags_read_yes_no_and_numbers():
    parsed, bad = values.flags(pd.Series(["Yes", "no", "TRUE", "0", "1", "", "maybe"]))
    assert parsed.tolist() == [True, False, True, False, True, pd.NA, pd.NA]
    assert bad.tolist() == ["maybe"]


def test_missing_markers_are_missing(run_cli, write):
    text = "Score,Channel\n10,a\n-,a\nN/A,b\n,b\n9,a\n0,b\n"
    data, _ = kpi_json(run_cli, "nps", write("m.csv", text))
    assert data["n"] == 3 and data["skipped"]["reasons"]["no answer (empty score)"]["count"] == 3


def test_missing_column_of_a_preset_file_names_the_preset(run_cli):
    code, _, err = run_cli("reopens", EXPORTS / "freshdesk_tickets.csv")
    assert code == 2 and "needs column 'reopens'" in err
    assert "read through preset freshdesk, which has no header for it" in err


def test_business_hours_export_needs_the_exports_own_columns(run_cli):
    # Help Scout has first-response timestamps but no business-time minutes of its own
    code, _, err = run_cli("frt", EXPORTS / "helpscout_conversations.csv", "--business-hours")
    assert code == 2
    assert "--business-hours export: the first response needs the export's own business-time column" in err
    # a real schedule works on the same file: created 09:00, first responses 09:30, 09:10, 11:00, 09:05
    # on weekdays inside Mon-Fri 08:00-18:00 → 30, 10, 120, 5 business minutes
    data, _ = kpi_json(run_cli, "frt", EXPORTS / "helpscout_conversations.csv",
                       "--business-hours", "Mon-Fri 08:00-18:00")
    assert data["value"] == pytest.approx(41.25)


# ------------------------------------------------------------------ defects found in review, each pinned
def test_bare_business_hours_refuses_a_calendar_column_in_its_place(run_cli):
    # Freshdesk exports no business-time twin: its calendar hours must not be passed off as business time
    for args in (["frt", EXPORTS / "freshdesk_tickets.csv", "--business-hours"],
                 ["frt", "--business-hours", EXPORTS / "intercom_conversations.csv"]):
        code, _, err = run_cli(*args)
        assert code == 2 and "has no business-time twin of first_response_minutes" in err, err
    # before FILE, a bare --business-hours does not swallow the file as its schedule
    data, _ = kpi_json(run_cli, "frt", "--business-hours", EXPORTS / "zendesk_tickets.csv")
    assert data["value"] == pytest.approx(33.0)


def test_sla_with_export_business_time_does_not_run_a_calendar_clock(run_cli):
    data, _ = kpi_json(run_cli, "sla", EXPORTS / "zendesk_tickets.csv", "--business-hours", "--frt-target", "60m",
                       "--resolution-target", "8h", "--as-of", "2025-04-05")
    # business FRT 30, 60, 5, 0, 90, 1, 45 and resolution 120, 90, 30, 0, 480, 15; ticket 4 (row 5) has
    # no reply and ticket 8 (row 9) is open: no business clock for them → skipped with that reason.
    # Of the other six only ticket 6 (FRT 90 > 60) breaches → 5 / 6
    assert data["value"] == pytest.approx(83.333333) and data["n"] == 6
    reasons = data["skipped"]["reasons"]
    assert [r["rows"] for r in reasons.values()] == [[5], [9]]
    assert all("business time stops" in r for r in reasons)


def test_one_question_per_kpi_and_two_matches_are_an_error(run_cli, write):
    header = ("Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,"
              "Custom Data 1,How likely is it that you would recommend this company to a friend or colleague?,"
              "What would make you more likely to recommend us?,\"Overall, how satisfied are you with our support?\"\n"
              ",,,,,,,,,Response,Open-Ended Response,Response\n")
    rows = "".join(f"{i},1,,,,,,,,{nps},x,{csat}\n" for i, (nps, csat) in enumerate([(10, 5), (9, 4), (3, 1)]))
    path = write("sm.csv", header + rows)
    nps, err = kpi_json(run_cli, "nps", path)  # 10, 9, 3 → (2 − 1) / 3
    assert nps["value"] == pytest.approx(33.333333)
    assert "using column 'How likely is it that you would recommend" in err
    csat, _ = kpi_json(run_cli, "csat", path)  # 5, 4, 1 → 2 of 3 satisfied
    assert csat["value"] == pytest.approx(66.666667)
    # response-rate reads the generic score list, where "recommend" matches two questions: an error, no guess
    code, _, err = run_cli("response-rate", path, "--sent", "5")
    assert code == 2 and "2 columns could be the score" in err and "--score" in err


def test_a_satisfaction_rating_is_not_read_as_nps(run_cli):
    code, _, err = run_cli("nps", EXPORTS / "helpscout_conversations.csv")
    assert code == 2 and "needs column 'score'" in err and "read through preset helpscout" in err


def test_seconds_with_thousands_separators(run_cli, write):
    text = "Call ID,Talk Seconds\n1,\"1,234\"\n2,600\n"
    data, _ = kpi_json(run_cli, "aht", write("c.csv", text), "--unit", "s")
    assert data["value"] == pytest.approx((1234 + 600) / 2)


def test_preset_zone_is_the_datas_and_timezone_the_reports(run_cli, write):
    text = ("#,How likely are you to recommend Acme to a friend?,Start Date (UTC),Submit Date (UTC),Network ID\n"
            "a,9,2025-07-01 23:00:00,2025-07-01 23:30:00,n\nb,10,2025-07-02 10:00:00,2025-07-02 10:00:00,n\n")
    path = write("tf.csv", text)
    data, _ = kpi_json(run_cli, "nps", path, "--period", "day")
    assert [g["key"]["period"] for g in data["groups"]] == ["2025-07-01", "2025-07-02"]
    # 23:30 UTC is 01:30 the next day in Berlin
    data, _ = kpi_json(run_cli, "nps", path, "--period", "day", "--tz", "Europe/Berlin")
    assert [(g["key"]["period"], g["n"]) for g in data["groups"]] == [("2025-07-02", 2)]


def test_zendesk_empty_satisfaction_is_no_invitation(run_cli, write):
    text = (EXPORTS / "zendesk_tickets.csv").read_text().replace(",Offered,", ",,")
    data, err = kpi_json(run_cli, "response-rate", write("z.csv", text))
    # tickets 5 and 8 now have an empty rating and 4 says Not Offered: invited 1, 2, 3, 6, 7, all answered
    assert (data["value"], data["n"]) == (pytest.approx(100.0), 5)
    assert "3 rows never sent a survey" in err


def test_qualtrics_without_its_importid_row(run_cli, write):
    import csv
    import io

    records = list(csv.reader(io.StringIO((EXPORTS / "qualtrics_export.csv").read_text(encoding="utf-8-sig"))))
    del records[2]  # the JSON ImportId row, which older exports do not have
    buf = io.StringIO()
    csv.writer(buf).writerows(records)
    path = write("q2.csv", buf.getvalue())
    data, err = kpi_json(run_cli, "nps", path)
    assert (data["value"], data["n"], data["rows"]) == (pytest.approx(14.285714), 7, 7)
    assert "the file has 2 header rows" in err
    # inspect and init read the header the same way: the first response is data, not a header line
    code, out, _ = run_cli("inspect", path, "--format", "json")
    profile = json.loads(out)
    assert code == 0 and (profile["rows"], profile["header_rows"]) == (7, 2)
    assert profile["suggestion"]["mapping"]["score"] == "Q1"
    code, out, _ = run_cli("init", path)
    assert code == 0 and "preset: qualtrics" in out


def test_csat_on_a_three_point_scale_with_no_answers(run_cli, write):
    data, _ = kpi_json(run_cli, "csat", write("e.csv", "Rating,Created At\n,2025-01-01\n"), "--scale", "1-3")
    assert data["value"] is None and data["n"] == 0 and data["breakdown"]["unhappy"] == 0


def test_presets_none_is_not_a_preset(run_cli):
    code, _, err = run_cli("presets", "none")
    assert code == 2 and "'none' is not a preset" in err
    code, _, err = run_cli("presets", "--format", "csv")
    assert code == 2 and "table, json or markdown" in err


def test_xlsx_multi_row_header_keeps_trailing_option_columns(run_cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
               "First Name", "Last Name", "Custom Data 1",
               "How likely is it that you would recommend this company to a friend or colleague?",
               "Which channels did you use?", None])
    ws.append([None] * 9 + ["Response", "Email", "Chat"])
    for i, (score, email, chat) in enumerate([(10, "Email", None), (3, None, "Chat"), (9, "Email", "Chat")]):
        ws.append([i, 1, None, None, None, None, None, None, None, score, email, chat])
    path = tmp_path / "sm.xlsx"
    wb.save(path)
    data, _ = kpi_json(run_cli, "nps", path, "--by", "Which channels did you use? - Chat")
    groups = {g["key"]["which_channels_did_you_use_chat"]: g["n"] for g in data["groups"]}
    assert groups == {"Chat": 2, "(missing)": 1}
    data, _ = kpi_json(run_cli, "nps", path, "--by", "Which channels did you use? - Email")
    assert {g["key"]["which_channels_did_you_use_email"]: g["n"] for g in data["groups"]} == \
        {"Email": 2, "(missing)": 1}


def test_config_header_rows_still_finds_a_first_line_name(run_cli, write):
    path = write("hr2.csv", "Score,Which channel?,,Date\nResponse,Email,Chat,\n10,Email,,2025-01-01\n"
                            "6,,Chat,2025-01-02\n")
    cfg = write("hr2.yaml", f"sources:\n  surveys:\n    file: {path}\n    header_rows: 2\n")
    data, _ = kpi_json(run_cli, "nps", "--config", cfg, "--by", "Which channel?")
    assert {g["key"]["which_channel"]: g["value"] for g in data["groups"]} == {"Email": 100.0, "(missing)": -100.0}


def test_inspect_and_init_agree_with_the_loader_on_a_near_tie(run_cli, write):
    from cxkpi.io.suggest import suggest

    headers = ["Conversation ID", "Created At", "Inbox", "Assignee", "Team", "Labels", "Number", "Mailbox",
               "Assigned To", "Closed X"]
    loader = detect(headers, "f.csv")
    shown = suggest(headers, "f.csv").preset
    assert (loader and loader.preset.name) == (shown and shown.preset.name)


def test_a_presets_kpi_settings_apply_under_the_users(run_cli):
    # Freshdesk has no reopen count, so its preset sets fcr's rule to contacts: 3 of 5 as above
    data, _ = kpi_json(run_cli, "fcr", EXPORTS / "freshdesk_tickets.csv")
    assert data["value"] == pytest.approx(60.0) and data["settings"]["rule"] == "contacts"
    # the user's flag wins over the preset: one-touch needs reopens, which the export lacks
    code, _, err = run_cli("fcr", EXPORTS / "freshdesk_tickets.csv", "--rule", "one-touch")
    assert code == 2 and "reopens" in err

"""``cxkpi init``: the starter config it writes loads, validates, and reports what the example does."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from cxkpi.config import load_config, validate
from cxkpi.report import build_report
from cxkpi.config.starter import _config_path, plan, starter_config
from cxkpi.config.yaml_out import _q, render

from .conftest import ROOT, SAMPLE

SAMPLES = sorted(SAMPLE.glob("*.csv"))

# KPIs config.example.yaml computes that init cannot, because their settings only a human knows
NEEDS_A_HUMAN = {
    "sla": "needs frt/resolution targets (the example: 4h / 3d, per-priority targets, business hours)",
    "cost-per-resolution": "needs the support cost per month (the example's costs: table)",
}

ZENDESK = ("Id,Requester,Assignee,Group,Via,Created at,Updated at,Solved at,Satisfaction Score,"
           "First reply time in minutes,Full resolution time in minutes,Replies,Reopens,"
           "Agent wait time in minutes,Requester wait time in minutes\n"
           "1,a@x.org,Ann,Billing,email,2025-05-01 10:00,2025-05-01 12:00,2025-05-01 14:00,Good,30,240,1,0,10,20\n"
           "2,b@x.org,Bob,Tech,web,2025-05-02 10:00,2025-05-02 12:00,2025-05-02 11:00,Bad,60,60,3,1,5,5\n")


def _values(config_path: Path, drop: tuple[str, ...] = ()) -> dict[str, tuple[float, int]]:
    cfg = load_config(config_path)
    if drop:
        from cxkpi.registry import load_all

        cfg.report["kpis"] = cfg.report.get("kpis") or [
            s.name for s in load_all().values()
            if (cfg.kpi(s.name).get("source") or s.source) in cfg.sources and s.name not in drop]
        cfg.report["kpis"] = [k for k in cfg.report["kpis"] if k not in drop]
    return {e.kpi: (e.headline, e.result.n) for e in build_report(cfg).entries}


def _init(run_cli, *args) -> tuple[int, str, str]:
    return run_cli("init", *map(str, args))


def _comment(text: str, start: str) -> str:
    """The comment that starts with ``start``, with its hanging continuation lines."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.lstrip().startswith("# " + start))
    out = [lines[i].strip()]
    for line in lines[i + 1:]:
        if not line.lstrip().startswith("#   "):
            break
        out.append(line.strip()[1:].strip())
    return " ".join(out)


# --- the round trip (the acceptance test) -------------------------------------------------------

def test_round_trip_gives_the_example_values(run_cli, tmp_path, monkeypatch):
    """`cxkpi init sample_data/*.csv > cxkpi.yaml` then `cxkpi report -c cxkpi.yaml`, as the user runs it.

    The example sets timezone: Europe/Berlin; without it naive timestamps are wall-clock time and a
    ticket open across the 26 Oct 2025 DST change is an hour shorter or longer (frt and resolution
    differ in the 4th significant digit), so init is given the same zone.
    """
    shutil.copytree(SAMPLE, tmp_path / "sample_data")
    monkeypatch.chdir(tmp_path)
    code, out, err = _init(run_cli, *[f"sample_data/{p.name}" for p in SAMPLES], "--timezone", "Europe/Berlin")
    assert code == 0, err
    (tmp_path / "cxkpi.yaml").write_text(out, encoding="utf-8")
    drop = () if importlib.util.find_spec("vaderSentiment") else ("sentiment",)  # the [text] extra
    ours = _values(tmp_path / "cxkpi.yaml")
    example = _values(ROOT / "config.example.yaml", drop)

    assert set(example) - set(ours) == set(NEEDS_A_HUMAN), (set(example) - set(ours))
    assert set(ours) <= set(example)
    for kpi, (value, n) in ours.items():
        assert n == example[kpi][1], kpi
        assert value == pytest.approx(example[kpi][0], rel=1e-12), kpi
    # the ones that did match, by name, so a KPI silently dropping out shows up here
    assert {"nps", "csat", "ces", "response-rate", "frt", "resolution", "fcr", "reopens", "aht", "aht-tickets",
            "chat", "volume", "peak", "topics", "churn", "retention", "clv", "turnover", "kb",
            "themes"} <= set(ours)
    # the excluded ones are named in the YAML, with their hints
    assert "# sla:" in out and "frt_target" in out and "# cost-per-resolution:" in out
    assert "sla (needs its targets)" in out


def test_round_trip_via_output_paths_are_relative_to_its_folder(run_cli, tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "data")
    target = tmp_path / "conf" / "cxkpi.yaml"
    target.parent.mkdir()
    code, out, err = _init(run_cli, *sorted((tmp_path / "data").glob("*.csv")), "--tz", "Europe/Berlin",
                           "-o", target)
    assert code == 0 and out == "" and "wrote" in err, err
    raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert raw["sources"]["surveys"]["file"] == "../data/surveys.csv"
    assert raw["timezone"] == "Europe/Berlin"
    values = _values(target)
    assert values["nps"] == (pytest.approx(28.155339805825246), 515)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_paths_are_relative_unless_only_the_root_is_shared():
    assert _config_path("/srv/exports/tickets.csv", Path("/srv/conf")) == "../exports/tickets.csv"
    assert _config_path("/srv/exports/tickets.csv", Path("/srv/exports")) == "tickets.csv"
    assert _config_path("/data/tickets.csv", Path("/home/me")) == "/data/tickets.csv"


def test_without_a_timezone_the_durations_move_by_the_dst_hour(tmp_path):
    """Why the round trip passes --timezone: the same files, read as wall-clock time."""
    text = starter_config([str(p) for p in SAMPLES], output=str(tmp_path / "c.yaml"))
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert "timezone:" not in yaml.safe_load(text)
    ours = _values(tmp_path / "c.yaml")
    example = _values(ROOT / "config.example.yaml",
                      () if importlib.util.find_spec("vaderSentiment") else ("sentiment",))
    assert ours["frt"][1] == example["frt"][1] and ours["frt"][0] != pytest.approx(example["frt"][0], rel=1e-9)
    assert ours["nps"] == example["nps"]


# --- what the YAML holds -----------------------------------------------------------------------

def test_output_validates_and_loads_back_as_the_plan(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    files = [f"sample_data/{p.name}" for p in SAMPLES]
    starter = plan(files)
    text = render(starter)
    raw = yaml.safe_load(text)
    assert raw == starter.config
    cfg = validate(raw, ROOT / "cxkpi.yaml")  # paths relative to the folder init ran in
    assert set(cfg.sources) == {"agents", "calls", "call_intervals", "chats", "customers", "kb", "orders",
                                "subscriptions", "surveys", "ticket_events", "tickets"}
    assert cfg.sources["customers"]["file"] == "sample_data/crm_snapshot.csv"
    assert cfg.sources["tickets"]["columns"]["first_response_at"] == "First Response At"
    # dimension-like columns get their own lowercase name, as the example maps region: Region
    assert cfg.sources["orders"]["columns"]["region"] == "Region"
    assert cfg.sources["subscriptions"]["columns"]["plan"] == "Plan"
    assert cfg.sources["customers"]["columns"]["contract"] == "Contract"
    # the sample surveys hold NPS, CSAT and CES rows: the defaults pick them, so nothing is set
    assert raw["kpis"]["nps"] is None and raw["kpis"]["csat"] is None and raw["kpis"]["ces"] is None
    assert "# survey: NPS" in text and "# scale: 1-5" in text and "# scale: 1-7" in text
    assert "sla" not in raw["report"]["kpis"] and "cost-per-resolution" not in raw["report"]["kpis"]
    # churn/retention read subscriptions (their main source), clv orders: no source: settings needed
    assert "churn" not in raw["kpis"] and "clv" not in raw["kpis"]
    assert "File paths are relative to the folder this file is in" in text and "folder `cxkpi init` ran in" in text


def test_unplaced_columns_are_listed_as_comments(run_cli, write):
    path = write("tickets.csv", "Ticket ID,Created At,First Response At,Last Modified At,Internal Notes,Region\n"
                                "T1,2025-05-01 09:00,2025-05-01 10:00,2025-05-02 09:00,x,EU\n")
    code, out, err = _init(run_cli, path)
    assert code == 0, err
    raw = yaml.safe_load(out)
    cols = raw["sources"]["tickets"]["columns"]
    assert cols == {"ticket_id": "Ticket ID", "created_at": "Created At", "first_response_at": "First Response At",
                    "region": "Region"}
    line = _comment(out, "not placed")
    assert "Last Modified At" in line and "Internal Notes" in line
    assert "Last Modified At" not in str(raw)
    assert "1 not placed" not in err and "2 not placed" in err
    # what it can compute, and what it cannot without a human
    assert raw["report"]["kpis"] == ["frt", "volume", "peak"]
    assert _comment(out, "computable") == "# computable: frt, sla (needs its targets), volume, peak"


def test_zendesk_headers_give_the_preset(run_cli, write):
    path = write("zendesk.csv", ZENDESK)
    code, out, err = _init(run_cli, path)
    assert code == 0, err
    block = yaml.safe_load(out)["sources"]["tickets"]
    assert block["preset"] == "zendesk"
    assert "columns" not in block  # the preset maps them all; they are shown as comments only
    assert "#   first_response_minutes: First reply time in minutes" in out
    assert "Updated at" in _comment(out, "not placed")
    assert "also reads this file as surveys" in out
    assert "preset zendesk" in err


def test_zendesk_config_runs(run_cli, write, tmp_path):
    path = write("zendesk.csv", ZENDESK)
    code, _, err = _init(run_cli, path, "-o", tmp_path / "z.yaml")
    assert code == 0, err
    values = _values(tmp_path / "z.yaml")
    # frt from Zendesk's minute column: (30 + 60) / 2; one-touch FCR: ticket 1 (1 reply, no reopen) of 2
    assert values["frt"] == (pytest.approx(45.0), 2)
    assert values["fcr"] == (pytest.approx(50.0), 2)
    assert values["reopens"] == (pytest.approx(50.0), 2)


def test_preset_can_be_forced_or_turned_off(run_cli, write):
    path = write("zendesk.csv", ZENDESK)
    code, out, err = _init(run_cli, path, "--preset", "none")
    assert code == 0, err
    block = yaml.safe_load(out)["sources"]["tickets"]
    assert block["preset"] == "none" and block["columns"]["created_at"] == "Created at"
    code, out, err = _init(run_cli, path, "--preset", "zendesk")
    assert code == 0 and yaml.safe_load(out)["sources"]["tickets"]["preset"] == "zendesk"
    assert "forced with --preset" in out
    code, _, err = _init(run_cli, path, "--preset", "zendeks")
    assert code == 2 and "unknown preset 'zendeks'" in err and err.count("\n") == 1


def test_qualtrics_three_header_rows(run_cli, write, tmp_path):
    first = ("StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,"
             "RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,LocationLatitude,"
             "LocationLongitude,DistributionChannel,UserLanguage,Q1,Q2")
    second = ("Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,Recorded Date,"
              "Response ID,Last Name,First Name,Email,External Data Reference,Latitude,Longitude,"
              "Distribution Channel,User Language,How likely are you to recommend us to a friend?,"
              "What is the reason for your score?")
    third = ",".join(f'"{{""ImportId"":""x{i}""}}"' for i in range(19))
    rows = [f"2025-05-0{i} 10:00,2025-05-0{i} 10:05,IP,1.2.3.4,100,60,True,2025-05-0{i} 10:05,R{i},,,,C{i},,,"
            f"email,EN,{score},ok" for i, score in enumerate([10, 9, 7, 3, 10], start=1)]
    path = write("qualtrics.csv", "\n".join([first, second, third, *rows]) + "\n")
    code, out, err = _init(run_cli, path, "-o", tmp_path / "q.yaml")
    assert code == 0, err
    raw = yaml.safe_load((tmp_path / "q.yaml").read_text(encoding="utf-8"))
    assert raw["sources"]["surveys"]["preset"] == "qualtrics"
    assert "nps" in raw["report"]["kpis"] and "csat" not in raw["report"]["kpis"]
    # promoters 10, 9, 10; detractor 3 → (3 − 1) / 5 = 40
    assert _values(tmp_path / "q.yaml")["nps"] == (pytest.approx(40.0), 5)


# --- answer scales -----------------------------------------------------------------------------

def test_a_0_to_10_file_is_nps(run_cli, write, tmp_path):
    path = write("nps.csv", "Responded At,Score\n" + "".join(
        f"2025-05-{d:02d} 10:00,{s}\n" for d, s in enumerate([10, 9, 8, 6, 0, 7, 10], start=1)))
    code, _, err = _init(run_cli, path, "-o", tmp_path / "c.yaml")
    assert code == 0, err
    text = (tmp_path / "c.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert list(raw["kpis"]) == ["nps"] and raw["kpis"]["nps"] is None  # 0–10 is NPS's only scale
    assert "# seen: answers on 0–10" in text and "# promoter_min: 9" in text
    assert "nps" in raw["report"]["kpis"] and not {"csat", "ces"} & set(raw["report"]["kpis"])
    # promoters 10, 9, 10; detractors 6, 0 → (3 − 2) / 7
    assert _values(tmp_path / "c.yaml")["nps"] == (pytest.approx(100 / 7), 7)


def test_scale_detection_tolerates_a_few_stray_answers(run_cli, write, tmp_path):
    scores = [10, 9, 8, 6, 0, 7, 10, 3] * 5 + [12]  # 40 on the scale, one typo
    path = write("nps.csv", "Score\n" + "".join(f"{s}\n" for s in scores))
    raw = yaml.safe_load(starter_config([str(path)]))
    assert raw["kpis"] == {"nps": None}
    text = starter_config([str(path)])
    assert "# seen: answers on 0–10 (1 of 41 off the scale, skipped)" in text


def test_a_1_to_5_file_is_csat(write, tmp_path):
    path = write("csat.csv", "Responded At,Rating\n" + "".join(
        f"2025-05-{d:02d} 10:00,{s}\n" for d, s in enumerate([5, 4, 4, 3, 1, 2, 5], start=1)))
    out = tmp_path / "c.yaml"
    text = starter_config([str(path)], output=str(out))
    raw = yaml.safe_load(text)
    assert raw["sources"]["surveys"]["columns"]["score"] == "Rating"
    assert list(raw["kpis"]) == ["csat"] and raw["kpis"]["csat"] is None  # 1-5 is the default: a comment
    assert "# scale: 1-5" in text and "# satisfied_min: 4" in text
    assert "csat" in raw["report"]["kpis"] and not {"nps", "ces"} & set(raw["report"]["kpis"])
    out.write_text(text, encoding="utf-8")
    # satisfied (4, 5): 4 of 7
    assert _values(out)["csat"] == (pytest.approx(100 * 4 / 7), 7)


def test_a_1_to_7_file_is_ces_and_labels_pick_the_kpi(write, tmp_path):
    body = "Survey,Score\n" + "".join(f"Effort,{s}\n" for s in [7, 6, 6, 2, 5]) \
        + "".join(f"Relationship,{s}\n" for s in [10, 9, 0, 8]) \
        + "".join(f"Support CSAT,{s}\n" for s in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    path = write("mixed.csv", body)
    out = tmp_path / "c.yaml"
    text = starter_config([str(path)], output=str(out))
    raw = yaml.safe_load(text)
    # labels that are not the KPI's own name are set; a CSAT on 1–10 says so
    assert raw["kpis"]["ces"] == {"survey": "Effort"}
    assert raw["kpis"]["nps"] == {"survey": "Relationship"}
    assert raw["kpis"]["csat"] == {"survey": "Support CSAT", "scale": "1-10"}
    out.write_text(text, encoding="utf-8")
    values = _values(out)
    assert values["ces"] == (pytest.approx(26 / 5), 5)  # mean of 7, 6, 6, 2, 5
    assert values["nps"] == (pytest.approx(25.0), 4)  # promoters 10, 9; detractor 0: (2 − 1) / 4
    assert values["csat"] == (pytest.approx(20.0), 10)  # satisfied = top two (9, 10) of 10


def test_yes_no_answers_are_csat(write):
    path = write("thumbs.csv", "Score\nyes\nno\nyes\nYes\n")
    text = starter_config([str(path)])
    raw = yaml.safe_load(text)
    assert raw["kpis"] == {"csat": None} and "yes/no answers" in text


def test_unknown_scale_is_left_out_with_a_reason(run_cli, write):
    path = write("odd.csv", "Sent At,Score\n2025-05-01,-3\n2025-05-01,42\n2025-05-01,17\n2025-05-01,\n")
    code, out, err = _init(run_cli, path)
    assert code == 0, err
    raw = yaml.safe_load(out)
    assert raw["report"]["kpis"] == ["response-rate"]
    assert "could not tell the scale" in out and "nps (scale unknown" in out


# --- headers that YAML would misread -----------------------------------------------------------

NASTY = ["Yes", "On", "no", "null", "~", "#", "a #b", "Score: 1-5", 'He said "hi"', "'quoted'", "- dash",
         "[x]", "{y}", "@at", "%p", "&anchor", "*alias", "!tag", "|", ">", "? q", "2025", "1e3", "0x1A", "1_000",
         "12:30", "2025-05-01", "true", ".nan", "Ünïcödé", "tab\there", "line\nbreak", "nbsp\u00a0x", "\ufeffbom",
         "back\\slash", "trailing ", " leading", "a  b", ",comma", "emoji 😀", "\u2028sep"]


@pytest.mark.parametrize("flow", [False, True])
def test_every_header_round_trips_through_the_yaml(flow):
    for header in NASTY:
        text = f"[{_q(header, flow=True)}]" if flow else f"k: {_q(header)}\n"
        loaded = yaml.safe_load(text)
        assert loaded == ([header] if flow else {"k": header}), (header, text)
        assert "\n" not in text.rstrip("\n")  # one line: a comment can hold it too


def test_odd_headers_in_a_real_file_come_back_exactly(write, tmp_path):
    headers = ["Score: 1-5", "Yes", "On", 'Customer "tier"', "null", "a #b", "#", "2025"]
    path = write("odd.csv", ",".join(f'"{h}"' if '"' not in h else '"' + h.replace('"', '""') + '"'
                                     for h in headers) + "\n4,x,y,gold,n,h,i,j\n5,x,y,gold,n,h,i,j\n")
    text = starter_config([str(path)], output=str(tmp_path / "c.yaml"))
    raw = yaml.safe_load(text)
    cols = raw["sources"]["surveys"]["columns"]
    assert cols["score"] == "Score: 1-5"
    assert {cols["yes"], cols["customer_tier"], cols["null"], cols["a_b"]} == {"Yes", 'Customer "tier"', "null", "a #b"}
    line = _comment(text, "not placed")  # "On" reads like a date suffix (created_on), so no dimension
    assert line == '# not placed (no canonical column): "On", "#", "2025"'
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert _values(tmp_path / "c.yaml")["csat"] == (pytest.approx(100.0), 2)


# --- files, clashes, errors --------------------------------------------------------------------

def test_two_exports_of_one_source_the_second_is_commented_out(run_cli, tmp_path):
    other = tmp_path / "tickets_2024.csv"
    shutil.copy(SAMPLE / "tickets.csv", other)
    code, out, err = _init(run_cli, SAMPLE / "tickets.csv", other, "-o", tmp_path / "c.yaml")
    assert code == 0, err
    assert "another tickets export" in err and "tickets_2024.csv" in err
    text = (tmp_path / "c.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert list(raw["sources"]) == ["tickets"]
    assert raw["sources"]["tickets"]["file"].endswith("sample_data/tickets.csv")
    assert "  # tickets:\n  #   file: tickets_2024.csv" in text
    load_config(tmp_path / "c.yaml")


def test_output_is_not_overwritten_without_force(run_cli, tmp_path):
    target = tmp_path / "c.yaml"
    target.write_text("keep me\n")
    code, out, err = _init(run_cli, SAMPLE / "kb.csv", "-o", target)
    assert code == 2 and "already exists; pass --force" in err and err.count("\n") == 1
    assert target.read_text() == "keep me\n"
    code, _, err = _init(run_cli, SAMPLE / "kb.csv", "-o", target, "--force", "--quiet")
    assert code == 0 and err == ""
    assert yaml.safe_load(target.read_text())["report"]["kpis"] == ["kb"]
    assert not list(tmp_path.glob(".c.yaml.*"))  # written atomically, no temp file left


def test_output_cannot_be_an_input(run_cli, tmp_path):
    data = tmp_path / "kb.csv"
    shutil.copy(SAMPLE / "kb.csv", data)
    code, _, err = _init(run_cli, data, "-o", data, "--force")
    assert code == 2 and "is one of the input files" in err
    assert data.read_bytes() == (SAMPLE / "kb.csv").read_bytes()


def test_multi_source_kpis_name_their_source(tmp_path):
    text = starter_config([str(SAMPLE / "orders.csv")], output=str(tmp_path / "c.yaml"))
    raw = yaml.safe_load(text)
    assert raw["kpis"]["churn"] == {"source": "orders"} and raw["kpis"]["retention"] == {"source": "orders"}
    assert "clv" not in raw["kpis"]  # orders is clv's own source
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    values = _values(tmp_path / "c.yaml")
    assert set(values) == {"churn", "retention", "clv"}


def test_fcr_without_replies_uses_contacts(write, tmp_path):
    path = write("t.csv", "Ticket ID,Created At,Resolved At,Contacts\n"
                          "1,2025-05-01 09:00,2025-05-01 10:00,1\n2,2025-05-01 09:00,2025-05-01 12:00,3\n")
    text = starter_config([str(path)], output=str(tmp_path / "c.yaml"))
    raw = yaml.safe_load(text)
    assert raw["kpis"]["fcr"] == {"rule": "contacts"}
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert _values(tmp_path / "c.yaml")["fcr"] == (pytest.approx(50.0), 2)


@pytest.mark.parametrize("args, code, message", [
    (["-"], 2, "stdin"),
    (["does_not_exist.csv"], 1, "no such file"),
    (["{sample}/kb.csv", "--timezone", "Mars/Olympus"], 2, "unknown time zone"),
])
def test_errors_are_one_line(run_cli, args, code, message):
    got, out, err = _init(run_cli, *[a.replace("{sample}", str(SAMPLE)) for a in args])
    assert got == code and message in err and out == ""
    assert err.startswith("cxkpi: error:") and err.count("\n") == 1, err


def test_a_file_no_kpi_can_use(run_cli, write):
    code, out, err = _init(run_cli, write("x.csv", "foo,bar\n1,2\n"))
    assert code == 2 and "no column fits a KPI" in err and "'foo'" in err and out == ""


def test_messages_go_to_stderr_and_quiet_silences_them(run_cli):
    code, out, err = _init(run_cli, SAMPLE / "kb.csv")
    assert code == 0 and out.startswith("# cxkpi config") and "kb.csv: kb" in err
    code, out2, err = _init(run_cli, SAMPLE / "kb.csv", "-q")
    assert code == 0 and out2 == out and err == ""


def test_help_has_an_example(run_cli):
    code, out, _ = run_cli("init", "--help")
    assert code == 0 and "Example" in out and "cxkpi init" in out


def test_excel_sheet_is_written_for_workbooks(run_cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "About"
    wb.active.append(["exported by", "someone"])
    ws = wb.create_sheet("Responses")
    ws.append(["Responded At", "How likely are you to recommend us?"])
    for day, score in enumerate([10, 9, 3, 8], start=1):
        ws.append([f"2025-05-0{day} 10:00", score])
    wb.save(tmp_path / "survey.xlsx")
    code, _, err = _init(run_cli, tmp_path / "survey.xlsx", "--sheet", "Responses", "-o", tmp_path / "c.yaml")
    assert code == 0, err
    raw = yaml.safe_load((tmp_path / "c.yaml").read_text(encoding="utf-8"))
    block = raw["sources"]["surveys"]
    assert block["sheet"] == "Responses" and block["columns"]["score"] == "How likely are you to recommend us?"
    assert "nps" in raw["report"]["kpis"]
    # promoters 10, 9; detractor 3 → (2 − 1) / 4
    assert _values(tmp_path / "c.yaml")["nps"] == (pytest.approx(25.0), 4)

"""Write tests/fixtures/exports/: one small export per preset, shaped like the tool writes it.

The column names follow each tool's documented export; the rows are invented and
few, so every KPI the tests check can be worked out by hand (the expected values
are in tests/test_presets.py, with the arithmetic). Run again after a change:

    python3 scripts/make_export_fixtures.py
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "exports"

ZENDESK_HEADER = ["Id", "Requester", "Assignee", "Group", "Via", "Priority", "Status", "Tags", "Type",
                  "Created at", "Updated at", "Solved at", "Satisfaction Score", "Replies", "Reopens",
                  "First reply time in minutes", "First reply time in minutes within business hours",
                  "Full resolution time in minutes", "Full resolution time in minutes within business hours",
                  "Agent wait time in minutes", "Requester wait time in minutes", "On hold time in minutes",
                  "Plan [list]"]
ZENDESK_ROWS = [
    # Id, requester, assignee, group, via, priority, status, tags, type, created, updated, solved, satisfaction,
    # replies, reopens, frt, frt bh, full res, full res bh, agent wait, requester wait, on hold, plan
    [1, "Ann Lee", "Ann", "Tier 1", "email", "normal", "closed", "billing refund", "question",
     "2025-03-03 09:00:00", "2025-03-04 10:00:00", "2025-03-03 11:00:00", "Good", 1, 0, 30, 30, 120, 120, 10, 5, 0, "Pro"],
    [2, "Bo Chen", "Ann", "Tier 1", "web", "high", "solved", "login", "incident",
     "2025-03-14 16:30:00", "2025-03-18 10:00:00", "2025-03-17 10:00:00", "Bad", 3, 1, 960, 60, 3930, 90, 100, 30, 0, "Basic"],
    [3, "Cy Diaz", "Bob", "Tier 2", "chat", "low", "solved", "", "question",
     "2025-03-20 10:00:00", "2025-03-20 12:00:00", "2025-03-20 10:30:00", "Good", 1, 0, 5, 5, 30, 30, 0, 0, 0, "Pro"],
    [4, "Di Egan", "Bob", "Tier 2", "email", "normal", "open", "billing", "task",
     "2025-03-21 10:00:00", "2025-03-21 11:00:00", "", "Not Offered", 0, 0, "", "", "", "", 0, 0, 0, "Basic"],
    [5, "Ed Fox", "Ann", "Tier 1", "email", "normal", "solved", "refund", "question",
     "2025-04-01 08:00:00", "2025-04-01 09:30:00", "2025-04-01 09:00:00", "Offered", 2, 0, 20, 0, 60, 0, 5, 5, 0, "Pro"],
    [6, "Flo Gray", "Bob", "Tier 2", "web", "urgent", "closed", "outage", "incident",
     "2025-04-02 12:00:00", "2025-04-04 12:00:00", "2025-04-03 12:00:00", "Good", 1, 0, 90, 90, 1440, 480, 60, 20, 0, "Basic"],
    [7, "Gus Hill", "Cid", "Tier 1", "chat", "low", "solved", "login", "question",
     "2025-04-03 09:00:00", "2025-04-03 09:30:00", "2025-04-03 09:15:00", "Bad", 1, 0, 1, 1, 15, 15, 1, 0, 0, "Pro"],
    [8, "Hal Ito", "Cid", "Tier 2", "email", "high", "pending", "billing", "problem",
     "2025-04-04 09:00:00", "2025-04-04 10:00:00", "", "Offered", 1, 0, 45, 45, "", "", 45, 0, 30, "Basic"],
]

FRESHDESK_HEADER = ["Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Agent", "Group",
                    "Created time", "Due by Time", "Resolved time", "Closed time", "First response time (in hrs)",
                    "Resolution time (in hrs)", "Agent interactions", "Customer interactions", "Tags",
                    "Survey results"]
FRESHDESK_ROWS = [
    [1, "Refund", "Resolved", "Low", "Email", "Question", "Ann", "Billing", "2025-02-03 09:00:00",
     "2025-02-04 09:00:00", "2025-02-03 12:00:00", "", "00:30:00", "03:00:00", 1, 0, "refund", "Awesome"],
    [2, "Login", "Closed", "High", "Phone", "Incident", "Ann", "Tech", "2025-02-04 10:00:00",
     "2025-02-05 10:00:00", "2025-02-05 10:00:00", "2025-02-06 10:00:00", "1.5", "24", 2, 1, "login", "Not Good"],
    [3, "Invoice", "Resolved", "Medium", "Portal", "Question", "Bob", "Billing", "2025-02-05 08:00:00",
     "2025-02-06 08:00:00", "2025-02-05 10:30:00", "", "0:45:30", "02:30:00", 1, 0, "invoice", ""],
    [4, "Outage", "Open", "Urgent", "Email", "Problem", "Bob", "Tech", "2025-02-06 09:00:00",
     "2025-02-06 13:00:00", "", "", "00:10:00", "", 1, 2, "outage", ""],
    [5, "Password", "Resolved", "Low", "Chat", "Question", "Cid", "Tech", "2025-02-07 09:00:00",
     "2025-02-08 09:00:00", "2025-02-07 09:20:00", "", "00:02:00", "00:20:00", 1, 0, "login", "Awesome"],
    [6, "Refund late", "Closed", "Medium", "Email", "Incident", "Cid", "Billing", "2025-02-10 09:00:00",
     "2025-02-11 09:00:00", "2025-02-12 09:00:00", "2025-02-12 09:00:00", "2.25", "48:00:00", 3, 3, "refund", "Just Okay"],
]

HELPSCOUT_HEADER = ["Conversation ID", "Number", "Mailbox", "Assigned To", "Customer Email", "Created At",
                    "Closed At", "First Response At", "Rating", "Rating Comments", "Type", "Tags", "Status"]
HELPSCOUT_ROWS = [
    [9001, 101, "Support", "Ann", "a@example.com", "2025-03-03 09:00", "2025-03-03 12:00", "2025-03-03 09:30",
     "Great", "", "email", "", "closed"],
    [9002, 102, "Support", "Ann", "b@example.com", "2025-03-04 09:00", "2025-03-04 10:00", "2025-03-04 09:10",
     "Okay", "", "email", "billing", "closed"],
    [9003, 103, "Sales", "Bob", "c@example.com", "2025-03-05 09:00", "", "2025-03-05 11:00",
     "Not Good", "too slow", "chat", "", "active"],
    [9004, 104, "Sales", "Bob", "d@example.com", "2025-03-06 09:00", "2025-03-06 09:20", "2025-03-06 09:05",
     "Great", "", "chat", "", "closed"],
    [9005, 105, "Sales", "Bob", "e@example.com", "2025-03-07 09:00", "2025-03-07 09:20", "",
     "", "", "chat", "", "closed"],
]

INTERCOM_HEADER = ["Conversation ID", "Conversation started at", "Conversation last closed at", "Teammate assigned",
                   "Team assigned", "Conversation tags", "Conversation rating", "Conversation rating remark",
                   "Time to first response (seconds)", "Channel"]
INTERCOM_ROWS = [
    ["c1", "2025-05-01T10:00:00Z", "2025-05-01T10:30:00Z", "Ann", "Support", "billing", "5", "", "60", "Chat"],
    ["c2", "2025-05-02T10:00:00Z", "2025-05-02T12:00:00Z", "Ann", "Support", "", "Great", "", "300", "Email"],
    ["c3", "2025-05-03T10:00:00Z", "", "Bob", "Sales", "", "1", "rude", "1800", "Chat"],
    ["c4", "2025-05-04T10:00:00Z", "2025-05-04T10:05:00Z", "Bob", "Sales", "", "", "", "", "Chat"],
]

CHATWOOT_HEADER = ["Conversation ID", "Inbox", "Assignee", "Team", "Labels", "Status", "Created At",
                   "First Reply Created At", "Resolved At", "CSAT Rating"]
CHATWOOT_ROWS = [
    [11, "Website", "Ann", "Support", "billing", "resolved", "2025-06-02 10:00:00", "2025-06-02 10:05:00",
     "2025-06-02 10:30:00", 5],
    [12, "Website", "Ann", "Support", "", "resolved", "2025-06-02 11:00:00", "2025-06-02 11:20:00",
     "2025-06-02 12:00:00", 3],
    [13, "WhatsApp", "Bob", "Sales", "lead", "open", "2025-06-03 12:00:00", "", "", ""],
    [14, "WhatsApp", "Bob", "Sales", "", "resolved", "2025-06-03 13:00:00", "2025-06-03 13:01:00",
     "2025-06-03 13:10:00", 4],
]

CALLS_HEADER = ["Call ID", "Queue", "Agent Name", "Talk Time", "Hold Time", "Wrap Up Time", "Queue Wait Time",
                "Abandoned"]
CALLS_ROWS = [
    ["k1", "Sales", "Ann", "00:04:00", 30, 60, 20, "No"],
    ["k2", "Sales", "Ann", "00:06:30", 0, 90, 45, "No"],
    ["k3", "Support", "Bob", "0", 0, 0, 120, "Yes"],
    ["k4", "Support", "Bob", "5m 30s", 60, 30, 10, "No"],
    ["k5", "Support", "", "", "", "", 200, "Yes"],
]

QUALTRICS_NAMES = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                   "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                   "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
                   "UserLanguage", "Q1", "Q1_NPS_GROUP", "Q2"]
QUALTRICS_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                  "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
                  "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
                  "Distribution Channel", "User Language",
                  "How likely are you to recommend us to a friend or colleague?",
                  "How likely are you to recommend us to a friend or colleague? - Group",
                  "What is the main reason for your score?\n(optional)"]
QUALTRICS_IMPORT = ([json.dumps({"ImportId": n[0].lower() + n[1:], "timeZone": "America/Denver"})
                     for n in QUALTRICS_NAMES[:17]]
                    + [json.dumps({"ImportId": "QID1"}), json.dumps({"ImportId": "QID1_NPS_GROUP"}),
                       json.dumps({"ImportId": "QID2_TEXT"})])
# the seven answers of the plain file below: promoters 3, detractors 2 -> NPS (3 - 2) / 7 = 14.2857
NPS_ANSWERS = ["10 - Extremely likely", "10", "9", "8", "7", "6", "0 - Not at all likely"]
NPS_PLAIN = [10, 10, 9, 8, 7, 6, 0]


def _group(score: int) -> str:
    return "Promoter" if score >= 9 else ("Passive" if score >= 7 else "Detractor")


def _qualtrics_rows() -> list[list]:
    rows = []
    for i, (answer, plain) in enumerate(zip(NPS_ANSWERS, NPS_PLAIN)):
        day = f"2025-05-{i + 1:02d}"
        rows.append([f"{day} 10:00:00", f"{day} 10:04:00", "IP Address", "203.0.113.9", 100, 240, "True",
                     f"{day} 10:04:01", f"R_{i + 1:04d}xyz", "", "", f"p{i}@example.com", f"cust-{i}", "", "",
                     "email" if i % 2 else "anonymous", "EN", answer, _group(plain),
                     "great support" if plain >= 9 else "slow"])
    return rows


SURVEYMONKEY_Q1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                   "First Name", "Last Name", "Custom Data 1",
                   "How likely is it that you would recommend this company to a friend or colleague?",
                   "What is the primary reason for your score?", "Which channels did you use?", ""]
SURVEYMONKEY_Q2 = ["", "", "", "", "", "", "", "", "", "Response", "Open-Ended Response", "Email", "Chat"]
SURVEYMONKEY_ROWS = [
    # scores 10, 10, 9, 7, 3: promoters 3, detractors 1 -> NPS (3 - 1) / 5 = 40
    [114001, 4001, "11/28/2025 10:30:12 AM", "11/28/2025 10:34:12 AM", "198.51.100.1", "", "", "", "", 10,
     "fast", "Email", ""],
    [114002, 4001, "11/29/2025 09:00:00 AM", "11/29/2025 09:02:30 AM", "198.51.100.2", "", "", "", "", 10,
     "", "", "Chat"],
    [114003, 4001, "11/30/2025 01:15:00 PM", "11/30/2025 01:16:00 PM", "198.51.100.3", "", "", "", "", 9,
     "ok", "Email", "Chat"],
    [114004, 4001, "12/01/2025 08:00:00 AM", "12/01/2025 08:03:00 AM", "198.51.100.4", "", "", "", "", 7,
     "", "Email", ""],
    [114005, 4001, "12/02/2025 05:45:00 PM", "12/02/2025 05:50:00 PM", "198.51.100.5", "", "", "", "", 3,
     "never again", "", "Chat"],
]

TYPEFORM_HEADER = ["#", "How likely are you to recommend Acme to a friend?", "Why did you give that score?",
                   "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
TYPEFORM_ROWS = [  # 9, 6, 10, 8: promoters 2, detractors 1 -> NPS 25
    ["a1b2", 9, "good", "2025-07-01 08:00:00", "2025-07-01 08:01:10", "n1"],
    ["c3d4", 6, "meh", "2025-07-01 09:00:00", "2025-07-01 09:02:00", "n2"],
    ["e5f6", 10, "", "2025-07-02 10:00:00", "2025-07-02 10:00:40", "n3"],
    ["g7h8", 8, "fine", "2025-07-03 11:00:00", "2025-07-03 11:03:00", "n4"],
]

DELIGHTED_HEADER = ["Response ID", "Email", "Name", "Score", "Comment", "Created", "Updated", "Permalink", "Notes",
                    "Tags"]
DELIGHTED_ROWS = [  # 10, 8, 2, 9, 9, 5: promoters 3, detractors 2 -> NPS 100/6 = 16.6667
    [501, "a@example.com", "Ann", 10, "love it", "2025-08-01 10:00:00", "2025-08-01 10:00:00", "https://example.com/r/501", "", ""],
    [502, "b@example.com", "Bo", 8, "", "2025-08-02 10:00:00", "2025-08-02 10:00:00", "https://example.com/r/502", "", ""],
    [503, "c@example.com", "Cy", 2, "broken", "2025-08-03 10:00:00", "2025-08-03 10:00:00", "https://example.com/r/503", "", "vip"],
    [504, "d@example.com", "Di", 9, "", "2025-08-04 10:00:00", "2025-08-04 10:00:00", "https://example.com/r/504", "", ""],
    [505, "e@example.com", "Ed", 9, "quick", "2025-08-05 10:00:00", "2025-08-05 10:00:00", "https://example.com/r/505", "", ""],
    [506, "f@example.com", "Flo", 5, "", "2025-08-06 10:00:00", "2025-08-06 10:00:00", "https://example.com/r/506", "", ""],
]

GOOGLE_HEADER = ["Timestamp", "Email Address", "How satisfied were you with our support?", "Any comments?"]
GOOGLE_ROWS = [  # 5, 4, 3, 2, 5: satisfied (4 or 5) 3 of 5 = 60 %, mean 3.8
    ["3/14/2025 10:00:00", "a@example.com", "Very satisfied", "great"],
    ["3/15/2025 11:30:00", "b@example.com", "Satisfied", ""],
    ["3/16/2025 09:15:00", "c@example.com", "Neutral", "ok"],
    ["3/17/2025 16:45:00", "d@example.com", "Dissatisfied", "slow"],
    ["3/18/2025 08:05:00", "e@example.com", "Very satisfied", ""],
]


def _csv(rows: list[list], delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerows(rows)
    return buf.getvalue()


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    """A workbook whose bytes do not depend on the clock (fixed document times)."""
    import datetime as dt
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([None if v == "" else v for v in r])
    fixed = dt.datetime(2025, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    tmp.unlink()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "zendesk_tickets.csv": _csv([ZENDESK_HEADER, *ZENDESK_ROWS]),
        "freshdesk_tickets.csv": _csv([FRESHDESK_HEADER, *FRESHDESK_ROWS]),
        "helpscout_conversations.csv": _csv([HELPSCOUT_HEADER, *HELPSCOUT_ROWS]),
        "intercom_conversations.csv": _csv([INTERCOM_HEADER, *INTERCOM_ROWS]),
        "chatwoot_conversations.csv": _csv([CHATWOOT_HEADER, *CHATWOOT_ROWS]),
        "callcenter_calls.csv": _csv([CALLS_HEADER, *CALLS_ROWS], delimiter=";"),
        "qualtrics_export.csv": _csv([QUALTRICS_NAMES, QUALTRICS_TEXT, QUALTRICS_IMPORT, *_qualtrics_rows()]),
        "plain_nps.csv": _csv([["Response ID", "Responded At", "Score"],
                               *[[i + 1, f"2025-05-{i + 1:02d} 10:04:01", s] for i, s in enumerate(NPS_PLAIN)]]),
        "surveymonkey_export.csv": _csv([SURVEYMONKEY_Q1, SURVEYMONKEY_Q2, *SURVEYMONKEY_ROWS]),
        "typeform_responses.csv": _csv([TYPEFORM_HEADER, *TYPEFORM_ROWS]),
        "delighted_responses.csv": _csv([DELIGHTED_HEADER, *DELIGHTED_ROWS]),
        "google_forms_responses.csv": _csv([GOOGLE_HEADER, *GOOGLE_ROWS]),
    }
    for name, text in files.items():
        # Windows tools write a BOM; Qualtrics does, so its fixture has one too
        data = text.encode("utf-8-sig" if name.startswith("qualtrics") else "utf-8")
        (OUT / name).write_bytes(data)
    _xlsx(OUT / "zendesk_tickets.xlsx", {"Summary": [["Exported", "2025-04-05"]],
                                         "Tickets": [ZENDESK_HEADER, *ZENDESK_ROWS]})
    print(f"wrote {len(files) + 1} files to {OUT}")


if __name__ == "__main__":
    main()

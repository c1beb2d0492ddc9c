"""--where beyond equality: prefix, regex and comparisons (issue #18 part 4), on a UCI-style order-line file."""

from __future__ import annotations

import json

import pytest

from cxkpi.engine import Where
from cxkpi.errors import UsageError

# 4 lines: 536365 A qty 6 × 2.55 = 15.30 (UK), 536366 A 2 × 10 = 20 (France),
# C536379 B −1 × 27.50 (a credit note, UK), 536380 B 3 × 5 = 15 (Germany, February)
UCI = ("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice,Country\n"
       "536365,A,2025-01-05 10:00,6,2.55,United Kingdom\n"
       "536366,A,2025-01-05 11:00,2,10,France\n"
       "C536379,B,2025-01-06 09:00,-1,27.50,United Kingdom\n"
       "536380,B,2025-02-01 09:00,3,5,Germany\n")


@pytest.mark.parametrize("text, column, values, negate, op", [
    ("channel=email,chat", "channel", ("email", "chat"), False, "="),
    ("channel!=email", "channel", ("email",), True, "="),
    ("InvoiceNo!^C", "InvoiceNo", ("C",), True, "^"),
    ("InvoiceNo^C", "InvoiceNo", ("C",), False, "^"),
    ("Country~^united", "Country", ("^united",), False, "~"),
    ("Country!~king", "Country", ("king",), True, "~"),
    ("Quantity>0", "Quantity", ("0",), False, ">"),
    ("Quantity>=-1", "Quantity", ("-1",), False, ">="),
    ("created_at<2025-01-06", "created_at", ("2025-01-06",), False, "<"),
    ("note=a>b", "note", ("a>b",), False, "="),  # the first operator splits; the rest is the value
])
def test_parse(text, column, values, negate, op):
    assert Where.parse(text) == Where(column, values, negate, op)


@pytest.mark.parametrize("text, message", [
    ("channel", "expected COLUMN=VALUE"),
    (">3", "the column name is empty"),
    ("Country~(", "not a regular expression"),
    ("Country^", "expected a prefix"),
    ("Quantity>", "expected a number or a date"),
])
def test_parse_errors(text, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        Where.parse(text)


def _clv(run_cli, path, *where):
    args = ["clv", str(path), "--lifespan", "12", "-f", "json", "-q"]
    for w in where:
        args += ["--where", w]
    code, out, err = run_cli(*args)
    assert code == 0, err
    r = json.loads(out)
    return r["rows"], r["breakdown"].get("orders"), r["breakdown"].get("revenue"), r["breakdown"].get("returns")


def test_filters_on_an_order_line_export(run_cli, write):
    f = write("uci.csv", UCI)
    # sales lines only: 536365, 536366, 536380 -> 3 orders, revenue 15.30 + 20 + 15 = 50.30, no return
    assert _clv(run_cli, f, "Quantity>0") == (3, 3, 50.3, 0)
    assert _clv(run_cli, f, "InvoiceNo!^C") == (3, 3, 50.3, 0)
    # "united" at the start: the two UK lines, one of them the credit note (counted apart, not a row)
    assert _clv(run_cli, f, "Country~^united") == (1, 1, 15.3, 1)
    # not containing "king": France and Germany -> 20 + 15
    assert _clv(run_cli, f, "Country!~KING") == (2, 2, 35.0, 0)
    # a date on a mapped time column: lines on or after 6 January are C536379 (return) and 536380
    assert _clv(run_cli, f, "InvoiceDate>=2025-01-06") == (1, 1, 15.0, 1)
    # two filters apply one after the other: UK and positive -> 536365 only
    assert _clv(run_cli, f, "Country=united kingdom", "Quantity>=1") == (1, 1, 15.3, 0)


def test_a_comparison_needs_a_number_or_a_date(run_cli, write):
    f = write("uci.csv", UCI)
    code, out, err = run_cli("clv", str(f), "--lifespan", "12", "--where", "Quantity>abc")
    assert (code, out) == (2, "")
    assert err.startswith("cxkpi: error: ") and "expected a number or a date such as 2025-01-31 after >" in err

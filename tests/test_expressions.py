"""Computed columns (``amount: =Quantity * UnitPrice``) and list filters (issue #18 part 4).

Every expected value is worked out by hand in a comment; a formula is parsed by ``ast`` and walked
against a whitelist, never evaluated as Python.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cxkpi.errors import MissingColumnsError, UsageError
from cxkpi.io.columns import HeaderIndex
from cxkpi.io.expr import check, is_expression

from .conftest import ROOT, SAMPLE

# order lines, the unit price written with a decimal comma (a European export):
#   536365 A  2 x 3,50  =  7.00
#   536366 A  3 x 1.234,5 (1234.5)  = 3703.50
#   C536367 B -1 x 27,50 = -27.50  a credit note: a return, counted apart
#   536368 B  4 x 2,5    = 10.00
LINES = ("InvoiceNo;CustomerID;InvoiceDate;Quantity;UnitPrice;Ship Country\n"
         "536365;A;2025-01-05 10:00;2;3,50;France\n"
         "536366;A;2025-01-20 10:00;3;1.234,5;Germany\n"
         "C536367;B;2025-01-21 10:00;-1;27,50;France\n"
         "536368;B;2025-01-25 10:00;4;2,5;Spain\n")
AMOUNT = "amount==Quantity * UnitPrice"  # --map CANONICAL=VALUE, and the value is the formula =Quantity * UnitPrice


def _json(run_cli, *args):
    code, out, err = run_cli(*args, "-f", "json")
    assert code == 0, err
    return json.loads(out), err


def _clv(run_cli, path, *extra):
    r, _ = _json(run_cli, "clv", str(path), "--lifespan", "12", *extra)
    b = r["breakdown"]
    return b["orders"], b["revenue"], b["returns"], b["returned_amount"]


def _frame(**cols) -> pd.DataFrame:
    df = pd.DataFrame(cols, dtype=object)
    df.index = pd.RangeIndex(2, 2 + len(df))
    return df


def _computed(text: str, frame: pd.DataFrame, kind: str | None = None):
    bound = check(text, "columns.x", kind).bind(HeaderIndex(list(frame.columns), "f.csv"), "x")
    return bound.evaluate(frame)


# --- evaluation, cell by cell ---------------------------------------------------------------

def test_numbers_are_read_as_everywhere_else():
    df = _frame(Quantity=["2", "3", "-1", "1"], UnitPrice=["3,50", "1,234.5", "27,50", "12,5"])
    out, bad = _computed("=Quantity * UnitPrice", df)
    # 2 x 3.50 = 7; 3 x 1234.5 = 3703.5; -1 x 27.50 = -27.5; 1 x 12.5 (decimal comma) = 12.5
    assert out.tolist() == [7.0, 3703.5, -27.5, 12.5]
    assert bad.empty


def test_a_money_column_reads_its_operands_as_money():
    df = _frame(Amount=["$78.89", "1.234,50 €", "(12.00)"])
    out, bad = _computed("=Amount * 2", df, kind="money")
    # as a money column reads them: 78.89 x 2 = 157.78; 1234.50 x 2 = 2469; (12.00) = -12 -> -24
    assert out.tolist() == pytest.approx([157.78, 2469.0, -24.0]) and bad.empty
    out, bad = _computed("=Amount * 2", df, kind="number")  # a plain number column does not: unreadable
    assert out.isna().all() and bad.to_dict() == {2: "$78.89", 3: "1.234,50 €", 4: "(12.00)"}


def test_an_unreadable_operand_makes_the_cell_unreadable_and_a_missing_one_missing():
    df = _frame(a=["6", "x7", "", "6", "6"], b=["3", "3", "3", "0", None])
    out, bad = _computed("=a / b", df)
    # 6/3 = 2; "x7" unreadable; "" missing -> missing; 6/0 cannot be computed; None missing -> missing
    assert out.iloc[0] == 2.0 and out.iloc[1:].isna().all()
    assert bad.to_dict() == {3: "x7", 5: "division by zero"}


def test_unary_minus_floor_division_remainder_abs_and_parentheses():
    df = _frame(q=["-7", "7"])
    out, _ = _computed("=-q + (q // 2) * 10 + q % 2", df)
    # q = -7: 7 + (-7 // 2 = -4) * 10 + (-7 % 2 = 1) = -32 (Python's floor and remainder)
    # q =  7: -7 + (7 // 2 = 3) * 10 + (7 % 2 = 1) = 24
    assert out.tolist() == [-32.0, 24.0]
    out, _ = _computed("=abs(q) * 2", df)
    assert out.tolist() == [14.0, 14.0]


def test_coalesce_takes_the_first_present_value():
    df = _frame(net=["10", "", "bad"], gross=["12", "24", "36"])
    out, bad = _computed("=coalesce(net, gross / 1.2)", df)
    # 10 present; missing -> 24 / 1.2 = 20; "bad" is present but unreadable: unreadable, not replaced
    assert out.iloc[0] == 10.0 and out.iloc[1] == pytest.approx(20.0) and pd.isna(out.iloc[2])
    assert bad.to_dict() == {4: "bad"}


def test_text_joins_with_a_string_constant():
    df = _frame(Date=["2025-03-03", "2025-03-04", "2025-03-05"], Time=["09:00", None, " 10:15 "])
    out, bad = _computed('=Date + " " + Time', df, kind="time")
    # a missing part leaves the whole value missing (never a midnight the export did not say)
    assert out.iloc[0] == "2025-03-03 09:00" and pd.isna(out.iloc[1]) and out.iloc[2] == "2025-03-05 10:15"
    assert bad.empty


def test_typed_workbook_cells():
    df = pd.DataFrame({"Date": pd.to_datetime(["2025-03-03", "2025-03-04"]), "Time": ["09:00", "10:15"],
                       "Quantity": [2, -1], "UnitPrice": [3.5, 27.5]}, index=[2, 3])
    out, _ = _computed('=Date + " " + Time', df, kind="time")
    # a date cell at midnight joins as its day, not "2025-03-03 00:00:00 09:00"
    assert out.tolist() == ["2025-03-03 09:00", "2025-03-04 10:15"]
    out, _ = _computed("=Quantity * UnitPrice", df, kind="money")
    assert out.tolist() == [7.0, -27.5]  # 2 x 3.5; -1 x 27.5


def test_a_header_with_spaces_or_symbols_in_backquotes():
    df = _frame(**{"Unit Price": ["2"], "Q1 - Score": ["5"], "=Total": ["4"], "a`b": ["3"]})
    out, _ = _computed("=`Unit Price` * `Q1 - Score` + `=Total` * `a``b`", df)
    assert out.tolist() == [2 * 5 + 4 * 3]  # 22
    # a backquote inside "text" is text, not a header
    out, _ = _computed('=`Unit Price` + "`"', df)
    assert out.tolist() == ["2`"]


def test_only_a_leading_equals_sign_marks_a_formula():
    assert is_expression("=Quantity * UnitPrice") and is_expression("  = Quantity")
    assert not is_expression("Q1 - Score") and not is_expression("Unit*Price") and not is_expression("a=b")


# --- rejected constructs: one line, naming the setting, the formula and the part -------------

@pytest.mark.parametrize("formula, part", [
    ("=__import__('os')", "a dunder name (__import__)"),
    ("=__class__", "a dunder name (__class__)"),
    ("=Quantity.real", "attribute access (Quantity.real)"),
    ("=x[0]", "indexing (x[0])"),
    ("=lambda: 1", "lambda (lambda: 1)"),
    ("=open('x')", "the function open()"),
    ("=eval('1')", "the function eval()"),
    ("=(x for x in y)", "a comprehension"),
    ("=[x for x in y]", "a comprehension"),
    ("=x if y else z", "if/else"),
    ("=x > 1", "a comparison"),
    ("=Quantity ** 2", "the operator **"),
    ("=abs(x=1)", "abs() with keyword or * arguments"),
    ("=f'{x}'", "an f-string"),
    ("=True", "the constant True"),
    ("=(x := 1)", "assignment (:=)"),
    ("=1e999", "beyond ±1e15"),
    ("=Quantity *", "not a formula (invalid syntax)"),
    ("=1if x else 2", "if/else"),  # ast warns about "1if"; the warning is silenced, the error says it
    ("=", "empty expression"),
    ("=`Unit", "a backquote (`) is never closed"),
    ('="a" * 2', "only + joins text"),
    ('=Date + " " + Qty * 2', "+ joins text here, but Qty * 2 is a number"),
    ("=" + "+".join(["a"] * 300), "longer than 500 characters"),
])
def test_rejected_through_the_cli(run_cli, write, formula, part):
    f = write("lines.csv", LINES)
    code, out, err = run_cli("clv", str(f), "--lifespan", "12", "--map", f"amount={formula}")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("cxkpi: error: columns.amount: ")
    assert part in err
    assert repr(formula.strip()) in err or "longer than" in err


def test_a_rejected_formula_in_the_config_names_its_path(run_cli, write):
    f = write("lines.csv", LINES)
    cfg = write("cx.yaml", "sources:\n  orders:\n    columns:\n      amount: =Quantity.real * UnitPrice\n"
                           "      order_at: =InvoiceDate * 2\n")
    code, out, err = run_cli("clv", str(f), "--lifespan", "12", "--config", str(cfg))
    assert (code, out) == (2, "")
    assert "sources.orders.columns.amount: '=Quantity.real * UnitPrice': attribute access (Quantity.real)" in err
    # a formula that adds numbers cannot be a time: said before any file is read
    assert "sources.orders.columns.order_at: '=InvoiceDate * 2': a time column needs text" in err


def test_a_missing_header_is_named_with_the_closest(run_cli, write):
    f = write("lines.csv", LINES)
    code, out, err = run_cli("clv", str(f), "--lifespan", "12", "--map", "amount==Qty * UnitPrice")
    assert (code, out) == (2, "")
    assert "no column 'Qty' (used in amount =Qty * UnitPrice); closest: 'Quantity'" in err


def test_check_raises_usage_errors_and_bind_missing_columns():
    with pytest.raises(UsageError, match=r"^s\.x: '=a\.b': attribute access"):
        check("=a.b", "s.x")
    with pytest.raises(MissingColumnsError, match="no column 'c'"):
        check("=a + c", "s.x").bind(HeaderIndex(["a", "b"], "f.csv"), "x")


def test_nothing_is_evaluated_as_python():
    import ast

    tree = ast.parse((ROOT / "cxkpi" / "io" / "expr.py").read_text())
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert called and not called & {"eval", "exec", "compile", "__import__", "getattr", "setattr"}


# --- end to end ------------------------------------------------------------------------------

def test_order_lines_amount_from_quantity_and_a_decimal_comma_price(run_cli, write):
    f = write("lines.csv", LINES)
    # sales: 7.00 + 3703.50 + 10.00 = 3720.50 in 3 orders; the credit note (-27.50) is a return, apart
    orders, revenue, returns, returned = _clv(run_cli, f, "--map", AMOUNT)
    assert (orders, returns) == (3, 1)
    assert revenue == pytest.approx(3720.5) and returned == pytest.approx(27.5)


def test_the_same_formula_from_the_config(run_cli, write):
    f = write("lines.csv", LINES)
    cfg = write("cx.yaml", "sources:\n  orders:\n    columns:\n      amount: =Quantity * UnitPrice\n")
    assert _clv(run_cli, f, "--config", str(cfg)) == _clv(run_cli, f, "--map", AMOUNT)


def test_an_unreadable_price_skips_the_row_with_the_column_reason(run_cli, write):
    f = write("lines.csv", LINES.replace("1.234,5", "n/k"))
    r, err = _json(run_cli, "clv", str(f), "--lifespan", "12", "--map", AMOUNT)
    # 536366 (row 3) cannot be computed: skipped; sales 7 + 10 = 17 in 2 orders
    assert r["skipped"]["reasons"] == {"amount: unreadable value": {"count": 1, "rows": [3]}}
    assert r["breakdown"]["revenue"] == pytest.approx(17.0) and r["breakdown"]["orders"] == 2


def test_date_and_time_columns_joined_into_created_at_for_frt(run_cli, write):
    f = write("tickets.csv", "Ticket,Date,Time,First Reply\n"
                             "T1,2025-03-03,09:00,2025-03-03 09:30\n"
                             "T2,2025-03-03,,2025-03-03 12:00\n"
                             "T3,2025-03-04,10:15,2025-03-04 11:15\n")
    r, _ = _json(run_cli, "frt", str(f), "--map", 'created_at==Date + " " + Time',
                 "--map", "first_response_at=First Reply")
    # T1 09:00 -> 09:30 = 30 min, T3 10:15 -> 11:15 = 60 min: mean 45; T2 has no time, so no created_at
    assert r["value"] == pytest.approx(45.0) and r["breakdown"]["median"] == pytest.approx(45.0)
    assert r["skipped"]["reasons"] == {"no created_at to time the first response": {"count": 1, "rows": [3]}}
    # --date takes the same formula for the KPI's main timestamp
    again, _ = _json(run_cli, "frt", str(f), "--date", '=Date + " " + Time', "--map", "first_response_at=First Reply")
    assert (again["value"], again["n"]) == (r["value"], r["n"]) == (45.0, 2)


def test_a_fraction_of_a_day_as_seconds(run_cli, write):
    # talk 0.0125 d x 86400 = 1080 s = 18 min; 0.025 d = 2160 s = 36 min: mean AHT 27 min
    f = write("calls.csv", "call_id,talk_fraction\nK1,\"0,0125\"\nK2,0.025\n")
    r, _ = _json(run_cli, "aht", str(f), "--map", "talk_seconds==talk_fraction * 86400")
    assert r["value"] == pytest.approx(27.0)


def test_a_plain_header_with_symbols_stays_a_header(run_cli, write):
    f = write("lines.csv", "Order ID,Customer ID,Order At,Line - Total\nO1,A,2025-01-05,10\nO2,A,2025-01-06,20\n")
    # "Line - Total" is one header, not Line minus Total: revenue 10 + 20 = 30
    assert _clv(run_cli, f, "--map", "amount=Line - Total")[:2] == (2, 30.0)
    assert _clv(run_cli, f, "--map", "amount==`Line - Total` * 2")[:2] == (2, 60.0)


def test_a_header_a_formula_reads_still_fills_its_own_column(run_cli, write):
    f = write("surveys.csv", "Survey,Channel,Score,Responded At\n"
                             "CSAT,chat,5,2025-05-01\nCSAT,chat,2,2025-05-02\nCSAT,mail,4,2025-05-03\n"
                             "NPS,chat,9,2025-05-04\n")
    r, _ = _json(run_cli, "csat", str(f), "--survey", "CSAT", "--map", 'segment==Survey + "/" + Channel',
                 "--by", "segment")
    # the NPS row is left out by survey (the Survey header, also read by the formula):
    # CSAT/chat 1 of 2 satisfied (5; 2 is not) = 50 %, CSAT/mail 1 of 1 = 100 %
    groups = {g["key"]["segment"]: (g["n"], g["value"]) for g in r["groups"]}
    assert groups == {"CSAT/chat": (2, 50.0), "CSAT/mail": (1, 100.0)}


def test_docs_example_on_sample_orders(run_cli):
    """docs/columns.md: CLV on amounts net of 20 % VAT is the gross CLV / 1.2, every money field likewise."""
    orders = str(SAMPLE / "orders.csv")
    gross, _ = _json(run_cli, "clv", orders, "--lifespan", "12")
    net, _ = _json(run_cli, "clv", orders, "--lifespan", "12", "--map", "amount==Amount / 1.2")
    assert net["value"] == pytest.approx(gross["value"] / 1.2, rel=1e-4)
    assert net["breakdown"]["revenue"] == pytest.approx(gross["breakdown"]["revenue"] / 1.2, rel=1e-6)
    assert net["breakdown"]["orders"] == gross["breakdown"]["orders"]
    assert "columns.md" in (ROOT / "README.md").read_text()
    assert 'amount==Amount / 1.2' in (ROOT / "docs" / "columns.md").read_text()


# --- --where lists: = and != already take several values --------------------------------------

def test_where_lists_are_in_and_not_in(run_cli, write):
    f = write("lines.csv", LINES)
    # "in": France or Germany -> 536365 (7.00), 536366 (3703.50), and the French credit note apart
    orders, revenue, returns, _ = _clv(run_cli, f, "--map", AMOUNT, "--where", "Ship Country=France,germany")
    assert (orders, returns) == (2, 1) and revenue == pytest.approx(3710.5)
    # "not in": neither France nor Germany -> 536368 only, 10.00
    orders, revenue, returns, _ = _clv(run_cli, f, "--map", AMOUNT, "--where", "Ship Country!=France, Germany")
    assert (orders, returns) == (1, 0) and revenue == pytest.approx(10.0)


@pytest.mark.parametrize("text, column, values, negate", [
    ("Ship Country=France,germany", "Ship Country", ("France", "germany"), False),
    ("Ship Country!=France, Germany", "Ship Country", ("France", "Germany"), True),
    # why there is no " in " operator: a header may hold the word ("Logged in", "Check in time")
    ("Logged in=yes,no", "Logged in", ("yes", "no"), False),
    ("Check in time!=late", "Check in time", ("late",), True),
])
def test_where_lists_parse_with_headers_that_hold_spaces_and_words(text, column, values, negate):
    from cxkpi.engine import Where

    assert Where.parse(text) == Where(column, values, negate, "=")

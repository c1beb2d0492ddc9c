"""`cxkpi clv` on order-line exports (a row per product in an order: Shopify, WooCommerce, UCI
Online Retail). Every expected value is worked out by hand in a comment."""

from __future__ import annotations

import json

import pytest

from cxkpi.api import compute_file
from cxkpi.cli.app import main


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return str(path)


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


# 2 customers, 3 orders, 5 sales lines and one return line; no amount column, so a line's
# amount is quantity x unit_price:
#   A  1001  2 x 10 = 20  +  1 x 30 = 30   -> order 1001 = 50
#   A  1002  1 x 20 = 20                   -> order 1002 = 20
#   B  1003  3 x 10 = 30  +  1 x 5  = 5    -> order 1003 = 35
#   B  C1003 -1 x 10 = -10                 -> a return line: not a sale, not an order
# revenue = 50 + 20 + 35 = 105 (sales lines only); orders = 3 distinct (customer, order_id)
# AOV = 105 / 3 = 35 (counting rows as orders would give 105 / 5 = 21)
# orders per customer = 3 / 2 = 1.5; returns = 1, returned_amount = 10
# months covered: 5 Jan to the day after the last line (26 Jan) = 21 / 31
# frequency = 3 / 2 / (21/31) = 1.5 x 31 / 21; CLV with a 12-month lifespan =
#   35 x 1.5 x 31 / 21 x 12 = 52.5 x 31 / 21 x 12 = 77.5 x 12 = 930
LINES = """
Order ID,Customer ID,Order Date,Qty,Unit Price,channel
1001,A,2025-01-05 10:00,2,10.00,web
1001,A,2025-01-05 10:00,1,30.00,web
1002,A,2025-01-20 09:00,1,20.00,web
1003,B,2025-01-10 12:00,3,10.00,shop
1003,B,2025-01-10 12:00,1,$5.00,shop
C1003,B,2025-01-25 08:00,-1,10.00,shop
"""


def test_order_lines_count_distinct_orders_and_returns_apart(tmp_path):
    path = write(tmp_path, "lines.csv", LINES)
    r = compute_file("clv", path, settings={"lifespan": 12.0})
    b = r.breakdown
    assert (b["orders"], b["customers"], b["returns"]) == (3, 2, 1)
    assert b["revenue"] == pytest.approx(105.0)
    assert b["aov"] == pytest.approx(35.0)
    assert b["orders_per_customer"] == pytest.approx(1.5)
    assert b["returned_amount"] == pytest.approx(10.0)
    assert b["months"] == pytest.approx(21 / 31)
    assert b["frequency"] == pytest.approx(1.5 * 31 / 21)
    assert r.value == pytest.approx(930.0)
    assert r.n == 2
    # the return line is counted apart, not skipped (it is no error): 6 lines - 1 return = 5 rows
    assert r.skipped.total == 0 and r.rows == 5
    notes = " | ".join(r.notes)
    assert "line amount = quantity × unit_price" in notes
    assert "5 sales lines in 3 orders" in notes
    assert "1 return / credit line in the file (1 with a negative quantity)" in notes
    assert "not netted" in notes


def test_returns_land_in_their_group(tmp_path):
    path = write(tmp_path, "lines.csv", LINES)
    r = compute_file("clv", path, by=["channel"], settings={"lifespan": 12.0})
    g = {grp.key["channel"]: grp.breakdown for grp in r.groups}
    # web: A's orders 1001 (50) and 1002 (20): 2 orders, AOV 35, 2 orders for 1 customer, no return
    assert (g["web"]["orders"], g["web"]["orders_per_customer"], g["web"]["returns"]) == (2, 2.0, 0)
    assert g["web"]["aov"] == pytest.approx(35.0) and g["web"]["returned_amount"] == 0
    # shop: B's order 1003 (35) and the return of 10
    assert (g["shop"]["orders"], g["shop"]["returns"]) == (1, 1)
    assert g["shop"]["aov"] == pytest.approx(35.0) and g["shop"]["returned_amount"] == pytest.approx(10.0)


def test_strict_does_not_fail_on_a_return_line(tmp_path):
    # a return is data, not an unreadable row: --strict (which fails on skipped rows) accepts it
    path = write(tmp_path, "lines.csv", LINES)
    r = compute_file("clv", path, strict=True, settings={"lifespan": 12.0})
    assert r.breakdown["returns"] == 1


def test_uci_online_retail_headers_map_themselves(tmp_path, capsys):
    # UCI Online Retail: InvoiceNo -> order_id, Quantity -> quantity, InvoiceDate -> order_at,
    # UnitPrice -> unit_price, CustomerID -> customer_id; StockCode, Description, Country unread.
    #   17850  536365  6 x 2.55 = 15.30  +  6 x 3.39 = 20.34    (order 35.64)
    #   17850  536366  6 x 1.85 = 11.10
    #   13047  536367  32 x 1.69 = 54.08  +  6 x 2.10 = 12.60   (order 66.68)
    #   13047  536368  6 x 4.25 = 25.50
    #   14527  C536379 -1 x 27.50: a cancellation (negative quantity): returns 1, returned 27.50;
    #          its customer bought nothing, so is no customer
    #   (blank) 536414: no CustomerID -> skipped "no customer_id"
    # revenue = 15.30 + 20.34 + 11.10 + 54.08 + 12.60 + 25.50 = 138.92; 4 orders, 2 customers
    # AOV = 138.92 / 4 = 34.73; orders per customer = 4 / 2 = 2
    # months: 1 Dec to 14 Dec 2010 = 13 / 31; frequency = 4 / 2 / (13/31) = 62 / 13
    # CLV over 12 months = 34.73 x 62 / 13 x 12
    path = write(tmp_path, "Online Retail.csv", """
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,17850,United Kingdom
536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/1/2010 8:34,1.69,13047,United Kingdom
536367,22745,POPPY'S PLAYHOUSE BEDROOM,6,12/1/2010 8:34,2.10,13047,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536414,22139,,56,12/1/2010 11:52,0,,United Kingdom
536368,22960,JAM MAKING SET WITH JARS,6,12/13/2010 8:34,4.25,13047,United Kingdom
""")
    code, out, err = run_cli(["clv", path, "--lifespan", "12", "--format", "json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    b = r["breakdown"]
    assert (b["orders"], b["customers"], b["returns"]) == (4, 2, 1)
    assert b["revenue"] == pytest.approx(138.92)
    assert b["aov"] == pytest.approx(34.73)
    assert b["orders_per_customer"] == pytest.approx(2.0)
    assert b["returned_amount"] == pytest.approx(27.50)
    assert b["months"] == pytest.approx(13 / 31)
    assert r["value"] == pytest.approx(34.73 * 62 / 13 * 12, rel=1e-6)
    # the line without a CustomerID is file row 8 (row 1 is the header)
    assert r["skipped"] == {"total": 1, "reasons": {"no customer_id": {"count": 1, "rows": [8]}}}


def test_credit_line_with_a_negative_amount(tmp_path):
    # amount is mapped, so it is the line amount (quantity is read only to spot returns):
    #   order 1 = 40 + 60 = 100 (A), order 2 = 50 (B); credit note 3 of -20 (B): returns 1, returned 20
    # revenue 150 over 2 orders -> AOV 75 (netting the credit would have given 130 / 3 rows = 43.33)
    path = write(tmp_path, "woo.csv", """
Order Number,Customer ID,Order Date,Quantity,Amount
1,A,2025-03-01,2,40
1,A,2025-03-01,1,60
2,B,2025-03-10,1,50
3,B,2025-03-12,1,-20
""")
    r = compute_file("clv", path, settings={"lifespan": 12.0})
    b = r.breakdown
    assert (b["orders"], b["customers"], b["returns"]) == (2, 2, 1)
    assert (b["revenue"], b["aov"], b["returned_amount"]) == pytest.approx((150.0, 75.0, 20.0))
    assert b["orders_per_customer"] == pytest.approx(1.0)
    assert any("(1 with a negative amount)" in n for n in r.notes)


def test_one_row_per_order_is_unchanged(tmp_path):
    # test_clv_orders_model_spec_example's orders: 4 orders of 40, 60, 50, 50 -> AOV 50, 2 orders per
    # customer per month, CLV 50 x 2 x 36 = 3,600 -- the same with or without a unique order_id column
    plain = write(tmp_path, "orders.csv", """
Customer ID,Order At,Amount
A,2025-01-01 09:00,40
A,2025-01-20 12:00,60
B,2025-01-05 10:00,50
B,2025-01-31 10:00,50
""")
    with_ids = write(tmp_path, "orders_ids.csv", """
Order ID,Customer ID,Order At,Amount
o1,A,2025-01-01 09:00,40
o2,A,2025-01-20 12:00,60
o3,B,2025-01-05 10:00,50
o4,B,2025-01-31 10:00,50
""")
    for path in (plain, with_ids):
        r = compute_file("clv", path, settings={"lifespan": 36.0})
        b = r.breakdown
        assert r.value == pytest.approx(3600.0)
        # orders per customer = 4 / 2 = 2; no return line
        assert (b["orders"], b["customers"], b["orders_per_customer"], b["returns"]) == (4, 2, 2.0, 0)
        assert b["returned_amount"] == 0
        assert not any("return" in n for n in r.notes)


def test_blank_order_id_is_skipped_with_its_reason(tmp_path):
    # with order_id mapped a line without one cannot be put in an order: skipped, not a new order
    # orders: A's 1 (30 + 10 = 40) -> 1 order, AOV 40
    path = write(tmp_path, "lines.csv", """
order_id,customer_id,order_at,quantity,unit_price
1,A,2025-01-05,1,30
1,A,2025-01-05,1,10
,A,2025-01-06,1,99
""")
    r = compute_file("clv", path, settings={"lifespan": 12.0})
    assert (r.breakdown["orders"], r.breakdown["aov"]) == (1, pytest.approx(40.0))
    assert r.skipped.counts == {"no order_id": 1}


def test_missing_quantity_names_both_ways(tmp_path, capsys):
    # neither amount nor quantity: the error names both alternatives for an orders export
    path = write(tmp_path, "lines.csv", """
order_id,customer_id,order_at,unit_price
1,A,2025-01-05,30
""")
    code, out, err = run_cli(["clv", path], capsys)
    assert code != 0 and out == ""
    assert "'amount'" in err and "'quantity' + 'unit_price'" in err
    assert "Traceback" not in err

"""Parquet input (issue #16 part 2): the mapped columns only, typed as stored, the same results as the CSV."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from .conftest import ROOT

CASES = [
    ("tickets.csv", ["frt", "--by", "channel", "--period", "month"]),
    ("tickets.csv", ["resolution", "--stat", "median"]),
    ("tickets.csv", ["fcr"]),
    ("surveys.csv", ["nps", "--by", "channel"]),
    ("surveys.csv", ["csat"]),
]


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory):
    """sample_data's CSVs as Parquet, with the types pyarrow infers (timestamps, int64, strings) and one
    column dictionary-encoded, as exports from warehouses are."""
    folder = tmp_path_factory.mktemp("parquet")
    out = {}
    for name in ("tickets.csv", "surveys.csv"):
        table = pacsv.read_csv(ROOT / "sample_data" / name)
        i = table.column_names.index("Channel")
        table = table.set_column(i, "Channel", table.column("Channel").dictionary_encode())
        path = folder / name.replace(".csv", ".parquet")
        pq.write_table(table, path)
        out[name] = path
    return out


@pytest.mark.parametrize("csv_name, args", CASES, ids=[" ".join(a[:1]) + "-" + c for c, a in CASES])
def test_parquet_gives_the_csv_result(run_cli, parquet_files, csv_name, args):
    kpi, rest = args[0], args[1:]
    code, out_p, err = run_cli(kpi, str(parquet_files[csv_name]), *rest, "-f", "json", "-q")
    assert code == 0, err
    code, out_c, err = run_cli(kpi, str(ROOT / "sample_data" / csv_name), *rest, "-f", "json", "-q")
    assert code == 0, err
    p, c = json.loads(out_p), json.loads(out_c)
    p.pop("file"), c.pop("file")
    assert p == c


def test_parquet_reads_only_the_mapped_columns(parquet_files, monkeypatch):
    seen = []
    real = pq.ParquetFile.read

    def spy(self, columns=None, **kw):
        seen.append(columns)
        return real(self, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    from cxkpi.io.load import load_source

    data = load_source(parquet_files["tickets.csv"], "tickets", ["created_at", "first_response_at"])
    assert seen == [["Created At", "First Response At"]]
    assert list(data.frame.columns) == ["created_at", "first_response_at"]


def test_a_broken_parquet_file_is_one_line(run_cli, tmp_path):
    f = tmp_path / "cut.parquet"
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"score": [9, 10, 3]}), good)
    f.write_bytes(good.read_bytes()[:40])  # the PAR1 magic, then nothing a reader can use
    code, out, err = run_cli("nps", str(f))
    assert (code, out) == (1, "")
    assert err.startswith(f"cxkpi: error: {f}: not a readable Parquet file (") and err.count("\n") == 1
    # 10 and 9 are promoters, 3 a detractor: NPS = 100 × (2 − 1) / 3 = 33.33
    code, out, err = run_cli("nps", str(good), "-f", "json")
    assert code == 0 and round(json.loads(out)["value"], 2) == 33.33

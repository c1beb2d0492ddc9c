"""--cache DIR: parsed files are kept, a later run parses only new or changed files, same result."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import ROOT, SAMPLE


def _json(run_cli, *args) -> dict:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    data.pop("generated_at", None)
    return data


@pytest.fixture
def body_reads(monkeypatch):
    """The files whose rows were read (a header-only read does not count)."""
    import cxkpi.io.load as load

    seen: list[str] = []
    real = load.read_table

    def counting(source, label, options, columns):
        if columns != []:
            seen.append(os.path.basename(label))
        return real(source, label, options, columns)

    monkeypatch.setattr(load, "read_table", counting)
    return seen


def test_a_cached_report_of_every_kpi_is_the_cold_run(tmp_path, run_cli, body_reads):
    args = ["report", "-c", ROOT / "config.example.yaml", "--period", "month"]
    cold = _json(run_cli, *args)
    first = _json(run_cli, *args, "--cache", tmp_path / "cache")
    assert body_reads  # the first cached run parsed the files
    body_reads.clear()
    warm = _json(run_cli, *args, "--cache", tmp_path / "cache")
    assert body_reads == []  # every source came from the cache
    assert first == cold and warm == cold
    assert not [p for p in os.listdir(tmp_path / "cache") if p.startswith(".tmp-")]  # no half entry left


def _months(folder, n: int) -> None:
    """The sample tickets split into monthly files with the header (the first ``n`` months)."""
    lines = (SAMPLE / "tickets.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    at = header.split(",").index("Created At")
    by_month: dict[str, list[str]] = {}
    for row in rows:
        by_month.setdefault(row.split(",")[at][:7], []).append(row)
    folder.mkdir(exist_ok=True)
    for month in sorted(k for k in by_month if k[:2] == "20")[:n]:
        if (folder / f"tickets-{month}.csv").exists():  # a nightly export leaves the older files alone
            continue
        (folder / f"tickets-{month}.csv").write_text("\n".join([header, *by_month[month]]) + "\n", encoding="utf-8")


def test_a_new_file_in_the_folder_is_the_only_one_parsed(tmp_path, run_cli, body_reads):
    exports, cache = tmp_path / "exports", tmp_path / "cache"
    _months(exports, 3)
    args = ["frt", exports, "--by", "channel", "--period", "month", "--cache", cache]
    _json(run_cli, *args)
    assert len(body_reads) == 3
    _months(exports, 4)  # the nightly export adds a month
    body_reads.clear()
    warm = _json(run_cli, *args)
    assert body_reads == [sorted(os.listdir(exports))[-1]]  # the new month only
    cold = _json(run_cli, "frt", exports, "--by", "channel", "--period", "month")
    assert warm == cold


def test_only_the_changed_file_is_parsed_again(tmp_path, run_cli, body_reads):
    exports, cache = tmp_path / "exports", tmp_path / "cache"
    _months(exports, 3)
    args = ["frt", exports, "--cache", cache]
    _json(run_cli, *args)
    files = sorted(os.listdir(exports))
    (exports / "tickets-2099-01.csv").write_text((exports / files[0]).read_text(encoding="utf-8"), encoding="utf-8")
    body_reads.clear()
    warm = _json(run_cli, *args)
    assert body_reads == ["tickets-2099-01.csv"]  # the three files left alone came from the cache
    assert warm == _json(run_cli, "frt", exports)


def test_a_load_option_is_part_of_the_key(tmp_path, run_cli, body_reads):
    args = ["frt", SAMPLE / "tickets.csv", "--cache", tmp_path / "cache"]
    _json(run_cli, *args)
    body_reads.clear()
    berlin = _json(run_cli, *args, "--timezone", "Europe/Berlin")
    assert body_reads == ["tickets.csv"]  # another zone reads the times differently: parsed again
    assert berlin == _json(run_cli, "frt", SAMPLE / "tickets.csv", "--timezone", "Europe/Berlin")


def test_a_damaged_entry_is_ignored_and_written_again(tmp_path, run_cli, body_reads):
    cache = tmp_path / "cache"
    args = ["nps", SAMPLE / "surveys.csv", "--cache", cache]
    cold = _json(run_cli, *args)
    (entry,) = [e for e in os.listdir(cache) if e != "hashes"]  # hashes/: notes of content hashes
    (cache / entry).write_bytes(b"ARROW1 truncated")
    body_reads.clear()
    assert _json(run_cli, *args) == cold
    assert body_reads == ["surveys.csv"]
    body_reads.clear()
    assert _json(run_cli, *args) == cold and body_reads == []  # rewritten whole


def test_a_cache_that_is_a_file_is_a_one_line_error(tmp_path, run_cli):
    (tmp_path / "c").write_text("x")
    code, out, err = run_cli("nps", SAMPLE / "surveys.csv", "--cache", tmp_path / "c")
    assert code != 0 and "--cache" in err and "not a folder" in err and len(err.strip().splitlines()) == 1


def test_a_cache_folder_that_cannot_be_written_costs_a_parse_not_the_run(tmp_path, run_cli, monkeypatch):
    # a read-only folder (or a full disk) refuses the temporary entry: the run still gives its result
    import tempfile

    def refused(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    cold = _json(run_cli, "nps", SAMPLE / "surveys.csv")
    assert _json(run_cli, "nps", SAMPLE / "surveys.csv", "--cache", tmp_path / "cache") == cold
    assert [e for e in os.listdir(tmp_path / "cache") if e != "hashes"] == []
    assert not list((tmp_path / "cache").rglob("*.json"))  # nor a note of a hash


def test_the_key_does_not_depend_on_the_order_options_were_built_in():
    # with_preset unites a preset's label columns with the config's through a set, whose order follows
    # the process's string hashes: the same labels in either order must give the same key text
    from cxkpi.io.cache import _option_text
    from cxkpi.io.load import LoadOptions

    one = LoadOptions(labels={"satisfaction": {"Good": 5}, "channel": {"E-mail": "email"}})
    other = LoadOptions(labels={"channel": {"E-mail": "email"}, "satisfaction": {"Good": 5}})
    assert _option_text(one) == _option_text(other)
    assert _option_text(one) != _option_text(LoadOptions(labels={"channel": {"E-mail": "mail"}}))


def test_the_joined_source_is_cached_too(tmp_path, run_cli, body_reads):
    # csat --by tickets.topic reads two files, ticket_surveys.csv and tickets.csv: the second run parses
    # neither (before, the joined tickets.csv was parsed on every run) and gives the same result
    cfg = tmp_path / "joins.yaml"
    cfg.write_text(f"sources:\n  surveys:\n    file: {SAMPLE / 'ticket_surveys.csv'}\n"
                   "    columns: {response_id: Response ID, ticket_id: Ticket ID, responded_at: Responded At, "
                   f"score: Score}}\n  tickets: {{file: {SAMPLE / 'tickets.csv'}}}\n"
                   "joins: [surveys.ticket_id -> tickets.ticket_id]\n", encoding="utf-8")
    args = ["csat", "-c", cfg, "--by", "tickets.topic", "--cache", tmp_path / "cache"]
    cold = _json(run_cli, *args)
    assert sorted(body_reads) == ["ticket_surveys.csv", "tickets.csv"]
    body_reads.clear()
    assert _json(run_cli, *args) == cold and body_reads == []


@pytest.fixture
def hashed(monkeypatch):
    """The files whose bytes were hashed."""
    from cxkpi.io import cache

    seen: list[str] = []
    real = cache._read_facts  # one read of the bytes: the content hash and the quote count

    def counting(path):
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(cache, "_read_facts", counting)
    monkeypatch.setattr(cache, "_FACTS", {})
    return seen


def _settled(path, seconds_ago: int = 60) -> None:
    t = __import__("time").time() - seconds_ago
    os.utime(path, (t, t))


def test_an_unchanged_file_is_not_hashed_again(tmp_path, run_cli, hashed, monkeypatch):
    # a nightly run over the same files: the first run hashes surveys.csv and notes it; the second trusts
    # the note (same device, inode, size, mtime, ctime; mtime 60 s before the hashing)
    from cxkpi.io import cache

    data = tmp_path / "surveys.csv"
    data.write_bytes((SAMPLE / "surveys.csv").read_bytes())
    _settled(data)
    args = ["nps", data, "--cache", tmp_path / "cache"]
    cold = _json(run_cli, *args)
    assert hashed == ["surveys.csv"]
    hashed.clear()
    monkeypatch.setattr(cache, "_FACTS", {})  # a new process
    assert _json(run_cli, *args) == cold and hashed == []


def test_a_rewritten_file_is_hashed_again_even_with_its_old_size_and_mtime(tmp_path, run_cli, hashed, monkeypatch):
    # the rewrite keeps the size and puts the mtime back; its ctime moved, so the note is not trusted,
    # the bytes are hashed and the new answers counted: 3 promoters (9, 9, 9) of 3 → NPS 100
    from cxkpi.io import cache

    data = tmp_path / "s.csv"
    data.write_text("score\n0\n0\n0\n", encoding="utf-8")
    _settled(data)
    before = os.stat(data)
    args = ["nps", data, "--cache", tmp_path / "cache"]
    assert _json(run_cli, *args)["value"] == -100  # three detractors
    __import__("time").sleep(0.01)
    data.write_text("score\n9\n9\n9\n", encoding="utf-8")
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(data).st_size == before.st_size and os.stat(data).st_mtime_ns == before.st_mtime_ns
    hashed.clear()
    monkeypatch.setattr(cache, "_FACTS", {})
    assert _json(run_cli, *args)["value"] == 100
    assert hashed == ["s.csv"]


def test_a_file_written_just_before_its_hashing_is_hashed_again(tmp_path, run_cli, hashed, monkeypatch):
    # mtime within 2 s of the hashing: a write in the same tick of a coarse clock could go unseen
    from cxkpi.io import cache

    data = tmp_path / "surveys.csv"
    data.write_bytes((SAMPLE / "surveys.csv").read_bytes())  # mtime: now
    args = ["nps", data, "--cache", tmp_path / "cache"]
    _json(run_cli, *args)
    hashed.clear()
    monkeypatch.setattr(cache, "_FACTS", {})
    _json(run_cli, *args)
    assert hashed == ["surveys.csv"]

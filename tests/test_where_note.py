"""A --where that matches no row says so on stderr, naming the column's values (closest first).

Before: `--where channel=emial` gave n 0, exit 0 and no word, a typo passing for "no data".
The result stays honest (n 0, value null) and exits 0; with --strict it is a usage error (exit 2).
"""

from __future__ import annotations

import json

CSV = "channel,score\n" + "email,10\n" * 3 + "chat,6\n" * 2 + "phone,9\n" + "web,8\n" + "e-mail,0\n"
NOTE = ("--where channel=emial: no row matched (of 8); 'channel' has 'email', 'e-mail', 'web', 'chat', 'phone' "
        "(closest first)")
# closeness to "emial" (difflib ratio = 2 × matched letters / both lengths): email 2·4/10 = 0.8,
# e-mail 2·4/11 = 0.727, web 2·1/8 = 0.25 (e), chat 2·1/9 = 0.222 (a), phone 2·1/10 = 0.2 (e)


def test_where_matching_no_row_is_said_on_stderr(run_cli, write):
    path = write("s.csv", CSV)
    code, out, err = run_cli("nps", path, "--where", "channel=emial", "--format", "json")
    assert code == 0
    r = json.loads(out)
    assert (r["n"], r["value"]) == (0, None)
    assert f"nps: {NOTE}\n" in err
    assert NOTE in r["notes"]


def test_said_on_stderr_also_when_the_table_shows_it(run_cli, write):
    path = write("s.csv", CSV)
    code, out, err = run_cli("nps", path, "--where", "channel=emial")
    assert code == 0 and f"nps: {NOTE}\n" in err


def test_strict_makes_it_a_usage_error(run_cli, write):
    path = write("s.csv", CSV)
    code, out, err = run_cli("nps", path, "--where", "channel=emial", "--strict")
    assert code == 2 and out == ""
    assert err.strip() == f"cxkpi: error: {path}: {NOTE}"


def test_a_filter_that_matches_says_nothing(run_cli, write):
    path = write("s.csv", CSV)
    code, out, err = run_cli("nps", path, "--where", "channel=email", "--format", "json")
    assert code == 0 and "--where" not in err
    # 3 answers of 10: promoters 3 → 100 × 3 / 3
    assert (json.loads(out)["n"], json.loads(out)["value"]) == (3, 100.0)


def test_negated_filter_that_drops_every_row(run_cli, write):
    path = write("s.csv", "channel,score\nemail,10\nemail,9\n")
    code, out, err = run_cli("nps", path, "--where", "channel!=email", "--format", "json")
    assert code == 0 and json.loads(out)["n"] == 0
    assert "nps: --where channel!=email: no row matched (of 2); 'channel' has 'email' (closest first)\n" in err


def test_an_empty_file_is_not_blamed_on_the_filter(run_cli, write):
    path = write("s.csv", "channel,score\n")
    code, out, err = run_cli("nps", path, "--where", "channel=email", "--format", "json")
    assert code == 0 and "--where" not in err and json.loads(out)["n"] == 0

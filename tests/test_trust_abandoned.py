"""#13 §5(b): a call log that cannot tell abandoned calls shows no abandonment rate, not 0 %."""
import json

from typer.testing import CliRunner

from cxkpi.cli.app import app


def _aht(tmp_path, text):
    f = tmp_path / "calls.csv"
    f.write_text(text)
    r = CliRunner().invoke(app, ["aht", str(f), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout[r.stdout.index("{"):r.stdout.rindex("}") + 1])


def test_no_queued_at_no_flag_is_null_with_note(tmp_path):
    # 2 answered calls (60 s, 120 s) and one row with no answer: AHT = 1.5 min;
    # nothing says whether the third call was offered and abandoned, so abandoned % is null
    out = _aht(tmp_path, "agent,talk_seconds,answered_at\nA,60,2025-01-01 10:00\n"
                         "B,120,2025-01-01 11:00\nC,,\n")
    assert out["value"] == 1.5
    assert out["breakdown"]["abandoned_pct"] is None
    assert out["breakdown"]["offered"] is None
    assert any("abandoned % not computed" in n for n in out["notes"])


def test_flag_gives_the_rate(tmp_path):
    # 3 calls offered, 1 flagged abandoned: 1/3 = 33.33 %
    out = _aht(tmp_path, "agent,talk_seconds,abandoned\nA,60,no\nB,120,no\nC,,yes\n")
    assert out["breakdown"]["offered"] == 3
    assert out["breakdown"]["abandoned"] == 1
    assert abs(out["breakdown"]["abandoned_pct"] - 100 / 3) < 1e-6  # JSON rounds to 6 places

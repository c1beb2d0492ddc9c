"""Config validation: every problem reported once, with its path."""

from __future__ import annotations

import pytest

from cxkpi.config import load_config
from cxkpi.errors import ConfigError

from .conftest import ROOT


def test_example_config_is_valid():
    cfg = load_config(ROOT / "config.example.yaml")
    assert "surveys" in cfg.sources and cfg.kpis["nps"]["promoter_min"] == 9


def test_all_problems_listed_with_paths(write):
    path = write("bad.yaml", """
timezon: UTC
sources:
  survey: {file: x.csv}
  tickets:
    file: nowhere.csv
    colums: {}
kpis:
  nps: {promoter_min: "nine"}
  csatt: {}
  csat: {scale: 5, satisfied_min: 4, where: 3}
""")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    problems = exc.value.problems
    assert "config.timezon: unknown key (did you mean 'timezone'?)" in problems
    assert any(p.startswith("sources.survey: unknown source (did you mean 'surveys'?)") for p in problems)
    assert "sources.tickets.file: no such file 'nowhere.csv'" in problems
    assert any(p.startswith("sources.tickets.colums: unknown key") for p in problems)
    assert "kpis.nps.promoter_min: expected a whole number, got 'nine'" in problems
    assert any(p.startswith("kpis.csatt: unknown KPI (did you mean 'csat'?)") for p in problems)
    assert "kpis.csat.scale: expected a string, got 5" in problems
    assert "kpis.csat.where: expected a mapping, got 3" in problems
    assert len(problems) == 8


def test_python_tags_are_refused(write):
    path = write("evil.yaml", "kpis: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)


def test_alias_bomb_is_refused(write):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    with pytest.raises(ConfigError, match="too many values"):
        load_config(write("bomb.yaml", bomb))


def test_not_a_mapping_and_bad_yaml(write):
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write("list.yaml", "- a\n- b\n"))
    with pytest.raises(ConfigError, match="line 2"):
        load_config(write("broken.yaml", "a: 1\n\tb: 2\n"))


def test_cli_lists_config_problems_with_exit_2(run_cli, write):
    path = write("bad.yaml", "kpis:\n  nps: {promoter_min: x}\n  csat: {bogus: 1}\n")
    code, _, err = run_cli("nps", "--config", path, write("s.csv", "Score\n1\n"))
    assert code == 2
    assert "2 problems" in err and "kpis.nps.promoter_min" in err and "kpis.csat.bogus" in err

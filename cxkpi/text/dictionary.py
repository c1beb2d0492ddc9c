"""A team's own theme dictionary (YAML): theme → keywords and regular expressions.

::

    themes:
      slow response:
        keywords: [slow, "took days", wait*]        # a flat list ...
      refund:
        keywords:                                   # ... or one list per language
          en: [refund*, money back]
          de: [erstattung, rückerstattung, geld zurück]
          fr: [rembours*]
        regex: ['\\bchargeback\\b']
      rude: [rude, impolite, unhöflich, grossier]   # short form: just the keywords
    other: other                                    # name of the bucket for comments with no theme

Matching is case- and accent-insensitive: comments and keywords are both
casefolded and stripped of accents (``Rückerstattung`` matches ``ruckerstattung``).
A keyword matches whole words (``rude`` does not match ``prudent``); a
trailing ``*`` matches any ending (``refund*``: refund, refunds, refunded);
spaces and punctuation inside a keyword match any run of them (``money back``
matches "Money-back!"). ``regex`` entries are regular expressions
(Python syntax) matched against the folded text, so write them in lower case
without accents; they run in pyarrow's RE2 engine, or in Python's ``re`` when
they use what RE2 lacks (look-arounds). A comment may match several themes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .tokens import fold_one

MAX_BYTES = 1 << 20
OTHER = "other"


@dataclass(frozen=True)
class Theme:
    name: str
    keywords: str  # one RE2 pattern over the spaced text: the alternation of every keyword ("" = none)
    regexes: tuple[str, ...] = ()  # the user's own expressions (Python syntax; RE2 runs them when it can)


@dataclass(frozen=True)
class ThemeDictionary:
    path: str
    themes: tuple[Theme, ...]
    other: str = OTHER

    def __str__(self) -> str:  # echoed in the result's settings
        return self.path


def keyword_pattern(keyword: str) -> str:
    """The RE2 pattern of one keyword, for text in :func:`spaced` form: ``"Money-back"`` → ``" money back "``
    (whole words), ``"refund*"`` → ``" refund"`` (any ending). Keywords are folded like the comments and
    every run of non-letters becomes one space, so the pattern is a plain literal (fast in RE2)."""
    word = fold_one(keyword).strip()
    wildcard = word.endswith("*")
    words = re.sub(r"[\W_]+", " ", word.rstrip("*")).strip()
    return re.escape(" " + words + ("" if wildcard else " "))


def _strings(value, where: str, problems: list[str]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        bad = [v for v in value if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
        if bad:
            problems.append(f"{where}: expected words, got {bad[0]!r}")
        return [str(v) for v in value if v not in bad]
    if isinstance(value, dict):  # per language: {en: [...], de: [...]}
        out: list[str] = []
        for lang, words in value.items():
            out += _strings(words, f"{where}.{lang}", problems)
        return out
    problems.append(f"{where}: expected a list of words (or one list per language), got {value!r}")
    return []


def parse(raw, path: str = "<themes>") -> ThemeDictionary:
    """Validate a loaded YAML document; every problem is reported at once with its path."""
    problems: list[str] = []
    if isinstance(raw, dict) and "themes" in raw:
        block, other = raw.get("themes"), raw.get("other", OTHER)
        unknown = [k for k in raw if k not in ("themes", "other")]
        problems += [f"{k}: unknown key (expected themes, other)" for k in unknown]
    else:
        block, other = raw, OTHER
    if not isinstance(block, dict) or not block:
        raise ConfigError("expected a mapping of themes, e.g. `themes: {refund: [refund*, money back]}`", path)
    if not isinstance(other, str) or not other.strip():
        problems.append(f"other: expected a name for the no-theme bucket, got {other!r}")
        other = OTHER
    themes: list[Theme] = []
    for name, spec in block.items():
        where = f"themes.{name}"
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in ("keywords", "regex")]
            problems += [f"{where}.{k}: unknown key (expected keywords, regex)" for k in unknown]
            keywords = _strings(spec.get("keywords") or [], f"{where}.keywords", problems)
            regexes = _strings(spec.get("regex") or [], f"{where}.regex", problems)
        else:
            keywords, regexes = _strings(spec, where, problems), []
        alternatives = [keyword_pattern(k) for k in keywords if re.sub(r"[\W_]+", "", fold_one(k))]
        valid = []
        for rx in regexes:
            try:
                re.compile(rx)
            except re.error as e:
                problems.append(f"{where}.regex: {rx!r} is not a valid regular expression ({e})")
                continue
            valid.append(rx)
        if not alternatives and not valid and not any(p.startswith(where) for p in problems):
            problems.append(f"{where}: no keywords")
        if str(name) == other:
            problems.append(f"{where}: the name is taken by the no-theme bucket (set `other:` to rename it)")
        themes.append(Theme(str(name), "|".join(alternatives), tuple(valid)))
    if problems:
        raise ConfigError(problems, path)
    return ThemeDictionary(path=path, themes=tuple(themes), other=other.strip())


def load(path: str | Path) -> ThemeDictionary:
    """Read and validate a theme dictionary file (``--themes``)."""
    import yaml

    if isinstance(path, ThemeDictionary):
        return path
    label = str(path)
    p = Path(path).expanduser()
    try:
        if p.is_dir():
            raise ConfigError("is a directory, expected a YAML theme dictionary", label)
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such theme dictionary file", label) from None
    except PermissionError:
        raise ConfigError("permission denied", label) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"theme dictionary larger than {MAX_BYTES // 1024} KiB", label)
    try:
        raw = yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", label) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(f"{where}invalid YAML: {getattr(e, 'problem', None) or e}", label) from None
    return parse(raw, label)

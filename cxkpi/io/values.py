"""Vectorised parsing of the value kinds real exports contain.

Every parser returns ``(parsed, bad)``: the typed Series (missing where the
cell was empty or unusable) and the raw values that were present but could not
be parsed, indexed by row, so callers can count and report them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import InputError
from ..vocabulary import MISSING_TOKENS, NO_WORDS, YES_WORDS

# strptime formats tried on a sample; the first that reads the whole sample wins.
# Day-first and month-first twins are compared to catch ambiguous columns.
DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
]
_SLASH_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", None]
_ZONE_RE = r"(?:Z|[+-]\d{2}:?\d{2})$"


# a number beyond this (or infinite) is no measurement an export means; refusing it keeps every sum finite
# (a million values of 1e15 add up to 1e21, far inside a float's range)
FINITE_LIMIT = 1e15
NOT_FINITE = "not a finite number"


def _over(parsed: pd.Series) -> pd.Series:
    """Rows holding inf, -inf or a number beyond ±FINITE_LIMIT (missing rows are not over)."""
    x = parsed.astype("float64")
    return (x.notna() & ~(x.abs() <= FINITE_LIMIT)).astype(bool)


def _flag_not_finite(bad: pd.Series, over: pd.Series) -> pd.Series:
    """Remember which unreadable values were numbers out of range, for the skipped reason."""
    bad.attrs["not_finite"] = tuple(over.index[over.to_numpy()])
    return bad


def reasons(bad: pd.Series) -> pd.Series:
    """Why each value a parser returned as unreadable was not read: ``not a finite number`` for inf
    and numbers beyond ±1e15, else ``unreadable value``."""
    out = pd.Series("unreadable value", index=bad.index, dtype=object)
    flagged = bad.attrs.get("not_finite", ())
    if flagged:
        out[out.index.isin(flagged)] = NOT_FINITE
    return out


def _numeric_column(series: pd.Series, factor: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """An already-numeric column (XLSX cells, a DataFrame): NaN is missing, inf and huge values unreadable."""
    parsed = series.astype("float64") * factor
    over = _over(parsed)
    return parsed.mask(over), _flag_not_finite(series[over.to_numpy()], over)


def text(series: pd.Series) -> pd.Series:
    """Strip whitespace; turn the usual missing tokens into NA."""
    s = series.astype("string").str.strip()
    return s.mask(s.str.lower().isin(MISSING_TOKENS))


def categories(series: pd.Series) -> pd.Series:
    """``text(series).astype("category")``, from the distinct values when the column is Arrow text: each is
    cleaned once (a channel column holds a handful), not each cell."""
    import pyarrow.compute as pc

    raw = arrow_strings(series)
    if raw is None or len(raw) == 0:
        return text(series).astype("category")
    encoded = pc.dictionary_encode(raw)
    if len(encoded.dictionary) == 0:  # every cell empty
        return text(series).astype("category")
    distinct = text(pd.Series(pd.arrays.ArrowStringArray(encoded.dictionary))).astype("category")
    # each distinct value's category; a missing cell (null index) none
    codes = distinct.cat.codes.to_numpy()[pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)]
    if encoded.indices.null_count:
        codes[encoded.indices.is_null().to_numpy(zero_copy_only=False)] = -1
    return pd.Series(pd.Categorical.from_codes(codes, dtype=distinct.dtype), index=series.index, name=series.name)


def numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Plain numbers, and those written with thousands separators or a decimal comma
    (``1,234``, ``1.234,5``, ``12,5``, ``1 234``, ``1'234``)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_column(series)
    raw = arrow_strings(series) if series.index.is_unique else None  # rows told apart by their label
    if raw is not None and len(raw):
        return _plain_first(series, raw)
    return _numbers(series)


def _plain_first(series: pd.Series, raw) -> tuple[pd.Series, pd.Series]:
    """``numbers`` of Arrow text: a cell written as a plain number with nothing around it (most cells) is
    cast where it lies, as ``_plain_numbers`` casts it; the other cells (empty, spaces, separators,
    words, out of range) take ``_numbers`` as before, so every value and unreadable cell is the same."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        # digits only (most counts) match _PLAIN_NUMBER without running the regex over the column
        plain = pc.fill_null(pc.ascii_is_decimal(raw), False)
        if (pc.sum(plain).as_py() or 0) < len(raw) - raw.null_count:  # a cell that is not all digits
            plain = pc.fill_null(pc.match_substring_regex(raw, _PLAIN_NUMBER), False)
        cast = pc.cast(pc.if_else(plain, raw, pa.scalar(None, raw.type)), pa.float64())
    except (pa.ArrowException, TypeError, ValueError):  # anything odd: every cell takes the careful path
        return _numbers(series)
    parsed = cast.to_numpy(zero_copy_only=False, writable=True)
    with np.errstate(invalid="ignore"):
        ok = plain.to_numpy(zero_copy_only=False) & (np.abs(parsed) <= FINITE_LIMIT)
    if ok.all():
        return pd.Series(parsed, index=series.index, dtype="float64"), _whole_rows(_numbers(series.iloc[:0])[1],
                                                                                   series.index)
    rest, bad = _numbers(series[~ok])
    parsed[~ok] = rest.to_numpy()
    return pd.Series(parsed, index=series.index, dtype="float64"), _whole_rows(bad, series.index)


def _whole_rows(part: pd.Series, index: pd.Index) -> pd.Series:
    """``part`` (rows picked from a part of a column) indexed as picking them from the whole column does
    (a RangeIndex where they are evenly spaced): the parsers' unreadable cells as the whole-column path
    returned them."""
    picked = np.zeros(len(index), dtype=bool)
    picked[index.get_indexer(part.index)] = True
    part.index = index[picked]
    return part


def _numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = text(series)
    parsed = _plain_numbers(s)
    odd = (s.notna() & parsed.isna()).to_numpy(dtype=bool)
    if odd.any():  # separators, spaces, decimal commas, words: the careful path, for those cells only
        parsed[odd] = _written_numbers(s[odd]).to_numpy()
    over = _over(parsed)
    parsed = parsed.mask(over)
    return parsed, _flag_not_finite(s[s.notna() & parsed.isna()], over)


# a number as a program writes it (1, -2.5, 1e3): most cells of most exports
_PLAIN_NUMBER = r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d{1,3})?$"


def _plain_numbers(s: pd.Series) -> pd.Series:
    """float64 where a cell is a plain number, NaN elsewhere: one Arrow regex and cast over the column,
    no Python object per cell (22x faster than the careful path on 1M cells, the same floats)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        a = pa.array(s, from_pandas=True)
        if not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
            a = a.cast(pa.large_string())
        plain = pc.match_substring_regex(a, _PLAIN_NUMBER)
        values = pc.cast(pc.if_else(plain, a, pa.scalar(None, a.type)), pa.float64())
    except (pa.ArrowException, TypeError, ValueError):  # anything odd: every cell takes the careful path
        return pd.Series(np.nan, index=s.index, dtype="float64")
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")


def _written_numbers(s: pd.Series) -> pd.Series:
    """Numbers as people write them: ``1 234``, ``1'234``, ``1.234,5``, ``12,5`` (NaN when none)."""
    cleaned = s.str.replace(r"[\s\u00a0']", "", regex=True)
    parsed = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    retry = (cleaned.notna() & parsed.isna() & cleaned.str.fullmatch(r"-?[0-9.,]+")).fillna(False).astype(bool)
    if retry.any():
        digits = cleaned[retry].astype(object).astype(str)
        again = pd.to_numeric(_separators(pd.Series(digits.str.lstrip("-"), dtype="string")),
                              errors="coerce").astype("float64")
        parsed[retry] = again.mask(digits.str.startswith("-"), -again).to_numpy()
    return parsed


def _separators(core: pd.Series) -> pd.Series:
    """Digits with ``.``/``,`` → a parseable number: the last separator is the decimal mark, except a
    lone comma followed by exactly three digits (``1,234``), which groups thousands."""
    last_comma = core.str.rfind(",")
    last_dot = core.str.rfind(".")
    comma_decimal = (last_comma > last_dot) & ~core.str.contains(r",\d{3}$", regex=True).fillna(False)
    comma_decimal |= (last_comma > last_dot) & (last_dot >= 0)
    as_dot = core.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    as_comma = core.str.replace(",", "", regex=False)
    return as_comma.mask(comma_decimal.fillna(False), as_dot)


def money(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts such as ``$1,234.50``, ``1.234,50 €``, ``EUR 12``, ``(12.00)``."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_column(series)
    s = text(series)
    negative = s.str.match(r"^\(.*\)$|^-").fillna(False)
    core = s.str.replace(r"[^0-9.,]", "", regex=True)
    parsed = pd.to_numeric(_separators(core), errors="coerce").astype("float64")
    parsed = parsed.mask(negative, -parsed)
    # a plain number is read as one: "1e308" is not 1308 with its letter stripped, "inf" is infinite
    plain = pd.to_numeric(s.str.replace(r"[\s\u00a0]", "", regex=True), errors="coerce").astype("float64")
    parsed = plain.fillna(parsed)
    over = _over(parsed)
    parsed = parsed.mask(over)
    return parsed, _flag_not_finite(s[s.notna() & parsed.isna()], over)


_UNIT_MINUTES = {"s": 1 / 60, "sec": 1 / 60, "seconds": 1 / 60, "min": 1.0, "m": 1.0, "minutes": 1.0,
                 "h": 60.0, "hours": 60.0, "d": 1440.0, "days": 1440.0}


def unit_factor(unit: str) -> float:
    try:
        return _UNIT_MINUTES[unit.lower()]
    except KeyError:
        raise InputError(f"unknown duration unit {unit!r} (expected s, min, h or d)") from None


def durations(series: pd.Series, unit: str = "min") -> tuple[pd.Series, pd.Series]:
    """Minutes from plain numbers (in ``unit``), ``HH:MM:SS``, ``1d 2h 3m`` or ISO ``PT1H30M``.

    A two-part clock is hours:minutes, except for a column in seconds, where exports
    write ``4:05`` for four minutes five seconds.
    """
    factor = unit_factor(unit)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_column(series, factor)
    if pd.api.types.is_timedelta64_dtype(series):
        return series.dt.total_seconds() / 60, series.iloc[:0]
    s = text(series)
    plain, plain_bad = numbers(s)  # "1,234" is a thousand and more, "12,5" twelve and a half
    plain = plain * factor
    hms = s.str.extract(r"^(-?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")
    hms_minutes = (hms[1].astype("float64") * 60 + hms[2].astype("float64")
                   + hms[3].astype("float64").fillna(0) / 60)
    if factor < 1:  # seconds: m:ss
        hms_minutes = hms_minutes.where(hms[3].notna(), hms[1].astype("float64") + hms[2].astype("float64") / 60)
    hms_minutes = hms_minutes.mask(hms[0] == "-", -hms_minutes)
    parts = s.str.lower().str.extract(
        r"^p?(?:(\d+(?:\.\d+)?)\s*d(?:ays?)?)?\s*t?(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*"
        r"(?:(\d+(?:\.\d+)?)\s*m(?:in(?:utes?)?)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec(?:onds?)?)?)?$"
    )
    any_part = parts.notna().any(axis=1)
    part_minutes = (parts[0].astype("float64").fillna(0) * 1440 + parts[1].astype("float64").fillna(0) * 60
                    + parts[2].astype("float64").fillna(0) + parts[3].astype("float64").fillna(0) / 60)
    part_minutes = part_minutes.where(any_part)
    parsed = plain.fillna(hms_minutes).fillna(part_minutes).astype("float64")
    over = _over(parsed)
    parsed = parsed.mask(over)
    over |= s.index.isin(plain_bad.attrs.get("not_finite", ())) & parsed.isna()  # "inf", "1e400"
    return parsed, _flag_not_finite(s[s.notna() & parsed.isna()], over)


FLAG_TRUE = YES_WORDS | {"t", "x", "abandoned"}
FLAG_FALSE = NO_WORDS | {"f", "answered"}


def flags(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """True/false from yes/no, true/false, 1/0 cells (what exports write for "abandoned")."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean"), series.iloc[:0]
    if pd.api.types.is_numeric_dtype(series):
        s = text(series.astype("string").str.replace(r"\.0$", "", regex=True))
    else:
        s = text(series)
    low = s.str.lower()
    parsed = pd.Series(pd.NA, index=s.index, dtype="boolean")
    parsed[low.isin(FLAG_TRUE).fillna(False).astype(bool)] = True
    parsed[low.isin(FLAG_FALSE).fillna(False).astype(bool)] = False
    bad = s[s.notna() & parsed.isna()]
    return parsed, bad


def _candidates(sample: pd.Series) -> list[str]:
    formats = list(DATE_FORMATS)
    for sep in ("/", "-"):
        if sample.str.contains(rf"^\d{{1,2}}{sep}\d{{1,2}}{sep}\d{{4}}", regex=True).any():
            for order in (f"%d{sep}%m{sep}%Y", f"%m{sep}%d{sep}%Y"):
                for t in _SLASH_FORMATS:
                    formats.append(f"{order} {t}" if t else order)
    return formats


def _share_parsed(sample: pd.Series, fmt: str) -> float:
    parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    return float(parsed.notna().mean())


def detect_date_format(sample: pd.Series, column: str, dayfirst: bool | None) -> str | None:
    """The strptime format that reads the sample, or None for ISO 8601 / mixed input.

    Day-first vs month-first is decided from the data (a day above 12) or the
    ``dayfirst`` setting; an ambiguous column raises rather than guessing.
    """
    if sample.empty:
        return None
    scores = {fmt: _share_parsed(sample, fmt) for fmt in _candidates(sample)}
    best = max(scores.values())
    if best < 0.5:
        return None
    winners = [f for f, v in scores.items() if v == best]
    day = [f for f in winners if f.startswith("%d/") or f.startswith("%d-")]
    month = [f for f in winners if f.startswith("%m/") or f.startswith("%m-")]
    if day and month:
        if dayfirst is None:
            example = sample.iloc[0]
            raise InputError(
                f"column {column!r}: dates such as {example!r} can be day-first or month-first "
                f"(no day above 12 in the data); set `dayfirst: true` or `dayfirst: false` "
                f"in the config, or pass --dayfirst / --monthfirst"
            )
        return day[0] if dayfirst else month[0]
    return winners[0]


def timestamps(
    series: pd.Series,
    column: str = "",
    timezone: str | None = None,
    dayfirst: bool | None = None,
    fmt: str | None = None,
    naive_zone: str | None = None,
    plan: dict | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Datetimes in ``timezone`` (naive input is read in it; zoned input converted to it).

    Without a timezone, naive input stays naive and zoned input becomes UTC. ``naive_zone`` is
    the zone the export wrote zone-less times in when it differs from the reporting zone
    (Typeform's "Submit Date (UTC)"): they are read in it, then converted to ``timezone``.

    ``plan`` carries the whole-column decision (zoned or not, the format, ISO or mixed) from one
    batch of a file to the next: empty, it is decided here from this series and filled in.
    """
    if plan is not None:  # a batch: the same text may have been read a moment ago, for another source
        key = _recent_key(series, (timezone, dayfirst, fmt, naive_zone), plan)
        if key is not None:
            for seen, after, result in _RECENT:
                if seen[1] == key[1]:
                    plan.clear()
                    plan.update(after)
                    return result[0].copy(deep=False), result[1].copy(deep=False)
            result = _timestamps(series, column, timezone, dayfirst, fmt, naive_zone, plan)
            _RECENT.append((key, dict(plan), result))
            del _RECENT[:-_RECENT_SIZE]
            return result[0].copy(deep=False), result[1].copy(deep=False)
    return _timestamps(series, column, timezone, dayfirst, fmt, naive_zone, plan)


# the last time columns of a batch read (a file's resolved time is read for tickets, then again for the
# surveys' responded_at): kept with the Arrow text they read, which so cannot be freed for another to
# take its place
_RECENT: list = []
_RECENT_SIZE = 4


def _recent_key(series: pd.Series, options: tuple, plan: dict) -> tuple | None:
    """What makes two reads of a batch's time column the same: the very memory of its Arrow text (held in
    ``_RECENT``, so no other text can come to lie there), its rows, the options and the plan so far;
    None for a column not held as Arrow text or not on a range of rows."""
    raw = arrow_strings(series)
    if raw is None or not isinstance(series.index, pd.RangeIndex):
        return None
    memory = tuple((b.address, b.size) if b is not None else None for b in raw.buffers())
    rows = (series.index.start, series.index.stop, series.index.step)
    return raw, (memory, raw.offset, len(raw), rows, series.name, options,
                 tuple(sorted((k, repr(v)) for k, v in plan.items())))


def _timestamps(series: pd.Series, column: str, timezone: str | None, dayfirst: bool | None, fmt: str | None,
                naive_zone: str | None, plan: dict | None) -> tuple[pd.Series, pd.Series]:
    if naive_zone is not None and timezone is None:
        timezone = naive_zone
    if pd.api.types.is_datetime64_any_dtype(series):
        return _in_zone(series, timezone, naive_zone), series.iloc[:0]
    if plan and plan.get("kind") == "format":  # a later batch of a column with a strptime format
        fast = _fixed_timestamps(series, plan.get("fmt"), timezone, naive_zone)
        if fast is not None:
            return fast
    s = text(series)
    present = s.dropna()
    if present.empty:
        # a batch with no time after an earlier one decided the type: that type (astype cannot zone NaT)
        dtype = plan["dtype"] if plan and "dtype" in plan else "datetime64[ns]"
        return pd.Series(pd.NaT, index=s.index, dtype=dtype), s.iloc[:0]
    if plan and "kind" in plan:
        kind, fmt = plan["kind"], plan.get("fmt")
    else:
        sample = _distinct_head(present, 500)
        zoned_sample = sample.str.contains(_ZONE_RE, regex=True)
        if fmt is None and not zoned_sample.any():
            fmt = detect_date_format(sample, column, dayfirst)
        kind = ("zoned-all" if zoned_sample.all() else "zoned") if zoned_sample.any() else "format" if fmt else "iso"
    iso_read = None  # how many present cells ISO 8601 reads: below half of the column, it is read as mixed
    if kind.startswith("zoned"):
        parsed = _parse_zoned(s, kind == "zoned-all", timezone, naive_zone)
    elif kind == "format":
        parsed = _in_zone(_strptime(s, fmt), timezone, naive_zone)
    elif kind == "mixed":
        parsed = _in_zone(pd.to_datetime(s, format="mixed", dayfirst=bool(dayfirst), errors="coerce"), timezone,
                          naive_zone)
        if plan is not None:  # a later batch: counted, so the whole file's ISO share can be checked at its end
            iso_read = int(_in_zone(pd.to_datetime(s, format="ISO8601", errors="coerce"), timezone,
                                    naive_zone).notna().sum())
    else:
        parsed = _in_zone(pd.to_datetime(s, format="ISO8601", errors="coerce"), timezone, naive_zone)
        iso_read = int(parsed.notna().sum())
        if iso_read < present.size * 0.5 and not (plan and "kind" in plan):
            kind = "mixed"
            parsed = _in_zone(pd.to_datetime(s, format="mixed", dayfirst=bool(dayfirst), errors="coerce"), timezone,
                              naive_zone)
    if plan is not None and "kind" not in plan:
        plan.update(kind=kind, fmt=fmt, dtype=parsed.dtype)
    if plan is not None and iso_read is not None:  # the one-shot read decides ISO or mixed over all the rows
        plan["iso_read"] = plan.get("iso_read", 0) + iso_read
        plan["present"] = plan.get("present", 0) + int(present.size)
    gap = parsed.attrs.get("dst_gap")
    parsed = _in_python_range(parsed)
    if gap:
        parsed.attrs["dst_gap"] = gap
    bad = s[s.notna() & parsed.isna()]
    return parsed, bad


def _in_python_range(parsed: pd.Series) -> pd.Series:
    """Years 1-9999 only, what Python's datetime (and so a period label) can hold: year 0 is unreadable."""
    if not parsed.notna().any():
        return parsed
    if parsed.min().year >= 1 and parsed.max().year <= 9999:  # the usual column: no year to compute per row
        return parsed
    year = parsed.dt.year
    out = (year < 1) | (year > 9999)
    return parsed.mask(out) if out.any() else parsed


def _localize(naive: pd.Series, zone: str, ambiguous) -> pd.Series:
    """Zone-less times read in ``zone``. One inside a daylight-saving gap (02:30 on the spring-forward
    day) never happened there: it becomes NaT, so it is skipped as unreadable and a note says why,
    rather than moved silently to 03:30. ``attrs["dst_gap"]`` = (count, zone)."""
    try:
        local = naive.dt.tz_localize(zone, nonexistent="NaT", ambiguous=ambiguous)
    except (NotImplementedError, OverflowError, pd.errors.OutOfBoundsDatetime):
        # a time on the first or last day Python can hold (0001-01-01, 9999-12-31) that the zone moves
        # out of range: unreadable there, as a year 0 or 10000 is, not a crash
        edge = naive.notna() & ((naive >= np.datetime64("9999-12-31")) | (naive < np.datetime64("0001-01-02")))
        naive = naive.mask(edge)
        local = naive.dt.tz_localize(zone, nonexistent="NaT", ambiguous=ambiguous)
    gap = int((local.isna() & naive.notna()).sum())
    if gap:
        local.attrs["dst_gap"] = (gap, zone)
    return local


def _distinct_head(present: pd.Series, k: int, window: int = 50_000) -> pd.Series:
    """``present.drop_duplicates().head(k)`` without hashing a whole million-row column.

    Distinct values come in order of first occurrence, so when the first
    ``window`` rows already hold ``k`` distinct values the answer is among them.
    """
    head = present.iloc[:window].drop_duplicates()
    if len(head) >= k or len(present) <= window:
        return head.head(k)
    return present.drop_duplicates().head(k)


_FAST_DIRECTIVES = {"Y": r"\s*\d{4}", "m": r"\s*\d{1,2}", "d": r"\s*(?P<day>\d{1,2})", "H": r"\s*\d{1,2}",
                    "M": r"\s*\d{1,2}", "S": r"\s*\d{1,2}", "%": "%"}


def _day_pattern(fmt: str) -> str | None:
    """A regex matching what ``fmt`` reads, capturing the day digits; None when the format has a
    directive the Arrow fast path is not trusted with (it then goes to pandas)."""
    out = []
    parts = re.split(r"(%.)", fmt)
    for part in parts:
        if part.startswith("%") and len(part) == 2:
            if part[1] not in _FAST_DIRECTIVES:
                return None
            out.append(_FAST_DIRECTIVES[part[1]])
        elif part:
            out.append("".join(r"\s+" if ch.isspace() else re.escape(ch) for ch in part))
    pattern = "".join(out)
    return f"^{pattern}$" if "(?P<day>" in pattern else None


_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2, "%": 1}


def _fixed_day(fmt: str) -> tuple[int, int] | None:
    """(offset of the day digits, full width) when every field of ``fmt`` has a fixed zero-padded width
    (``%Y-%m-%d %H:%M:%S``: day at 8, 19 characters); None otherwise."""
    at, day = 0, None
    for part in re.split(r"(%.)", fmt):
        if part.startswith("%") and len(part) == 2:
            if part[1] not in _WIDTH:
                return None
            if part[1] == "d":
                day = at
            at += _WIDTH[part[1]]
        else:  # a single space: the width check and the two-digit check catch "2025-1-31  10:00"
            at += len(part)
    return None if day is None else (day, at)


def _written_day(raw, fmt: str, pattern: str):
    """The day digits as written, for each string of ``raw``: a slice where the text has the format's
    fixed width (most exports), the day pattern's regex for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fixed = _fixed_day(fmt)
    by_regex = pc.struct_field(pc.extract_regex(raw, pattern=pattern), "day") if fixed is None else None
    if fixed is not None:
        day_at, width = fixed
        same_width = pc.equal(pc.utf8_length(raw), width)
        sliced = pc.utf8_slice_codeunits(raw, day_at, day_at + 2)
        digits = pc.match_substring_regex(sliced, r"^\d\d$")
        ok = pc.fill_null(pc.and_(same_width, digits), False)
        if pc.all(ok).as_py():
            return sliced
        rest = pc.struct_field(pc.extract_regex(raw, pattern=pattern), "day")
        return pc.if_else(ok, sliced, pc.cast(rest, pa.string()))
    return by_regex


def _strptime(s: pd.Series, fmt: str) -> pd.Series:
    """Arrow's C++ strptime when the format allows (much faster), else pandas'.

    Arrow rolls an impossible day over (``2025-02-30`` → March 2, ``2025-04-31`` → May 1) where
    pandas refuses it, so each parsed day of the month is checked against the day digits of the
    text: a date that does not exist is unreadable (missing), as pandas has it.
    """
    pattern = _day_pattern(fmt)
    if pattern is not None:
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            # an Arrow-backed string column goes to Arrow without a round trip through Python str objects
            raw = pa.array(s) if isinstance(s.dtype, pd.StringDtype) else \
                pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string())
            arr = pc.strptime(raw, format=fmt, unit="us", error_is_null=True)
            parsed = pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index).astype("datetime64[us]")
            # a rolled-over day lands on the 1st to 3rd of the next month: only those rows are checked
            maybe = np.flatnonzero(pc.fill_null(pc.less_equal(pc.day(arr), 3), False).to_numpy(zero_copy_only=False))
            if len(maybe):
                written = _written_day(raw.take(pa.array(maybe)), fmt, pattern)
                same = pc.equal(pc.cast(written, pa.int64()), pc.day(arr.take(pa.array(maybe))))
                wrong = maybe[~pc.fill_null(same, True).to_numpy(zero_copy_only=False)]
                parsed.iloc[wrong] = pd.NaT
                # no written day where Arrow read one (a spelling the pattern misses): pandas decides those rows
                unsure = maybe[pc.is_null(same).to_numpy(zero_copy_only=False)]
                if len(unsure):
                    parsed.iloc[unsure] = pd.to_datetime(s.iloc[unsure], format=fmt, errors="coerce").to_numpy()
            return parsed
        except Exception:  # pragma: no cover - fall back to pandas on any Arrow quirk
            pass
    return pd.to_datetime(s, format=fmt, errors="coerce")


def arrow_strings(series: pd.Series):
    """The column as one pyarrow string array when it is Arrow-backed text (what a CSV read gives), else
    None: the fast paths below read it without a Python object per cell."""
    import pyarrow as pa

    dtype = series.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") and not (
            isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                  or pa.types.is_large_string(dtype.pyarrow_dtype))):
        return None
    raw = pa.array(series.array)
    return raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw


_LAYOUT_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_LAYOUT_FIELDS = ("Ymd", "YmdH", "YmdHM", "YmdHMS")
# two bytes read as one little-endian number → the two digits' value when both are ASCII digits, else -1
_DIGIT_PAIRS = np.full(1 << 16, -1, dtype=np.int32)
for _tens in range(10):
    _DIGIT_PAIRS[(48 + _tens) | ((48 + np.arange(10)) << 8)] = _tens * 10 + np.arange(10)


def _month_tables() -> tuple[np.ndarray, np.ndarray]:
    """For month m (1-12) of year y (0-9999), at y * 13 + m: its first day in days since 1970-01-01
    (proleptic Gregorian, int64) and its length in days (month 0 of each year has none)."""
    years = np.arange(10_000)
    leap = ((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))).astype(np.intp)
    # January 1: 365 days a year since 1970, plus the leap days before it (477 of them before 1970)
    year_start = (years - 1970) * 365 + (np.floor_divide(years - 1, 4) - np.floor_divide(years - 1, 100)
                                         + np.floor_divide(years - 1, 400)) - 477
    lengths = np.array([[0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
                        [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]], dtype=np.int64)
    before = np.concatenate([np.zeros((2, 1), dtype=np.int64), np.cumsum(lengths, axis=1)[:, :-1]], axis=1)
    return (year_start[:, None] + before[leap]).ravel(), lengths[leap].astype(np.int32).ravel()


_MONTH_START, _MONTH_LENGTH = _month_tables()


def _layout(fmt: str | None):
    """``(fields, literals, width)`` for a strptime format whose every cell has one fixed layout
    (``%Y-%m-%d %H:%M:%S``: the year at 0, a ``-`` at 4, … 19 characters), else None. Only zero-padded
    numeric fields, each once, with an ASCII separator between any two and none at either end."""
    if not fmt or fmt[0].isspace() or fmt[-1].isspace():
        return None
    fields: dict[str, int] = {}
    literals: list[tuple[int, int]] = []
    at, after_field = 0, False
    for part in re.split(r"(%.)", fmt):
        if not part:
            continue
        if part.startswith("%") and len(part) == 2:
            if part[1] not in _LAYOUT_WIDTH or part[1] in fields or after_field:
                return None
            fields[part[1]] = at
            at += _LAYOUT_WIDTH[part[1]]
            after_field = True
        else:
            if "%" in part or not part.isascii():
                return None
            literals.extend((at + i, ord(ch)) for i, ch in enumerate(part))
            at += len(part)
            after_field = False
    if "".join(sorted(fields, key="YmdHMS".index)) not in _LAYOUT_FIELDS:
        return None
    return fields, literals, at


def _read_layout(raw, layout) -> tuple[np.ndarray, np.ndarray] | None:
    """Which cells are written exactly in ``layout`` with a real date and time (month 1-12, a day the month
    has, 00:00:00-23:59:59, year 1 or later), and their microseconds since 1970 (for those cells).
    Such a cell reads the same in any strptime; every other cell is left to the careful path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fields, literals, width = layout
    sized = pc.fill_null(pc.equal(pc.binary_length(raw), width), False)
    ok = sized.to_numpy(zero_copy_only=False)
    picked = raw if ok.all() else raw.filter(sized)
    n = len(picked)
    if n == 0:
        return None
    offsets_type = np.int64 if pa.types.is_large_string(picked.type) else np.int32
    offsets = np.frombuffer(picked.buffers()[1], dtype=offsets_type, count=n + 1, offset=picked.offset *
                            np.dtype(offsets_type).itemsize)
    start = int(offsets[0])
    if int(offsets[-1]) - start != n * width:  # pragma: no cover - every picked cell has the width
        return None
    text = np.frombuffer(picked.buffers()[2], dtype=np.uint8, count=n * width, offset=start)

    def at(offset: int, dtype):  # the character (or two, as one little-endian number) at ``offset`` of each cell
        return np.ndarray((n,), dtype=dtype, buffer=text, offset=offset, strides=(width,))

    good = np.ones(n, dtype=bool)
    for offset, byte in literals:
        good &= at(offset, np.uint8) == byte
    iso = _iso_cells(picked, good, fields, literals, width)
    if iso is not None:  # Arrow's own ISO parser checked and read every such cell
        good, micros = iso
        return _layout_result(ok, good), micros
    number = {}
    for name in "YmdHMS":
        value = np.zeros(n, dtype=np.int32)
        for offset in range(fields[name], fields[name] + _LAYOUT_WIDTH[name], 2) if name in fields else ():
            pair = np.take(_DIGIT_PAIRS, at(offset, "<u2").astype(np.intp))  # two digits → 0-99, else -1
            good &= pair >= 0
            value = value * 100 + pair
        number[name] = value
    year, month, day, hour, minute, second = (number[k] for k in "YmdHMS")
    # a cell that failed above may hold any number: table lookups clipped to the tables, the cell still bad
    month_of = np.clip(year, 0, 9999) * 13 + np.clip(month, 0, 12)  # the row of _MONTH_START and _MONTH_LENGTH
    good &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= np.take(_MONTH_LENGTH, month_of))
    good &= (hour <= 23) & (minute <= 59) & (second <= 59)
    days = np.take(_MONTH_START, month_of) + (day - 1)
    micros = (days * 86400 + (hour * 3600 + minute * 60 + second)) * 1_000_000
    return _layout_result(ok, good), micros[good]


def _layout_result(ok: np.ndarray, good: np.ndarray) -> np.ndarray:
    """The cells of the whole column that read (``ok``: those of the layout's width; ``good``: of them)."""
    if ok.all():
        return good
    ok[ok] = good
    return ok


_ISO = ({"Y": 0, "m": 5, "d": 8, "H": 11, "M": 14, "S": 17}, [(4, 45), (7, 45), (10, 32), (13, 58), (16, 58)], 19)
_YEAR_ONE = -62_135_596_800_000_000  # 0001-01-01 in microseconds since 1970 (year 0 is no date)


def _iso_cells(picked, good: np.ndarray, fields: dict, literals: list, width: int):
    """For the ``%Y-%m-%d %H:%M:%S`` layout: the cells read by Arrow's ISO-8601 cast (C++, about 8
    times the digit tables' speed), which takes exactly the cells the tables take (zero-padded digits,
    a day the month has, 00:00:00-23:59:59) once the separators are checked; a year 0 is refused as
    the tables refuse it. None for another layout, or when one cell fails the cast (a letter among
    the digits, 24:00:00): the digit tables then say which cells read."""
    if (fields, literals, width) != _ISO:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = picked if good.all() else picked.filter(pa.array(good))
    try:
        micros = pc.cast(cells, pa.timestamp("us")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if len(micros) and micros.min() < _YEAR_ONE:
        return None
    return good, micros


def _fixed_timestamps(series: pd.Series, fmt: str | None, timezone: str | None,
                      naive_zone: str | None) -> tuple[pd.Series, pd.Series] | None:
    """``timestamps`` of a column whose format is known, fast: the cells written exactly in the format's
    fixed layout are read straight from the Arrow text, the others (empty, a missing token, spaces, an
    odd spelling, a date that does not exist) by ``_strptime`` as before, so every value, unreadable cell
    and its text are the same. None when the column or the format does not allow it."""
    layout = _layout(fmt)
    raw = arrow_strings(series) if layout is not None and series.index.is_unique else None
    read = _read_layout(raw, layout) if raw is not None else None
    if read is None or not read[0].any():  # no cell in the layout (none at all, maybe): as before
        return None
    ok, micros = read
    naive = np.full(len(series), np.datetime64("NaT", "us"), dtype="datetime64[us]")
    naive[ok] = micros.view("datetime64[us]")
    rest = ~ok
    if raw.null_count:  # an empty cell (read as null) is missing: no text to clean (most of an FRT column's rest)
        rest &= raw.is_valid().to_numpy(zero_copy_only=False)
    s_rest = text(series[rest]) if rest.any() else pd.Series([], index=series.index[:0], dtype="string")
    if s_rest.notna().any():
        naive[rest] = _strptime(s_rest, fmt).to_numpy(dtype="datetime64[us]")
    parsed = _in_zone(pd.Series(naive, index=series.index), timezone, naive_zone)
    gap = parsed.attrs.get("dst_gap")
    parsed = _in_python_range(parsed)
    if gap:
        parsed.attrs["dst_gap"] = gap
    missing = parsed.isna().to_numpy()
    if (missing & ok).any():  # a time the zone has not (a daylight-saving gap): said with its text, as before
        s = text(series)
        return parsed, s[s.notna() & parsed.isna()]
    return parsed, _whole_rows(s_rest[s_rest.notna().to_numpy() & missing[rest]], series.index)


def _parse_zoned(s: pd.Series, all_zoned: bool, timezone: str | None, naive_zone: str | None = None) -> pd.Series:
    if all_zoned:
        parsed = pd.to_datetime(s, format="ISO8601", utc=True, errors="coerce")
        return parsed.dt.tz_convert(timezone) if timezone else parsed
    # a column mixing zoned and zone-less values: naive ones are read in `timezone`
    has_zone = s.str.contains(_ZONE_RE, regex=True).fillna(False)
    zoned = pd.to_datetime(s.where(has_zone), format="ISO8601", utc=True, errors="coerce")
    naive = pd.to_datetime(s.where(~has_zone), format="ISO8601", errors="coerce")
    naive = _localize(naive, naive_zone or timezone or "UTC", ambiguous="NaT")
    gap = naive.attrs.get("dst_gap")
    combined = zoned.where(has_zone, naive.dt.tz_convert("UTC"))
    combined = combined.dt.tz_convert(timezone) if timezone else combined
    if gap:
        combined.attrs["dst_gap"] = gap
    return combined


def _in_zone(parsed: pd.Series, timezone: str | None, naive_zone: str | None = None) -> pd.Series:
    if timezone is None:
        return parsed
    gap = None
    if parsed.dt.tz is None:
        parsed = _localize(parsed, naive_zone or timezone, ambiguous=np.zeros(len(parsed), dtype=bool))
        gap = parsed.attrs.get("dst_gap")
    out = parsed.dt.tz_convert(timezone)
    if gap:
        out.attrs["dst_gap"] = gap
    return out


def label_key(label) -> str:
    """A label as the label maps match it: case- and whitespace-insensitively."""
    return re.sub(r"\s+", " ", str(label).strip().lower())


def label_map(series: pd.Series, labels: dict[str, float] | None) -> pd.Series:
    """Map labels ("Very satisfied") to numbers, case- and whitespace-insensitively."""
    if not labels:
        return series
    lookup = {label_key(k): v for k, v in labels.items()}
    key = series.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    mapped = key.map(lookup).astype("object")
    return mapped.where(mapped.notna(), series.astype("object"))

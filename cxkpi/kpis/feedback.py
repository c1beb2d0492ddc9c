"""Qualitative feedback: comment themes and sentiment beside the scores (docs/feedback.md).

``themes`` is a KPI whose result groups are themes: the aggregate adds a
``theme`` key to every group (``group_key``), so each group is one theme in
one ``--by``/``--period`` slice, with its share of comments as the value and
the comparison of detractors and promoters, the NPS/CSAT of who mentions it
and example comments in the breakdown. The report and every renderer read it
like any other grouped result.

Both KPIs provide the virtual dimension ``nps_group`` (``--by nps-group``):
promoter / passive / detractor from each answer's survey scale (CSAT:
satisfied / neutral / dissatisfied; CES: easy / neutral / difficult).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..registry import Context, Measured, Param, kpi
from ..stats import mean_interval, wilson_interval
from ..text import dictionary as theme_dictionary
from ..text import sentiment as vader
from ..text.stopwords import LANGUAGES
from ..text.tokens import (OTHER, fold, languages, phrase_codes, re2_contains, spaced, stemmer_available,
                           tokenize)
from .aggregate import grouped
from .scales import hint as scale_hint
from .scales import read as read_scale
from .scores import numeric_scores, yes_no
from .surveys import CES_LABELS, CSAT_LABELS

THEME = "theme"  # the group key the themes aggregate adds
GROUP = "nps_group"  # the virtual dimension
NO_SCORE = "(no score)"
_T = "theme:"  # prefix of the per-theme indicator columns in the measured values
MAX_EXAMPLE_CHARS = 200
MAX_WORDS = 3
LEAN = 2.0  # a theme "leans" to a side when that side's share of comments mentioning it is ≥ 2× the other's
SUBSUMED = 0.8  # a phrase is dropped when a longer phrase holding it covers ≥ 80% of its comments

# scale: (low, high, detractor/negative max, promoter/positive min, answer labels, group words neg/mid/pos)
SCALES = {
    "nps": (0, 10, 6, 9, None, ("detractor", "passive", "promoter")),
    "csat": (1, 5, 2, 4, CSAT_LABELS, ("dissatisfied", "neutral", "satisfied")),
    "ces": (1, 7, 3, 5, CES_LABELS, ("difficult", "neutral", "easy")),
}
_RULES = {"nps": "NPS 0–6 / 9–10", "csat": "CSAT 1–2 / 4–5", "ces": "CES 1–3 / 5–7"}


def _language(value) -> str:
    code = str(value).strip().lower()
    if code != "auto" and code not in LANGUAGES and code != OTHER:
        raise ValueError(f"expected auto or a language code: {', '.join(LANGUAGES)}")
    return code


SURVEY_ALL = Param("survey", str, "all", "Which rows of the `survey` column to use, e.g. NPS; default every row "
                                        "(each answer read on its own survey's scale).")
SCALE = Param("scale", str, "auto", "Score scale of the comments' answers: nps (0–10), csat (1–5), ces (1–7); "
                                   "auto = from the `survey` label of each row, else from the values.",
              choices=("auto", "nps", "csat", "ces"))
LANGUAGE = Param("language", str, "auto", "Comment language: auto (checked per comment) or a code "
                                         f"({', '.join(LANGUAGES)}) for every comment.", parse=_language)


# ----------------------------------------------------------------- shared
def _commented(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows with a non-empty comment; the rest are outside the population (counted in a note)."""
    text = frame["comment"].astype("string").str.strip()
    has = text.notna() & (text != "")
    has = has.fillna(False).astype(bool)
    return frame[has].assign(comment=text[has]), int((~has).sum())


def _row_scales(frame: pd.DataFrame, setting: str) -> tuple[pd.Series, list[str]]:
    """Scale name per row (or NA): the setting, else the row's survey label, else guessed from the values."""
    if "score" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string"), []
    if setting != "auto":
        return pd.Series(setting, index=frame.index, dtype="string"), []
    scale = pd.Series(pd.NA, index=frame.index, dtype="string")
    notes: list[str] = []
    if "survey" in frame.columns:
        label = frame["survey"].astype("string").str.strip()
        for value in label.dropna().unique():
            named = scale_hint(value) or next((n for n in ("csat", "ces", "nps") if n in value.lower()), None)
            if named is None:
                continue
            rows = (label == value).fillna(False).to_numpy()
            kpi = read_scale(frame.loc[rows, "score"], named).kpi or named  # NPS-labelled 1–5 answers are CSAT
            if kpi != named:
                notes.append(f"answers of the survey {value!r} are on 1–5, not 0–10: read as CSAT")
            scale[rows] = kpi
    rest = scale.isna()
    if not rest.any():
        return scale, notes
    # the one detector nps/csat/ces, inspect and init use: the narrowest usual scale holding 95%
    guess = read_scale(frame.loc[rest, "score"]).kpi
    if guess is None:  # no numbers to read: the scales' word labels
        raw = frame.loc[rest, "score"].astype("string").str.strip().str.lower()
        if raw.isin(list(CSAT_LABELS)).any():
            guess = "csat"
        elif raw.isin(list(CES_LABELS)).any():
            guess = "ces"
    if guess is None:
        return scale, notes
    return scale.mask(rest, guess), notes + [f"scores without a survey label read as {guess.upper()} "
                                             f"({SCALES[guess][0]}–{SCALES[guess][1]})"]


def score_groups(frame: pd.DataFrame, setting: str = "auto") -> tuple[pd.DataFrame, list[str]]:
    """Per row: ``polarity`` (−1 detractor, 0 passive, +1 promoter, NaN no usable score), ``nps_group``
    and the flags the NPS/CSAT/CES of a theme are computed from."""
    scale, notes = _row_scales(frame, setting)
    idx = frame.index
    out = pd.DataFrame({
        "polarity": np.nan, "_nps": False, "_promoter": False, "_detractor": False,
        "_csat": False, "_satisfied": False, "_ces": False, "_ces_score": np.nan,
    }, index=idx)
    unreadable = 0
    present = []
    for name, (lo, hi, neg_max, pos_min, labels, _) in SCALES.items():
        rows = (scale == name).fillna(False).to_numpy()
        if not rows.any():
            continue
        raw = frame.loc[rows, "score"]
        score, skipped = (yes_no(raw) if name == "csat" else (None, None))
        if score is not None:  # yes/no CSAT: yes = satisfied, no = dissatisfied
            neg_max, pos_min = 0, 1
        else:
            score, skipped = numeric_scores(raw, lo, hi, labels)
        unreadable += int((skipped != "no answer (empty score)").sum()) if len(skipped) else 0
        if score.empty:
            continue
        present.append(name)
        pol = np.where(score <= neg_max, -1.0, np.where(score >= pos_min, 1.0, 0.0))
        out.loc[score.index, "polarity"] = pol
        if name == "nps":
            out.loc[score.index, "_nps"] = True
            out.loc[score.index, "_promoter"] = pol == 1
            out.loc[score.index, "_detractor"] = pol == -1
        elif name == "csat":
            out.loc[score.index, "_csat"] = True
            out.loc[score.index, "_satisfied"] = pol == 1
        else:
            out.loc[score.index, "_ces"] = True
            out.loc[score.index, "_ces_score"] = score.astype("float64")
    words = SCALES[present[0]][5] if len(present) == 1 else SCALES["nps"][5]
    if len(present) > 1:
        rules = "; ".join(_RULES[p] for p in present)
        notes.append(f"{GROUP}: detractors / promoters per survey: {rules}")
    if unreadable:
        notes.append(f"{unreadable} comments have a score that could not be read; counted as {NO_SCORE}")
    label = np.select([out["polarity"] == -1, out["polarity"] == 0, out["polarity"] == 1], list(words), NO_SCORE)
    out[GROUP] = pd.Categorical(label, categories=[*words, NO_SCORE], ordered=True)
    out.attrs["words"] = words
    return out, notes


def _group_codes(values: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.Index]:
    """Group number of each row and the groups' index (one dummy group when ``keys`` is empty)."""
    if not keys:
        return np.zeros(len(values), dtype="int64"), pd.RangeIndex(1)
    g = values.groupby(keys, observed=True, sort=True)
    codes = g.ngroup().to_numpy()
    return codes, g.size().index


class _Mentions:
    """Which comment mentions which theme, kept as the (row, theme) pairs of the boolean matrix
    (a comment mentions a handful of the themes), so per-group sums are one ``bincount``."""

    def __init__(self, matrix: np.ndarray, codes: np.ndarray, groups: int):
        self.rows, self.cols = np.nonzero(matrix)
        self.width, self.groups = matrix.shape[1], groups
        self.cell = codes[self.rows] * self.width + self.cols

    def sums(self, weight=None) -> np.ndarray:
        """(groups × themes): the sum of ``weight`` (default 1) over the rows that mention each theme."""
        w = None if weight is None else np.nan_to_num(np.asarray(weight, dtype="float64"))[self.rows]
        flat = np.bincount(self.cell, weights=w, minlength=self.groups * self.width)
        return flat.reshape(self.groups, self.width)


# ----------------------------------------------------------------- themes
def _phrase_indicators(comments: pd.Series, lang: pd.Series, settings: dict,
                       tokens: pd.Series | None = None) -> pd.DataFrame:
    """One boolean column per candidate key phrase (the most frequent, after dropping subsumed ones),
    named after the way it is written most often. Counting runs on integer-coded phrases."""
    found = phrase_codes(comments, lang, MAX_WORDS, tokens)
    if not len(found.key):
        return pd.DataFrame(index=comments.index)
    codes, keys = pd.factorize(found.key)
    keys = pd.Index(keys)
    counts = pd.Series(np.bincount(codes), index=keys)
    counts = counts[counts >= max(1, int(settings["min_mentions"]))]
    counts = _drop_subsumed(counts, found)
    counts = counts.sort_index().sort_values(ascending=False, kind="stable").head(int(settings["candidates"]))
    column = np.full(len(keys), -1)
    column[keys.get_indexer(counts.index)] = np.arange(len(counts))
    hit = column[codes]
    chosen = hit >= 0
    forms = pd.DataFrame({"column": hit[chosen], "surface": found.surface[chosen]})
    forms = forms.groupby(["column", "surface"]).size().rename("count").reset_index()
    forms["text"] = found.surface_text(forms["surface"].to_numpy())
    forms = forms.sort_values(["count", "text"], ascending=[False, True], kind="stable")
    name = forms.drop_duplicates("column").set_index("column")["text"].sort_index()
    name_code, names = pd.factorize(name.to_numpy(dtype=object))  # two keys written alike share a column
    matrix = np.zeros((len(comments), len(names)), dtype=bool, order="F")
    matrix[found.position[chosen], name_code[hit[chosen]]] = True
    return _indicator_frame(comments.index, matrix, np.asarray(names, dtype=object))


def _drop_subsumed(counts: pd.Series, found) -> pd.Series:
    """Drop a phrase when one longer candidate phrase holding it is in ≥ 80% as many comments
    ("billing" when nearly every mention is "billing error"). Integer arithmetic on the candidates."""
    d = found.parts(counts.index.to_numpy())
    base, n = found.base, counts.to_numpy()
    subs = []
    bigram = (d[:, 0] == 0) & (d[:, 1] > 0)
    trigram = d[:, 0] > 0
    for mask, parts in ((bigram, [d[:, 1], d[:, 2]]),
                        (trigram, [d[:, 0], d[:, 1], d[:, 2], d[:, 0] * base + d[:, 1], d[:, 1] * base + d[:, 2]])):
        for part in parts:
            subs.append(pd.DataFrame({"part": part[mask], "n": n[mask]}))
    if not subs:
        return counts
    best = pd.concat(subs).groupby("part")["n"].max().reindex(counts.index, fill_value=0)
    return counts[(best < SUBSUMED * counts).to_numpy()]


def _dictionary_indicators(comments: pd.Series, themes) -> tuple[pd.DataFrame, list[str]]:
    folded = fold(comments)
    words = spaced(folded)
    columns = {}
    with warnings.catch_warnings():  # a user's regex may have groups; only whether it matches counts
        warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")
        for theme in themes.themes:  # a loop over themes; each match runs over the whole column
            hit = re2_contains(words, theme.keywords) if theme.keywords else np.zeros(len(folded), dtype=bool)
            for rx in theme.regexes:
                hit = hit | re2_contains(folded, rx)
            columns[_T + theme.name] = hit
    frame = pd.DataFrame(columns, index=comments.index)
    frame[_T + themes.other] = ~frame.any(axis=1) if len(frame.columns) else True
    return frame, []


def _indicator_frame(index: pd.Index, matrix: np.ndarray, names: np.ndarray) -> pd.DataFrame:
    """The comment × phrase matrix as columns; phrases said in exactly the same comments become one
    ("app / crashes")."""
    fingerprint = pd.Series([c.tobytes() for c in np.packbits(matrix, axis=0).T], dtype=object)  # per phrase
    first = ~fingerprint.duplicated().to_numpy()
    label = pd.Series(names, dtype=object).groupby(fingerprint.to_numpy(), sort=False).agg(" / ".join)
    columns = [_T + label[f] for f in fingerprint[first]]
    return pd.DataFrame(matrix[:, first], index=index, columns=columns)


def _themes_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    """The total (one row) or, when ``keys`` holds ``theme``, a row per theme in each group."""
    settings = ctx.settings
    tcols = [c for c in values.columns if c.startswith(_T)]
    other = _T + str(settings["themes"].other) if settings.get("themes") is not None else None
    real = [k for k in keys if k != THEME]
    top = max(1, int(settings["top"]))
    order = settings.get("sort") or ("mentions" if settings.get("themes") is not None else "lift")
    if THEME not in keys:
        return _themes_total(values, tcols, other, top, order)
    codes, index = _group_codes(values, real)
    groups = len(index)
    matrix = values[tcols].to_numpy(dtype=bool) if tcols else np.zeros((len(values), 0), dtype=bool)
    polarity = values["polarity"].to_numpy()
    neg, pos = polarity == -1, polarity == 1
    n = np.bincount(codes, minlength=groups)
    big_d, big_p = np.bincount(codes[neg], minlength=groups), np.bincount(codes[pos], minlength=groups)
    hits = _Mentions(matrix, codes, groups)
    mentions = hits.sums()
    g_idx, t_idx = np.nonzero(mentions > 0)
    pairs = pd.DataFrame({
        "g": g_idx, "t": t_idx, "name": np.array([c[len(_T):] for c in tcols], dtype=object)[t_idx],
        "is_other": np.array(tcols, dtype=object)[t_idx] == other,
        "mentions": mentions[g_idx, t_idx].astype("int64"),
        "detractor_mentions": hits.sums(neg)[g_idx, t_idx].astype("int64"),
        "promoter_mentions": hits.sums(pos)[g_idx, t_idx].astype("int64"),
    })
    pairs = _select(pairs, top, big_d[pairs["g"].to_numpy()], big_p[pairs["g"].to_numpy()], order)

    gi, ti = pairs["g"].to_numpy(), pairs["t"].to_numpy()

    def per_pair(weight) -> np.ndarray:
        return hits.sums(weight)[gi, ti]

    out = pairs.drop(columns=["t"])
    out["n"] = n[gi].astype("int64")
    out["value"] = 100 * out["mentions"] / out["n"]
    out["low"], out["high"] = wilson_interval(out["mentions"], out["n"])
    d, p = out["detractor_mentions"].to_numpy("float64"), out["promoter_mentions"].to_numpy("float64")
    dd, pp = big_d[gi].astype("float64"), big_p[gi].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["detractors_pct"] = np.where(dd > 0, 100 * d / dd, np.nan)
        out["promoters_pct"] = np.where(pp > 0, 100 * p / pp, np.nan)
        comparable = (dd > 0) & (pp > 0) & (d + p > 0)
        out["lift"] = np.where(comparable, ((d + 0.5) / (dd + 1)) / ((p + 0.5) / (pp + 1)), np.nan)
        if values["_nps"].any():
            answers = per_pair(values["_nps"])
            net = per_pair(values["_promoter"]) - per_pair(values["_detractor"])
            out["nps"] = np.where(answers > 0, 100 * net / answers, np.nan)
        if values["_csat"].any():
            answers = per_pair(values["_csat"])
            out["csat"] = np.where(answers > 0, 100 * per_pair(values["_satisfied"]) / answers, np.nan)
        if values["_ces"].any():
            answers = per_pair(values["_ces"])
            out["ces"] = np.where(answers > 0, per_pair(values["_ces_score"]) / answers, np.nan)

    by_lift = -out["lift"].fillna(-np.inf) if order == "lift" else 0
    out = out.assign(_lift=by_lift, _m=-out["mentions"])
    out = out.sort_values(["g", "is_other", "_lift", "_m", "name"], kind="stable").reset_index(drop=True)
    out["examples"] = _examples(values, matrix, codes, out, tcols, int(settings["examples"]))
    result = out.drop(columns=["is_other", "_lift", "_m"]).rename(columns={"name": THEME})
    if real:
        keys_frame = index.to_frame(index=False)
        for k in real:
            result[k] = keys_frame[k].to_numpy()[result["g"].to_numpy()]
    return result.drop(columns=["g"]).set_index([*real, THEME])


def _select(pairs: pd.DataFrame, top: int, big_d: np.ndarray, big_p: np.ndarray, order: str) -> pd.DataFrame:
    """The themes each group lists: its ``top`` most mentioned. When themes are ranked by lift and the group
    has both detractors (``big_d`` comments) and promoters (``big_p``), half the places go to the themes
    detractors mention most among those whose share among detractors is at least twice that among promoters,
    half to the promoters' counterpart, and the rest by mentions. "other" is always kept."""
    pairs = pairs.assign(_d=big_d, _p=big_p)
    pairs = pairs.sort_values(["g", "mentions", "name"], ascending=[True, False, True], kind="stable")
    themes, other = pairs[~pairs["is_other"]], pairs[pairs["is_other"]].drop(columns=["_d", "_p"])
    both = ((themes["_d"] > 0) & (themes["_p"] > 0)).to_numpy() & (order == "lift")
    if not both.any():
        return pd.concat([themes.groupby("g").head(top).drop(columns=["_d", "_p"]), other])
    d_share = themes["detractor_mentions"] / themes["_d"].where(themes["_d"] > 0)
    p_share = themes["promoter_mentions"] / themes["_p"].where(themes["_p"] > 0)
    picked = np.zeros(len(themes), dtype=bool)
    for side, places, leans in (("detractor_mentions", (top + 1) // 2, d_share >= LEAN * p_share),
                                ("promoter_mentions", top // 2, p_share >= LEAN * d_share)):
        eligible = themes[both & leans.fillna(False).to_numpy()]
        ranked = eligible.sort_values(["g", side, "mentions", "name"], ascending=[True, False, False, True],
                                      kind="stable")
        best = ranked[ranked.groupby("g").cumcount().to_numpy() < places].index
        picked |= themes.index.isin(best)
    rest = themes[~picked]
    room = top - pd.Series(picked).groupby(themes["g"].to_numpy()).sum()
    fill = rest.groupby("g").cumcount().to_numpy() < room.reindex(rest["g"]).fillna(top).to_numpy()
    return pd.concat([themes[picked], rest[fill], other]).drop(columns=["_d", "_p"])


def _examples(values, matrix, codes, out: pd.DataFrame, tcols: list[str], k: int) -> list[list[str]]:
    """Up to ``k`` distinct comments per theme row: from the side the theme leans to first, then the shortest
    (the most to the point), then in file order."""
    if k <= 0 or out.empty:
        return [[] for _ in range(len(out))]
    comments = values["comment"].astype("string").to_numpy(dtype=object)
    length = values["comment"].astype("string").str.len().to_numpy(dtype="float64")
    polarity = values["polarity"].fillna(0).to_numpy() if "polarity" in values else np.zeros(len(values))
    position = {c[len(_T):]: i for i, c in enumerate(tcols)}
    examples = []
    for g, name, lift in zip(out["g"], out["name"], out["lift"]):  # a loop over result rows
        rows = np.flatnonzero((codes == g) & matrix[:, position[name]])
        lean = 0.0 if np.isnan(lift) or lift == 1 else (-1.0 if lift > 1 else 1.0)
        first = rows[np.lexsort((rows, length[rows], -(polarity[rows] * lean)))]
        picked = pd.unique(comments[first[: 50 * k]])[:k]
        examples.append([_clip(str(c)) for c in picked])
    return examples


def _clip(text: str) -> str:
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1].rstrip() + "…"


def _themes_total(values: pd.DataFrame, tcols: list[str], other: str | None, top: int, order: str) -> pd.DataFrame:
    """One row: share of comments with at least one of the themes listed overall, and who wrote the comments."""
    n = len(values)
    shown: list[str] = []
    if tcols and n:
        matrix = values[tcols].to_numpy(dtype=bool)
        polarity = values["polarity"].to_numpy()
        counts = matrix.sum(axis=0)
        t_idx = np.flatnonzero(counts)
        pairs = pd.DataFrame({
            "g": 0, "t": t_idx, "name": np.array(tcols, dtype=object)[t_idx],
            "is_other": np.array(tcols, dtype=object)[t_idx] == other, "mentions": counts[t_idx],
            "detractor_mentions": matrix[polarity == -1].sum(axis=0)[t_idx],
            "promoter_mentions": matrix[polarity == 1].sum(axis=0)[t_idx],
        })
        picked = _select(pairs, top, np.full(len(pairs), (polarity == -1).sum()),
                         np.full(len(pairs), (polarity == 1).sum()), order)
        shown = [c for c in picked.loc[~picked["is_other"], "name"]]
    with_theme = int(values[shown].any(axis=1).sum()) if shown and n else 0
    row = {"value": 100 * with_theme / n if n else np.nan, "n": n, "with_theme": with_theme,
           "themes": len(shown)}
    if n:
        row["low"], row["high"] = (float(x) for x in wilson_interval(with_theme, n))
    polarity = values["polarity"] if "polarity" in values else pd.Series(np.nan, index=values.index)
    row["detractor_comments"] = int((polarity == -1).sum())
    row["promoter_comments"] = int((polarity == 1).sum())
    if n and values["_nps"].any():
        row["nps"] = 100 * (values["_promoter"].sum() - values["_detractor"].sum()) / values["_nps"].sum()
    if n and values["_csat"].any():
        row["csat"] = 100 * values["_satisfied"].sum() / values["_csat"].sum()
    if n and values["_ces"].any():
        row["ces"] = values.loc[values["_ces"], "_ces_score"].mean()
    return pd.DataFrame([row])


@kpi(
    name="themes",
    headline="top-theme-lift",
    title="Comment themes",
    source="surveys",
    needs=("comment",),
    optional=("score", "survey"),
    unit="% of comments",
    higher_is_better=None,
    formula="share of comments mentioning each theme; lift = detractors' share ÷ promoters' share "
            "(+0.5 smoothing); themes = frequent 1–3-word key phrases, or a YAML dictionary",
    aggregate=_themes_aggregate,
    params=(
        Param("themes", str, None, "YAML theme dictionary (theme: keywords/regexes, any languages); "
                                   "default: frequent key phrases.", parse=theme_dictionary.load, path=True),
        Param("top", int, 20, "Themes listed per group."),
        Param("min_mentions", int, 3, "Key phrases need at least this many comments (no dictionary)."),
        Param("candidates", int, 300, "Most frequent key phrases considered (no dictionary)."),
        Param("sort", str, None, "Order of themes: lift (default without a dictionary) or mentions.",
              choices=("lift", "mentions")),
        Param("examples", int, 3, "Example comments per theme."),
        SCALE,
        LANGUAGE,
        SURVEY_ALL,
    ),
    dimensions=(GROUP,),
    group_key=THEME,
    example="cxkpi themes sample_data/surveys.csv --by nps-group",
)
def themes(frame: pd.DataFrame, settings: dict) -> Measured:
    """What comments talk about: top themes, their share, and whether detractors or promoters raise them.

    --by nps-group puts the detractors', passives' and promoters' themes side by side."""
    frame, uncommented = _commented(frame)
    scores, notes = score_groups(frame, settings.get("scale") or "auto")
    comments = frame["comment"]
    dictionary = settings.get("themes")
    if dictionary is not None:
        dictionary = theme_dictionary.load(dictionary)
        settings["themes"] = dictionary
        indicators, more = _dictionary_indicators(comments, dictionary)
        notes.append(f"themes from {dictionary.path}: {len(dictionary.themes)} themes, "
                     f"matched case- and accent-insensitively; a comment can have several")
    else:
        fixed = None if settings.get("language", "auto") == "auto" else settings["language"]
        tokens = tokenize(comments)
        lang = languages(comments, tokens, fixed)
        indicators, more = _phrase_indicators(comments, lang, settings, tokens), []
        counts = lang.value_counts()
        if len(counts) > 1 or (len(counts) == 1 and counts.index[0] != "en"):
            notes.append("comment languages: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if not stemmer_available():
            notes.append("snowballstemmer is not installed: phrases are not stemmed (pip install snowballstemmer)")
    notes += more
    if "score" not in frame.columns:
        notes.append("no score column: themes are not compared between detractors and promoters")
    values = pd.concat([comments.rename("comment"), scores, indicators], axis=1)
    measured = Measured(values, notes=notes)
    if uncommented:
        measured.excluded += uncommented
        measured.notes.append(f"{uncommented} rows without a comment not counted")
    return measured


# ----------------------------------------------------------------- sentiment
def _sentiment_aggregate(values: pd.DataFrame, keys: list[str], ctx: Context) -> pd.DataFrame:
    threshold = float(ctx.settings["threshold"])
    s = values["sentiment"]
    scored = s.notna()
    pol = values["polarity"]
    neg, pos = scored & (s <= -threshold), scored & (s >= threshold)
    prom, det = scored & (pol == 1), scored & (pol == -1)
    frame = pd.DataFrame({
        "_s": scored, "_neg": neg, "_pos": pos, "_unsupported": ~scored, "_prom": prom, "_det": det,
        "_prom_neg": prom & neg, "_det_pos": det & pos, "_agree": (prom & pos) | (det & neg),
        "sentiment": s,
    }, index=values.index).astype({c: "int64" for c in ("_s", "_neg", "_pos", "_unsupported", "_prom", "_det",
                                                         "_prom_neg", "_det_pos", "_agree")})
    for k in keys:
        frame[k] = values[k]
    if frame.empty and not keys:
        return pd.DataFrame([{"value": np.nan, "n": 0, "not_scored": 0}])
    out = grouped(frame, keys).agg(
        n=("_s", "sum"), value=("sentiment", "mean"), std=("sentiment", "std"), negative=("_neg", "sum"),
        positive=("_pos", "sum"), not_scored=("_unsupported", "sum"), promoters=("_prom", "sum"),
        detractors=("_det", "sum"), prom_neg=("_prom_neg", "sum"), det_pos=("_det_pos", "sum"),
        agree=("_agree", "sum"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        nz = out["n"].where(out["n"] > 0)
        out["negative_pct"] = 100 * out["negative"] / nz
        out["neutral_pct"] = 100 * (out["n"] - out["negative"] - out["positive"]) / nz
        out["positive_pct"] = 100 * out["positive"] / nz
        out["promoters_negative_pct"] = 100 * out["prom_neg"] / out["promoters"].where(out["promoters"] > 0)
        out["detractors_positive_pct"] = 100 * out["det_pos"] / out["detractors"].where(out["detractors"] > 0)
        sided = out["promoters"] + out["detractors"]
        out["agreement_pct"] = 100 * out["agree"] / sided.where(sided > 0)
    out["low"], out["high"] = mean_interval(out["value"], out["std"], out["n"])
    return out[["value", "n", "low", "high", "negative_pct", "neutral_pct", "positive_pct", "not_scored",
                "promoters", "promoters_negative_pct", "detractors", "detractors_positive_pct", "agreement_pct"]]


@kpi(
    name="sentiment",
    headline="net-positive",
    title="Comment sentiment",
    source="surveys",
    needs=("comment",),
    optional=("score", "survey"),
    unit="compound (−1…1)",
    higher_is_better=True,
    formula="mean VADER compound score of the comments; negative ≤ −0.05, positive ≥ 0.05; agreement = "
            "promoters with positive + detractors with negative comments ÷ promoters and detractors",
    aggregate=_sentiment_aggregate,
    params=(
        Param("threshold", float, 0.05, "Compound score from which a comment counts as positive (and at or "
                                        "below minus it, negative)."),
        SCALE,
        LANGUAGE,
        SURVEY_ALL,
    ),
    dimensions=(GROUP,),
    example="cxkpi sentiment sample_data/surveys.csv --by channel",
)
def sentiment(frame: pd.DataFrame, settings: dict) -> Measured:
    """How negative or positive the comments read (VADER, English), and whether that agrees with the score.

    Needs the optional extra: pip install "cxkpi[text]". Comments in other languages are counted as
    not scored, never scored as English."""
    engine = vader.analyzer()  # fails first, with the install hint, when the extra is missing
    if not 0 <= float(settings["threshold"]) < 1:
        raise UsageError(f"--threshold {settings['threshold']}: expected a number from 0 to 1")
    frame, uncommented = _commented(frame)
    scores, notes = score_groups(frame, settings.get("scale") or "auto")
    comments = frame["comment"]
    fixed = None if settings.get("language", "auto") == "auto" else settings["language"]
    lang = languages(comments, None, fixed)
    supported = lang.isin(vader.SUPPORTED).fillna(False).astype(bool)
    score = pd.Series(np.nan, index=comments.index)
    if supported.any():
        score[supported] = vader.compound(comments[supported], engine)
    unsupported = lang[~supported].value_counts()
    if len(unsupported):
        listed = ", ".join(f"{k} {v}" for k, v in unsupported.items())
        notes.append(f"{int(unsupported.sum())} comments not scored: {vader.LIBRARY} reads English only ({listed})")
    values = pd.concat([score.rename("sentiment"), lang.rename("language"), scores], axis=1)
    # comments in a language the analyser cannot read stay outside n (reported in the note above),
    # like rows without a comment: neither scored nor "skipped" as bad data
    measured = Measured(values, notes=notes, excluded=int(unsupported.sum()))
    if uncommented:
        measured.excluded += uncommented
        measured.notes.append(f"{uncommented} rows without a comment not counted")
    return measured

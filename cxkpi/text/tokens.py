"""Comments to tokens, languages and key phrases — vectorised over the whole column.

Every step works on one exploded Series of tokens (index = the comment's row)
with pandas string methods, ``shift`` and ``groupby``; nothing loops over
comments. Stemming runs once per distinct word and language.

Pipeline of :func:`phrases`:

1. normalise (lower case, ’ → ', French/Italian elisions ``l'agent`` → ``l agent``)
   and tokenise: words, and punctuation/numbers as phrase breaks;
2. language of each comment (:func:`languages`);
3. stop words (per language) break phrases; so do negation words ("not", "nicht",
   "n't"), which also make a two-word phrase with the next content word
   ("no refund", "not helpful", skipping stop words in between);
4. content words are stemmed (snowballstemmer, when installed) into keys;
5. 1–3-word phrases are the runs of adjacent content words; a comment counts a
   phrase once.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from .stopwords import LANGUAGES, NEGATIONS, STEMMERS, STOPWORDS

OTHER = "other"  # a language the check cannot name (non-Latin script, or none of LANGUAGES)
NEGATED = "¬"  # key prefix of a negated word

_ELISION = r"(?<![^\W\d_'])(qu|dell|dall|nell|sull|all|un|[cdjlmnst])'(?=[^\W\d_])"
_TOKEN = r"[^\W\d_]+(?:'[^\W\d_]+)*|[^\w\s']+|\d+"
_WORD = r"^[^\W\d_]"
# scripts whose comments the stop-word check cannot judge: Greek, Cyrillic, Hebrew, Arabic,
# Devanagari, Thai, Hangul, kana, CJK
_NON_LATIN = r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"


def fold(text: pd.Series) -> pd.Series:
    """Case- and accent-insensitive form: casefold, then drop combining marks (é → e, ß → ss)."""
    s = text.astype("string").str.casefold().str.normalize("NFKD")
    return s.str.replace(r"[\u0300-\u036f]", "", regex=True)


def fold_one(text: str) -> str:
    """:func:`fold` for one string (dictionary keywords)."""
    s = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def tokenize(comments: pd.Series) -> pd.Series:
    """One row per token (index = the comment's index), in order; punctuation and numbers kept as breaks."""
    low = comments.astype("string").str.lower().str.replace("’", "'", regex=False)
    low = low.str.replace(_ELISION, r"\1 ", regex=True)
    tokens = low.str.findall(_TOKEN).explode()
    return tokens.dropna().astype("string")


def is_word(tokens: pd.Series) -> pd.Series:
    return tokens.str.contains(_WORD, regex=True).fillna(False).astype(bool)


def _negation(tokens: pd.Series, lang: pd.Series) -> pd.Series:
    neg = tokens.str.endswith("n't").fillna(False).astype(bool)
    for code, words in NEGATIONS.items():
        neg |= (lang == code) & tokens.isin(words)
    return neg


def languages(comments: pd.Series, tokens: pd.Series | None = None, fixed: str | None = None) -> pd.Series:
    """Language code per comment: a vote of stop words, a script check, and the file's majority.

    Each comment's words are looked up in every known language's stop and
    negation words; the language with most hits wins (ties: the order of
    ``LANGUAGES``, English first). A comment in a non-Latin script is
    ``"other"``. A comment with no hit at all ("Slow response.") gets the
    language most comments of the file were found in. ``fixed`` skips the check.
    """
    if fixed:
        return pd.Series(fixed, index=comments.index, dtype="string")
    if tokens is None:
        tokens = tokenize(comments)
    words = tokens[is_word(tokens)]
    hits = pd.DataFrame({code: words.isin(STOPWORDS[code] | NEGATIONS[code]) for code in LANGUAGES},
                        index=words.index)
    votes = hits.groupby(level=0).sum().reindex(comments.index, fill_value=0)
    best = pd.Series(np.asarray(LANGUAGES, dtype=object)[votes.to_numpy().argmax(axis=1)], index=comments.index)
    evidence = votes.to_numpy().max(axis=1) > 0
    counts = best[evidence].value_counts().reindex(list(LANGUAGES), fill_value=0)
    fallback = counts.idxmax() if counts.max() > 0 else LANGUAGES[0]  # ties: the order of LANGUAGES
    lang = best.where(evidence, fallback)
    non_latin = comments.astype("string").str.contains(_NON_LATIN, regex=True).fillna(False).astype(bool)
    return lang.mask(non_latin, OTHER).astype("string")


def stemmer_available() -> bool:
    try:
        import snowballstemmer  # noqa: F401
    except ImportError:
        return False
    return True


def stem(words: pd.Series, lang: pd.Series) -> pd.Series:
    """Snowball stem of each word in its comment's language (the word itself when no stemmer applies)."""
    out = words.copy()
    if not stemmer_available():
        return out
    import snowballstemmer

    for code, algorithm in STEMMERS.items():
        mask = (lang == code).to_numpy()
        if not mask.any():
            continue
        sub = words[mask]
        distinct = sub.unique()
        stems = snowballstemmer.stemmer(algorithm).stemWords([str(w) for w in distinct])
        out[mask] = sub.map(dict(zip(distinct, stems)))
    return out


def phrases(comments: pd.Series, lang: pd.Series, max_words: int = 3) -> pd.DataFrame:
    """Key phrases of each comment: columns ``key`` (stemmed), ``surface`` (as written), ``words``.

    Index = the comment's index; one row per distinct key per comment.
    """
    tokens = tokenize(comments)
    if tokens.empty:
        return pd.DataFrame({"key": pd.Series(dtype="string"), "surface": pd.Series(dtype="string"),
                             "words": pd.Series(dtype="int64")})
    row = tokens.index.to_numpy()
    tok_lang = pd.Series(lang.reindex(tokens.index).to_numpy(), index=tokens.index, dtype="string")
    word = is_word(tokens)
    neg = word & _negation(tokens, tok_lang)
    stop = pd.Series(False, index=tokens.index)
    for code, words in STOPWORDS.items():
        stop |= (tok_lang == code) & tokens.isin(words)
    stop = stop.to_numpy() & ~neg.to_numpy()
    neg = neg.to_numpy()
    content = word.to_numpy() & ~stop & ~neg & (tokens.str.len() > 1).to_numpy()
    first = np.r_[True, row[1:] != row[:-1]]

    # a negation word negates the next content word unless punctuation comes first
    state = np.where(neg, 1.0, np.where(content | ~word.to_numpy(), 0.0, np.nan))
    carry = pd.Series(state).shift(1).to_numpy().copy()
    carry[first] = 0.0
    negated = (pd.Series(carry).ffill().to_numpy() == 1.0) & content
    # the negation word as written, carried forward to the word it negates
    neg_word = pd.Series(np.where(neg, tokens.to_numpy(dtype=object), None)).shift(1)
    neg_word[first] = ""
    neg_word = neg_word.ffill().to_numpy()

    # phrase runs: any non-content token (or a new comment) starts a new run
    run = np.cumsum(~content | first)
    keep = np.flatnonzero(content)
    words = tokens.iloc[keep]
    key = stem(words, tok_lang.iloc[keep]).to_numpy(dtype=object)
    surface = words.to_numpy(dtype=object)
    run = run[keep]
    rows = row[keep]

    parts = []
    is_neg = negated[keep]
    if is_neg.any():  # "no refund", "not helpful": the negation and the word it negates
        parts.append(pd.DataFrame({
            "key": NEGATED + " " + key[is_neg].astype(str),
            "surface": neg_word[keep][is_neg].astype(str) + " " + surface[is_neg].astype(str),
            "words": 2,
        }, index=rows[is_neg]))
    key_s = pd.Series(key, dtype="string")
    surf_s = pd.Series(surface, dtype="string")
    for n in range(1, max_words + 1):
        if n > len(keep):
            break
        same = np.ones(len(keep) - n + 1, dtype=bool)
        for j in range(1, n):
            same &= run[j:len(run) - n + 1 + j] == run[:len(run) - n + 1]
        pos = np.flatnonzero(same)
        k = key_s.iloc[pos].reset_index(drop=True)
        s = surf_s.iloc[pos].reset_index(drop=True)
        for j in range(1, n):
            k = k + " " + key_s.iloc[pos + j].reset_index(drop=True)
            s = s + " " + surf_s.iloc[pos + j].reset_index(drop=True)
        parts.append(pd.DataFrame({"key": k.to_numpy(), "surface": s.to_numpy(), "words": n},
                                  index=rows[pos]))
    out = pd.concat(parts)
    out["key"] = out["key"].astype("string")
    out["surface"] = out["surface"].astype("string")
    out.index.name = None
    return out[~out.reset_index().duplicated(["index", "key"]).to_numpy()]

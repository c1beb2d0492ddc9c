"""Comments to tokens, languages and key phrases — vectorised over the whole column.

Tokenising runs in pyarrow's string kernels (RE2 replace, whitespace split,
flatten); after that every token is an integer code into the vocabulary of
distinct tokens, so stop words, negations, stems and the language vote are
looked up once per distinct word and then gathered with numpy indexing.
Nothing loops over comments; stemming runs once per distinct word and language.

Pipeline of :func:`phrase_codes`:

1. normalise (lower case, ’ → ', French/Italian elisions ``l'agent`` → ``l agent``)
   and tokenise: words, and each run of punctuation/digits as one break;
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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stopwords import LANGUAGES, NEGATIONS, STEMMERS, STOPWORDS

OTHER = "other"  # a language the check cannot name (non-Latin script, or none of LANGUAGES)
NEGATED = "¬"  # key of the negation mark in a negated phrase ("¬ help" = "not helpful")

# written so pyarrow's RE2 engine runs them (no look-arounds): \pL = any letter, \pM = accent marks
_ELISION = r"(^|[^\pL'])(qu|dell|dall|nell|sull|all|un|[cdjlmnst])'(\pL)"
_BREAKS = r"[^\pL\pM\s']+"  # punctuation, digits, symbols: each run becomes a break token
BREAK = "."
# scripts whose comments the stop-word check cannot judge: Greek, Cyrillic, Hebrew, Arabic,
# Devanagari, Thai, Hangul, kana, CJK
_NON_LATIN = r"[\x{370}-\x{3ff}\x{400}-\x{4ff}\x{590}-\x{6ff}\x{900}-\x{97f}\x{e00}-\x{e7f}\x{3040}-\x{30ff}\x{3400}-\x{9fff}\x{ac00}-\x{d7af}]"


def re2_replace(text: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """``str.replace`` run by pyarrow's RE2 engine (Unicode classes such as ``\\pL``; ``\\1`` refers
    to a group), whatever pandas would pick for the pattern."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = pc.replace_substring_regex(pa.array(text.astype("string").array), pattern=pattern,
                                     replacement=replacement)
    return pd.Series(pd.array(out, dtype="string"), index=text.index)


def re2_contains(text: pd.Series, pattern: str) -> np.ndarray:
    """Whether each text matches ``pattern``: RE2 through pyarrow, or Python's ``re`` for the patterns
    RE2 does not take (look-arounds, back-references). Missing text is False."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        hit = pc.match_substring_regex(pa.array(text.astype("string").array), pattern=pattern)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=object) == True  # noqa: E712 (nulls)
    except pa.ArrowInvalid:
        found = text.astype(object).str.contains(pattern, regex=True)
        return found.fillna(False).to_numpy(dtype=bool)


def fold(text: pd.Series) -> pd.Series:
    """Case- and accent-insensitive form: casefold, then drop combining marks (é → e, ß → ss)."""
    s = text.astype("string").str.casefold().str.normalize("NFKD")
    return re2_replace(s, r"\pM+", "")


def spaced(folded: pd.Series) -> pd.Series:
    """Folded text with every run of non-letters/digits as one space, padded: `` money back `` — so a
    whole-word keyword is a plain substring (see ``dictionary.keyword_pattern``)."""
    return " " + re2_replace(folded, r"[^\pL\pN]+", " ") + " "


def fold_one(text: str) -> str:
    """:func:`fold` for one string (dictionary keywords)."""
    s = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Tokens:
    """The tokens of a column of comments, in order: ``position`` = the comment's position in the
    column, ``code`` = index into ``vocab`` (the distinct tokens; ``"."`` marks a break)."""

    position: np.ndarray
    code: np.ndarray
    vocab: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def in_vocab(self, words) -> np.ndarray:
        """Per vocabulary entry: is it one of ``words``."""
        return pd.Index(self.vocab).isin(list(words))


def tokenize(comments: pd.Series) -> Tokens:
    """Split every comment into tokens with pyarrow kernels (no Python per comment)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    low = comments.astype("string").str.lower().str.replace("’", "'", regex=False)
    low = re2_replace(low, _ELISION, r"\1\2 \3")
    low = re2_replace(low, _BREAKS, f" {BREAK} ")
    lists = pc.utf8_split_whitespace(pa.array(low.array))
    flat = pc.utf8_trim(pc.list_flatten(lists), characters="'")
    position = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    keep = np.asarray(pc.not_equal(pc.utf8_length(flat), 0), dtype=bool)
    codes, vocab = pd.factorize(pd.array(flat, dtype="string")[keep])
    return Tokens(position=position[keep], code=np.asarray(codes, dtype=np.int64),
                  vocab=np.asarray(vocab, dtype=object))


def _language_codes(lang: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per comment, the index of its language in ``LANGUAGES`` (len(LANGUAGES) for any other)."""
    names = list(LANGUAGES)
    code = pd.Index(names).get_indexer(lang.astype(object).to_numpy())
    return np.where(code < 0, len(names), code), names


def languages(comments: pd.Series, tokens: Tokens | None = None, fixed: str | None = None) -> pd.Series:
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
    n = len(comments)
    votes = np.zeros((n, len(LANGUAGES)), dtype=np.int64)
    for i, code in enumerate(LANGUAGES):  # a loop over languages; each is a bincount over all tokens
        hit = tokens.in_vocab(STOPWORDS[code] | NEGATIONS[code])[tokens.code]
        votes[:, i] = np.bincount(tokens.position[hit], minlength=n)
    best = np.asarray(LANGUAGES, dtype=object)[votes.argmax(axis=1)] if n else np.empty(0, dtype=object)
    evidence = votes.max(axis=1) > 0 if n else np.zeros(0, dtype=bool)
    counts = pd.Series(best[evidence]).value_counts().reindex(list(LANGUAGES), fill_value=0)
    fallback = counts.idxmax() if len(counts) and counts.max() > 0 else LANGUAGES[0]  # ties: LANGUAGES order
    lang = np.where(evidence, best, fallback)
    lang = np.where(re2_contains(comments, _NON_LATIN), OTHER, lang)
    return pd.Series(lang, index=comments.index, dtype="string")


def stemmer_available() -> bool:
    try:
        import snowballstemmer  # noqa: F401
    except ImportError:
        return False
    return True


def stem_vocab(vocab: np.ndarray, code: np.ndarray, lang: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stem each (word, language) pair once: ``code`` indexes ``vocab``, ``lang`` indexes ``LANGUAGES``.

    Returns (stem code per token, stem vocabulary). Words in languages without a stemmer, or when
    snowballstemmer is missing, are their own stem.
    """
    names = list(LANGUAGES)
    pair = lang.astype(np.int64) * len(vocab) + code
    distinct, inverse = np.unique(pair, return_inverse=True)
    words = vocab[distinct % len(vocab)]
    stems = words.copy()
    if stemmer_available():
        import snowballstemmer

        pair_lang = distinct // len(vocab)
        for i, name in enumerate(names):  # a loop over languages
            sel = np.flatnonzero(pair_lang == i)
            if len(sel) and name in STEMMERS:
                stemmer = snowballstemmer.stemmer(STEMMERS[name])
                stems[sel] = np.asarray(stemmer.stemWords([str(w) for w in words[sel]]), dtype=object)
    stem_code, stem_vocab_ = pd.factorize(stems)
    return np.asarray(stem_code, dtype=np.int64)[inverse.ravel()], np.asarray(stem_vocab_, dtype=object)


@dataclass(frozen=True)
class Phrases:
    """Key phrases found in comments, as integers (fast to count and compare).

    ``position`` is the comment's position in the input; ``key`` encodes up to three stemmed words
    (and the negation mark) in base ``base``: word codes ``a, b, c`` (1-based, 0 = no word) give
    ``a·base² + b·base + c``, so a one-word phrase is ``c`` and a two-word one ``b·base + c``.
    ``surface`` encodes the words as written in the same way (base ``surface_base``). One row per
    distinct key per comment.
    """

    position: np.ndarray
    key: np.ndarray
    surface: np.ndarray
    words: np.ndarray
    base: int
    key_words: np.ndarray  # code - 1 -> stem ("¬" for the negation mark)
    surface_base: int
    surface_words: np.ndarray  # code - 1 -> word as written

    def parts(self, key: np.ndarray) -> np.ndarray:
        """(len, 3) word codes of each key, most significant first."""
        key = np.asarray(key, dtype=np.int64)
        return np.stack([key // self.base ** 2, (key // self.base) % self.base, key % self.base], axis=1)

    def key_text(self, key: np.ndarray) -> np.ndarray:
        return _decode(np.asarray(key, dtype=np.int64), self.base, self.key_words)

    def surface_text(self, surface: np.ndarray) -> np.ndarray:
        return _decode(np.asarray(surface, dtype=np.int64), self.surface_base, self.surface_words)


def _decode(codes: np.ndarray, base: int, vocab: np.ndarray) -> np.ndarray:
    digits = [codes // base ** 2, (codes // base) % base, codes % base]
    text = pd.Series("", index=range(len(codes)), dtype="string")
    lookup = np.concatenate([np.array([""], dtype=object), vocab.astype(object)])
    for d in digits:
        word = pd.Series(lookup[d], dtype="string")
        text = text + np.where((text != "") & (word != ""), " ", "") + word
    return text.to_numpy(dtype=object)


def phrase_codes(comments: pd.Series, lang: pd.Series, max_words: int = 3,
                 tokens: Tokens | None = None) -> Phrases:
    """The 1–``max_words``-word key phrases of every comment, integer-coded (see :class:`Phrases`).

    ``tokens``: the comments' :func:`tokenize` output, when the caller has it already.
    """
    if not 1 <= max_words <= 3:
        raise ValueError("max_words: 1 to 3")
    tokens = tokenize(comments) if tokens is None else tokens
    position, code, vocab = tokens.position, tokens.code, tokens.vocab
    lang_of_comment, names = _language_codes(lang)
    tok_lang = lang_of_comment[position] if len(position) else np.empty(0, dtype=np.int64)

    # per vocabulary entry and language: stop word? negation? (then gathered per token)
    other = len(names)
    is_break = pd.Index(vocab).isin([BREAK])
    stop_table = np.zeros((other + 1, len(vocab)), dtype=bool)
    neg_table = np.zeros((other + 1, len(vocab)), dtype=bool)
    contraction = pd.Series(vocab, dtype="string").str.endswith("n't").fillna(False).to_numpy(dtype=bool)
    for i, name in enumerate(names):
        neg_table[i] = tokens.in_vocab(NEGATIONS.get(name, ())) | contraction
        stop_table[i] = tokens.in_vocab(STOPWORDS.get(name, ())) & ~neg_table[i]
    neg_table[other] = contraction
    short = pd.Series(vocab, dtype="string").str.len().to_numpy() <= 1
    word = ~is_break[code]
    neg = neg_table[tok_lang, code] & word
    content = word & ~stop_table[tok_lang, code] & ~neg & ~short[code]
    first = np.r_[True, position[1:] != position[:-1]] if len(position) else np.empty(0, dtype=bool)

    # a negation word negates the next content word unless punctuation comes first
    state = np.where(neg, 1.0, np.where(content | ~word, 0.0, np.nan))
    carry = pd.Series(state).shift(1).to_numpy().copy()
    carry[first] = 0.0
    negated = (pd.Series(carry).ffill().to_numpy() == 1.0) & content
    # which token negates it: the last negation before it, carried forward
    neg_at = pd.Series(np.where(neg, np.arange(len(code)), np.nan)).shift(1)
    neg_at[first] = np.nan
    neg_at = neg_at.ffill().to_numpy()

    keep = np.flatnonzero(content)
    stem_code, stem_vocab_ = stem_vocab(vocab, code[keep], tok_lang[keep])
    is_neg = negated[keep]
    negation = len(stem_vocab_) + 1  # the "¬" mark's code
    base, surface_base = len(stem_vocab_) + 2, len(vocab) + 1
    if base ** 3 >= 2 ** 63 or surface_base ** 3 >= 2 ** 63:
        raise ValueError("too many distinct words to code three-word phrases")
    kc = stem_code + 1
    sc = code[keep] + 1
    run = np.cumsum(~content | first)[keep]
    rows = position[keep]

    parts = []
    if is_neg.any():  # "no refund", "not helpful": the negation and the word it negates
        neg_surface = code[neg_at[keep][is_neg].astype(np.int64)] + 1
        parts.append((rows[is_neg], negation * base + kc[is_neg], neg_surface * surface_base + sc[is_neg],
                      np.full(int(is_neg.sum()), 2)))
    for n in range(1, max_words + 1):
        if n > len(keep):
            break
        m = len(keep) - n + 1
        same = np.ones(m, dtype=bool)
        for j in range(1, n):
            same &= run[j:m + j] == run[:m]
        pos = np.flatnonzero(same)
        k, sf = np.zeros(len(pos), dtype=np.int64), np.zeros(len(pos), dtype=np.int64)
        for j in range(n):
            k = k * base + kc[pos + j]
            sf = sf * surface_base + sc[pos + j]
        parts.append((rows[pos], k, sf, np.full(len(pos), n)))
    if parts:
        frame = pd.DataFrame({name: np.concatenate([p[i] for p in parts])
                              for i, name in enumerate(("position", "key", "surface", "words"))})
        frame = frame[~frame.duplicated(["position", "key"]).to_numpy()]
    else:
        frame = pd.DataFrame({c: np.empty(0, dtype=np.int64) for c in ("position", "key", "surface", "words")})
    return Phrases(
        position=frame["position"].to_numpy(np.int64), key=frame["key"].to_numpy(np.int64),
        surface=frame["surface"].to_numpy(np.int64), words=frame["words"].to_numpy(np.int64),
        base=base, key_words=np.append(stem_vocab_, NEGATED),
        surface_base=surface_base, surface_words=vocab,
    )


def phrases(comments: pd.Series, lang: pd.Series, max_words: int = 3,
            tokens: Tokens | None = None) -> pd.DataFrame:
    """:func:`phrase_codes` as text: columns ``key`` (stemmed words), ``surface`` (as written) and
    ``words``; index = the comment's index. For inspection and tests; the themes KPI counts the codes."""
    found = phrase_codes(comments, lang, max_words, tokens)
    return pd.DataFrame({"key": pd.array(found.key_text(found.key), dtype="string"),
                         "surface": pd.array(found.surface_text(found.surface), dtype="string"),
                         "words": found.words}, index=comments.index[found.position])

"""Guess a text file's encoding and delimiter from its first bytes.

Real exports arrive as UTF-8 (with or without BOM), UTF-16 from Excel's
"Unicode text", or cp1252 from older Windows tools; separators are `,`,
`;` (European Excel), tab or `|`.
"""

from __future__ import annotations

import codecs
import csv
import io

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
# bytes that cp1252 leaves undefined: a file containing them is read as Latin-1
_CP1252_HOLES = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    head = sample[:4096]
    if len(head) >= 4:
        even_nul = head[0::2].count(0) / max(1, len(head[0::2]))
        odd_nul = head[1::2].count(0) / max(1, len(head[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # only a multi-byte sequence cut by the end of the sample is forgiven
        if e.reason == "unexpected end of data" and len(sample) >= SAMPLE_BYTES:
            return "utf-8"
    if any(b in _CP1252_HOLES for b in sample):
        return "latin-1"
    return "cp1252"


def decode_sample(sample: bytes, encoding: str) -> str:
    return sample.decode(encoding, errors="replace")


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the same, largest number of fields."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")) and len(text) >= SAMPLE_BYTES // 2:
        lines = lines[:-1]  # last line may be cut
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        if not rows:
            continue
        widths = [len(r) for r in rows]
        header = widths[0]
        if header < 2:
            continue
        consistent = sum(1 for w in widths if w == header)
        score = (consistent, header)
        if score > best_score:
            best, best_score = delim, score
    return best

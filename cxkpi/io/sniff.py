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


# --- what kind of container a file is, from its bytes (the name does not decide) -----------------
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.xls, .doc) and encrypted OOXML
_HTML_STARTS = (b"<!doctype html", b"<html", b"<table", b"<?xml")


def container(head: bytes) -> str:
    """``zip``, ``ole2``, ``parquet``, ``html`` or ``text`` (what is left: CSV, or a binary the CSV
    reader refuses)."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower().startswith(_HTML_STARTS):
        return "html"
    return "text"


def ole2_streams(read_at) -> set[str]:
    """Names in an OLE2 file's first directory sector (``read_at(offset, size) -> bytes``).

    Enough to tell a password-protected OOXML workbook (``EncryptionInfo``, ``EncryptedPackage``)
    from a legacy ``.xls`` (``Workbook``, ``Book``); a damaged header gives an empty set.
    """
    header = read_at(0, 512)
    if len(header) < 512:
        return set()
    shift = int.from_bytes(header[30:32], "little")
    first_dir = int.from_bytes(header[48:52], "little")
    if not 7 <= shift <= 16 or first_dir >= 0xFFFFFFFA:
        return set()
    size = 1 << shift
    sector = read_at((first_dir + 1) * size, size)
    names: set[str] = set()
    for at in range(0, len(sector) - 127, 128):
        length = int.from_bytes(sector[at + 64:at + 66], "little")
        if 2 <= length <= 64:
            names.add(sector[at:at + length - 2].decode("utf-16-le", errors="replace"))
    return names

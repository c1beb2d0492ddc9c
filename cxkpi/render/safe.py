"""Untrusted text made safe for each output: terminal, Markdown, spreadsheet cells.

Values, headers, file names and error messages are typed by strangers; none of
them may reach a terminal as a control sequence or as rich markup.
"""

from __future__ import annotations

import html
import re

# C0 controls except tab/newline, DEL and C1 (ESC, CSI, OSC... are all in here)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# what XML 1.0 forbids in a cell (openpyxl raises IllegalCharacterError on these, or writes them
# unchecked into a chart title and Excel refuses the file); lone surrogates cannot be encoded at all
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape_controls(s) -> str:
    """Control characters shown as ``\\x1b`` instead of being sent to the terminal; a byte of a
    file name that is not UTF-8 (a lone surrogate from the OS) likewise, so a raw 0x9b never
    reaches the terminal as CSI and printing never fails with UnicodeEncodeError. The bidi
    embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069) are shown as ``\\u202e``:
    in a name they reorder the rest of the line on screen ("Trojan Source" spoofing)."""
    return _SURROGATES.sub(_surrogate, _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(s)))


# lone surrogates (os.fsdecode turns an undecodable byte 0xNN into U+DCNN) and bidi overrides;
# LRM/RLM/ALM (U+200E, U+200F, U+061C) are kept: right-to-left text uses them and they reorder nothing
_SURROGATES = re.compile("[\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _surrogate(m) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def term_text(s, style: str = ""):
    """A rich Text (never parsed as markup) with control characters escaped."""
    from rich.text import Text

    return Text(escape_controls(s), style=style)


def term_cell(value, style: str = ""):
    """Any table cell, header, title or caption for the terminal: a ``Text`` as is, anything else
    through ``term_text`` (a plain ``str`` would be parsed as rich markup by ``Table``/``Panel``)."""
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return term_text("" if value is None else value, style=style)


def one_line(s) -> str:
    """A message for one stderr line: controls escaped, and line breaks and tabs shown as
    ``\\n``/``\\t`` so a file name or header cannot start a second, forged line."""
    return escape_controls(s).replace("\n", "\\n").replace("\t", "\\t")


def _visible(m) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def terminal_document(text: str) -> str:
    """A CSV/Markdown/JSON document about to be written to an interactive terminal: controls
    escaped as in a table (CRLF line ends kept). Only for a tty: a pipe or file gets the exact bytes."""
    return "\r\n".join(escape_controls(part) for part in text.split("\r\n"))


# in a JSON document these can only stand inside a string, where \\uXXXX means the same character
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def json_text(document: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with DEL, the C1 controls (CSI
    U+009B...), U+2028/U+2029 and lone surrogates written as ``\\u009b``: the same values for
    any JSON reader, and nothing a terminal would obey when the JSON goes to one. json.dumps
    escapes only U+0000-U+001F; a raw U+009B is an 8-bit CSI to some terminals."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def xml_cell(value):
    """A string cell with XML-forbidden characters replaced visibly (``\\x07``)."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub(_visible, value)
    return value


# Markdown inline syntax a value could start (emphasis, code, links, strikethrough, cell breaks);
# a backslash before any ASCII punctuation is a plain character in CommonMark and GFM
# ("_" between two letters or digits, as in ci_low, opens nothing and stays as it is)
_MD_INLINE = re.compile(r"([\\`*\[\]~|]|(?<![^\W_])_|_(?![^\W_]))")
# what starts a block (heading, quote, list, thematic break) when it opens a line
_MD_BLOCK_START = re.compile(r"(\d*)([#+=.)-])")  # "#", "-", "+", "=", "1." or "2)" (">" is "&gt;" by then)


def markdown_cell(s) -> str:
    """One Markdown table cell: never breaks the row, never markup, never a control sequence.

    Controls shown as ``\\x1b``; ``& < >`` as entities (raw HTML is never HTML); backslashes and
    ``` ` * _ [ ] ~ | ``` backslash-escaped (a pipe always has an odd number of backslashes before
    it, so no GFM reader splits the cell there); CR and LF flattened to spaces.
    """
    s = str(s).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return _MD_INLINE.sub(r"\\\1", html.escape(escape_controls(s), quote=False))


def markdown_text(s) -> str:
    """A heading or list item's text: as a cell, trimmed, and a leading ``#``/``-``/``1.`` escaped."""
    s = markdown_cell(s).strip()
    m = _MD_BLOCK_START.match(s)
    if m and (not m.group(1) or m.group(2) in ".)"):  # "1." and "2)" start a list, "12" alone does not
        return m.group(1) + "\\" + s[len(m.group(1)):]
    return s


# --- spreadsheets: formula neutralisation (OWASP CSV injection) and RFC 4180 fields ----------

# a cell starting with one of these is run as a formula (or DDE) by Excel, LibreOffice or Sheets;
# the full-width forms are turned into the ASCII ones by some locales' input methods
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# where a spreadsheet may start a new cell or row while importing: the delimiter it guesses
# (comma, semicolon in many European locales, tab) and the line breaks
_SPLIT = re.compile(r"\r\n|[,;\t\r\n]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# RFC 4180: a field holding one of these is quoted (";" and tab too: a locale that splits there
# keeps the field whole when it is quoted)
_NEEDS_QUOTES = re.compile(r'[",;\t\r\n]')


def _runs_as_formula(rest: str, segment: str) -> bool:
    """``rest`` (the text from a cell start on) begins a formula; ``segment`` is that cell's text."""
    return rest.lstrip(" ").startswith(FORMULA_START) and not _NUMBER.fullmatch(segment.strip(" "))


def formula_safe(value, split: bool = True):
    """Text a spreadsheet would run as a formula gets a leading ``'`` (numbers like ``-5`` stay).

    ``split``: also after every comma, semicolon, tab, CR and LF inside the text, where a
    spreadsheet importing a CSV may start a new cell (``a;=cmd`` -> ``a;'=cmd``). XLSX cells are
    never split, so there only the start counts. Non-text values are returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if not split:
        return "'" + value if _runs_as_formula(value, value) else value
    parts = _SPLIT.split(value)  # text, separator, text, separator, ..., text
    seps = _SPLIT.findall(value)
    out, pos = [], 0
    for i, segment in enumerate(parts):
        if _runs_as_formula(value[pos:], segment):
            out.append("'")
        out.append(segment)
        pos += len(segment)
        if i < len(seps):
            out.append(seps[i])
            pos += len(seps[i])
    return "".join(out)


def csv_field(value, raw: bool = False) -> str:
    """One CSV field: None is empty, text neutralised (unless ``raw``) and quoted per RFC 4180."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    if not raw and isinstance(value, str):
        s = formula_safe(s)
    if _NEEDS_QUOTES.search(s):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_line(values, raw: bool = False) -> str:
    """One CSV record ending in ``\\n``; every field, header names too, goes through ``csv_field``.

    A bare CR inside a field is quoted like LF (Python's csv module with ``lineterminator="\\n"``
    leaves it bare, and a spreadsheet starts a new row there).
    """
    return ",".join(csv_field(v, raw) for v in values) + "\n"

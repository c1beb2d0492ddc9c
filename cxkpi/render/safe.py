"""Untrusted text made safe for each output: terminal, Markdown, spreadsheet cells.

Values, headers, file names and error messages are typed by strangers; none of
them may reach a terminal as a control sequence or as rich markup.
"""

from __future__ import annotations

import html
import re

# C0 controls except tab/newline, DEL and C1 (ESC, CSI, OSC... are all in here)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# what XML 1.0 forbids in a cell (openpyxl raises IllegalCharacterError on these)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_controls(s) -> str:
    """Control characters shown as ``\\x1b`` instead of being sent to the terminal."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(s))


def term_text(s, style: str = ""):
    """A rich Text (never parsed as markup) with control characters escaped."""
    from rich.text import Text

    return Text(escape_controls(s), style=style)


def xml_cell(value):
    """A string cell with XML-forbidden characters replaced visibly (``\\x07``)."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def markdown_cell(s) -> str:
    """One Markdown table cell: pipes escaped, line breaks flattened, raw HTML escaped."""
    s = html.escape(str(s), quote=False)
    return s.replace("|", "\\|").replace("\r\n", " ").replace("\r", " ").replace("\n", " ")

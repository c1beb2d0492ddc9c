"""Untrusted text in outputs: never rich markup, never a control sequence, never a broken cell."""

from io import StringIO

from rich.console import Console

from cxkpi.render.markdown import _cell
from cxkpi.render.safe import escape_controls, markdown_cell, term_text, xml_cell
from cxkpi.render.xlsx import safe_cell as xlsx_cell


def test_escape_controls_shows_esc_and_c1():
    # ESC (0x1b), BEL (0x07), CSI (0x9b) become 4-character escapes; tab and newline stay
    assert escape_controls("a\x1b]8;;http://x\x07b\x9bc\td") == "a\\x1b]8;;http://x\\x07b\\x9bc\td"


def test_term_text_is_never_markup():
    buf = StringIO()
    Console(file=buf, width=120, force_terminal=True).print(term_text("[link=http://evil]x[/link] [/x] \x1b]0;t\x07"))
    out = buf.getvalue()
    assert "[link=http://evil]x[/link] [/x]" in out  # literal, and "[/x]" raised no MarkupError
    assert "\x1b]" not in out and "\\x1b]0;t\\x07" in out


def test_markdown_cell():
    # pipe escaped, CR and LF flattened to spaces, HTML escaped
    assert markdown_cell("a|b\r\nc\rd<img src=x onerror=alert(1)>") == "a\\|b c d&lt;img src=x onerror=alert(1)&gt;"
    assert _cell("<script>") == "&lt;script&gt;"


def test_xlsx_cell_replaces_xml_forbidden_and_neutralises():
    assert xml_cell("bad\x00\x07\x0bname") == "bad\\x00\\x07\\x0bname"
    assert xlsx_cell("=1+1") == "'=1+1"
    assert xlsx_cell(-3.5) == -3.5

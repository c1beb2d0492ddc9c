"""Computed columns: a mapping value that starts with ``=`` is an expression over the export's headers.

    columns:
      amount: =Quantity * UnitPrice
      created_at: =Date + " " + Time
      talk_seconds: =`Talk Time (fraction of day)` * 86400

Without the ``=`` a value is a header, whatever it holds (``Q1 - Score``, ``Created At``), so no real
header ever turns into arithmetic. The text is parsed by ``ast`` (mode="eval") and walked against a
whitelist; it is never evaluated as Python. Evaluation is vectorised over the raw text columns, before
the canonical column is parsed: a cell that cannot be read makes the computed cell unreadable (the
engine skips that row with the column's reason), never a crash.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MissingColumnsError, UsageError
from . import values

MARK = "="
MAX_LENGTH = 500  # a real formula is a line; this also bounds the nesting the walk recurses through
FUNCTIONS = ("abs", "coalesce")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
ALLOWED = 'allowed: headers, numbers, "text", + - * / // %, abs(), coalesce(); a header with spaces or ' \
          'symbols in backquotes (`Unit Price`)'
# what a rejected construct is called in the message
_NAMES = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
          ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
          ast.GeneratorExp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "and/or",
          ast.IfExp: "if/else", ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "an f-string",
          ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
          ast.Starred: "unpacking (*)", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}


def is_expression(value: object) -> bool:
    """True for a mapping value the user marked as an expression (``=…``); only for text a user
    wrote in a config or on the command line, never for a header read from a file."""
    return isinstance(value, str) and value.strip().startswith(MARK)


@dataclass(frozen=True)
class Node:
    """One step of a checked expression: ``col`` (a header), ``num``, ``str``, ``op`` (arithmetic),
    ``join`` (text + text), ``neg``, ``abs`` or ``coalesce``; ``as_`` is what a ``col`` is read as."""

    kind: str
    args: tuple = ()
    value: object = None
    as_: str = "raw"  # col: "number", "text" or "raw" (the column untouched: a bare =Header)


class Expression:
    """A checked expression: its tree, its type (number/text/any) and the header names it uses."""

    target: str | None = None  # the kind of column it fills: a money column reads "$78.89" as money

    def __init__(self, text: str, setting: str):
        self.text = text.strip()
        self.setting = setting
        body = self.text[len(MARK):]
        if len(body) > MAX_LENGTH:
            self._fail(f"longer than {MAX_LENGTH} characters")
        if not body.strip():
            self._fail("empty expression after '='; write a formula such as =Quantity * UnitPrice")
        source, self._quoted, self._placeholder = _quote_headers(body, self._fail)
        try:
            with warnings.catch_warnings():  # "1if x" warns on stderr before it fails; the error says it all
                warnings.simplefilter("ignore")
                tree = ast.parse(source.strip(), mode="eval")
            node, kind = self._walk(tree.body)
            self.tree = _settle(node, "raw" if node.kind == "col" else ("number" if kind == "number" else "text"))
        except SyntaxError as e:
            self._fail(f"not a formula ({e.msg})")
        except ValueError as e:  # a NUL character
            self._fail(f"not a formula ({e})")
        except (RecursionError, MemoryError):
            self._fail("nested too deeply")
        self.kind = kind
        self.names = tuple(dict.fromkeys(_names(self.tree)))

    def _fail(self, problem: str):
        raise UsageError(f"{self.setting}: {self.text!r}: {problem}")

    def _shown(self, node: ast.AST) -> str:
        """The offending part as the user wrote it (backquoted headers put back), kept short."""
        try:
            text = ast.unparse(node)
        except Exception:  # noqa: BLE001 - only for the message
            text = type(node).__name__
        text = self._placeholder.sub(lambda m: "`" + self._quoted[m.group()].replace("`", "``") + "`", text)
        return text if len(text) <= 60 else text[:57] + "..."

    def _reject(self, node: ast.AST, what: str | None = None):
        what = what or _NAMES.get(type(node), f"{type(node).__name__}")
        self._fail(f"{what} ({self._shown(node)}) is not allowed; {ALLOWED}")

    def _walk(self, node: ast.AST) -> tuple[Node, str]:
        """The checked node and its type: "number", "text", or "any" (a header, whichever its use says)."""
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                self._reject(node, "a dunder name")
            return Node("col", value=self._quoted.get(node.id, node.id)), "any"
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None or not isinstance(node.value, (int, float, str)):
                self._reject(node, f"the constant {node.value!r}")
            if isinstance(node.value, str):
                return Node("str", value=node.value), "text"
            number = float(node.value) if abs(node.value) < 1e300 else float("inf")
            if not abs(number) <= values.FINITE_LIMIT:
                self._fail(f"the number {self._shown(node)} is beyond ±1e15, no value an export means")
            return Node("num", value=number), "number"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner, kind = self._walk(node.operand)
            self._numeric(node.operand, kind)
            inner = _settle(inner, "number")
            return (Node("neg", (inner,)) if isinstance(node.op, ast.USub) else inner), "number"
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            (left, lk), (right, rk) = self._walk(node.left), self._walk(node.right)
            if isinstance(node.op, ast.Add) and "text" in (lk, rk):  # text joined: "a" + Header + "b"
                for side, kind in ((node.left, lk), (node.right, rk)):
                    if kind == "number":
                        self._fail(f"+ joins text here, but {self._shown(side)} is a number; "
                                   "put the number in quotes, or compute it in its own column")
                return Node("join", (_settle(left, "text"), _settle(right, "text"))), "text"
            self._numeric(node.left, lk)
            self._numeric(node.right, rk)
            return Node("op", (_settle(left, "number"), _settle(right, "number")), _OPS[type(node.op)]), "number"
        if isinstance(node, ast.BinOp):
            symbol = {ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
                      ast.LShift: "<<", ast.RShift: ">>"}.get(type(node.op), "this operator")
            self._reject(node, f"the operator {symbol}")
        if isinstance(node, ast.UnaryOp):
            self._reject(node, "the operator " + {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?"))
        if isinstance(node, ast.Call):
            return self._call(node)
        self._reject(node)

    def _numeric(self, node: ast.AST, kind: str) -> None:
        if kind == "text":
            self._fail(f"{self._shown(node)} is text; only + joins text (- * / // % work on numbers)")

    def _call(self, node: ast.Call) -> tuple[Node, str]:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name is None:
            self._reject(node.func)
        if name.startswith("__"):
            self._reject(node.func, "a dunder name")
        if name not in FUNCTIONS:
            self._reject(node, f"the function {name}()")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self._reject(node, f"{name}() with keyword or * arguments")
        args = [self._walk(a) for a in node.args]
        if name == "abs":
            if len(args) != 1:
                self._fail(f"abs() takes one value, got {len(args)} ({self._shown(node)})")
            self._numeric(node.args[0], args[0][1])
            return Node("abs", (_settle(args[0][0], "number"),)), "number"
        if len(args) < 2:
            self._fail(f"coalesce() takes two values or more, the first present wins ({self._shown(node)})")
        kinds = {k for _, k in args}
        if kinds >= {"text", "number"}:
            self._fail(f"coalesce() mixes text and numbers ({self._shown(node)})")
        kind = "text" if "text" in kinds else "number" if "number" in kinds else "any"
        nodes = tuple(a for a, _ in args)
        if kind != "any":
            nodes = tuple(_settle(a, kind) for a in nodes)
        return Node("coalesce", nodes), kind

    def bind(self, index, canonical: str) -> "Computed":
        """The expression with each name resolved to the file's header (``index``: a HeaderIndex)."""
        headers: dict[str, str] = {}
        for name in self.names:
            found = index.find(name)
            if found is None:
                raise MissingColumnsError(index.missing_message(name, f"used in {canonical} {self.text}"))
            headers[name] = found
        return Computed(self.text, self, headers)


def check(text: str, setting: str, kind: str | None = None) -> Expression:
    """``text`` parsed and checked (``setting`` names where it was written, for the message); ``kind``:
    the canonical column's kind, so a number formula for a time column is refused before reading."""
    expression = Expression(text, setting)
    expression.target = kind
    if kind == "time" and expression.kind == "number":
        expression._fail("a time column needs text, and this adds numbers; join the parts with "
                         "+ \" \" + (e.g. =Date + \" \" + Time)")
    return expression


class Computed(str):
    """A mapping value that is a formula: it reads as its text (so Dataset.mapping shows it) and
    knows the headers it reads and how to compute the column from them."""

    expression: Expression
    headers: dict[str, str]

    def __new__(cls, text: str, expression: Expression | None = None, headers: dict[str, str] | None = None):
        obj = super().__new__(cls, text)
        obj.expression = expression
        obj.headers = dict(headers or {})
        return obj

    def __reduce__(self):
        return (Computed, (str(self), self.expression, self.headers))

    def evaluate(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """(the computed column, the cells that could not be computed: why, by row)."""
        out, bad = _Eval(frame, self.headers, self.expression.target == "money").run(self.expression.tree)
        hit = bad.astype(bool)
        if hit.any():
            out = out.mask(hit)
        return out, bad[hit.to_numpy()].astype(object)


def reads(mapping: Mapping[str, str]) -> list[str]:
    """The headers a mapping reads: each plain header, and every header a formula uses."""
    out: list[str] = []
    for header in mapping.values():
        out.extend(header.headers.values() if isinstance(header, Computed) else (header,))
    return list(dict.fromkeys(out))


def merge_bad(computed: pd.Series, parsed: pd.Series) -> pd.Series:
    """The formula's unreadable cells and the parser's, one Series (the parser's finite flags kept)."""
    if computed.empty:
        return parsed
    merged = pd.concat([computed.astype(object), parsed.astype(object)]) if len(parsed) else computed.astype(object)
    merged.attrs["not_finite"] = parsed.attrs.get("not_finite", ())
    return merged


def findable(text: str, index, canonical: str) -> bool:
    """Whether the file has every header a mapping value needs (a formula: all of its names)."""
    if not is_expression(text):
        return index.find(text) is not None
    return all(index.find(name) is not None for name in check(text, f"columns.{canonical}").names)


def _settle(node: Node, as_: str) -> Node:
    """``node`` with its headers read as ``as_`` (a coalesce of headers passes it on)."""
    if node.kind == "col":
        return Node("col", value=node.value, as_=as_)
    if node.kind == "coalesce":
        return Node("coalesce", tuple(_settle(a, as_) for a in node.args))
    return node


def _names(node: Node):
    if node.kind == "col":
        yield node.value
    for a in node.args:
        yield from _names(a)


def _quote_headers(body: str, fail) -> tuple[str, dict[str, str], re.Pattern]:
    """Backquoted headers (`Unit Price`, a backquote inside doubled) replaced by placeholder names
    ast can parse; quotes in "text" are skipped so a backquote there stays text."""
    prefix = "_h"
    while prefix in body:
        prefix += "_"
    quoted: dict[str, str] = {}
    out: list[str] = []
    i, quote = 0, None
    while i < len(body):
        ch = body[i]
        if quote is not None:
            out.append(ch)
            if ch == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "`":
            parts, j = [], i + 1
            while True:
                k = body.find("`", j)
                if k < 0:
                    fail("a backquote (`) is never closed; write a header with spaces as `Unit Price`")
                if body[k + 1:k + 2] == "`":  # `` inside: a backquote in the header
                    parts.append(body[j:k + 1])
                    j = k + 2
                    continue
                parts.append(body[j:k])
                break
            header = "".join(parts)
            if not header.strip():
                fail("`` names no header")
            name = f"{prefix}{len(quoted)}"
            quoted[name] = header
            out.append(f" {name} ")
            i = k + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out), quoted, re.compile(rf"\b{re.escape(prefix)}\d+\b")


class _Eval:
    """Vectorised evaluation: every step returns (values, bad), both Series on the frame's index;
    ``bad`` is False where fine, else why the cell could not be computed."""

    def __init__(self, frame: pd.DataFrame, headers: dict[str, str], money: bool = False):
        self.frame = frame
        self.money = money
        self.headers = headers
        self.index = frame.index
        self.ok = pd.Series(False, index=frame.index, dtype=object)

    def _or(self, a: pd.Series, b: pd.Series) -> pd.Series:
        """The first reason a cell could not be computed, from either operand."""
        return a.where(a.astype(bool), b)

    def run(self, node: Node) -> tuple[pd.Series, pd.Series]:
        if node.kind == "col":
            return self._column(node)
        if node.kind == "num":
            return pd.Series(node.value, index=self.index, dtype="float64"), self.ok
        if node.kind == "str":
            return pd.Series(node.value, index=self.index, dtype="string"), self.ok
        if node.kind == "neg":
            x, bad = self.run(node.args[0])
            return -x, bad
        if node.kind == "abs":
            x, bad = self.run(node.args[0])
            return x.abs(), bad
        if node.kind == "join":
            (a, abad), (b, bbad) = self.run(node.args[0]), self.run(node.args[1])
            return a.astype("string") + b.astype("string"), self._or(abad, bbad)
        if node.kind == "coalesce":
            out, bad = self.run(node.args[0])
            for arg in node.args[1:]:
                take = out.isna() & ~bad.astype(bool)
                if not take.any():
                    break
                x, xbad = self.run(arg)
                out = out.where(~take, x)
                bad = bad.where(~take, xbad)
            return out, bad
        return self._op(node)

    def _op(self, node: Node) -> tuple[pd.Series, pd.Series]:
        (a, abad), (b, bbad) = self.run(node.args[0]), self.run(node.args[1])
        bad = self._or(abad, bbad)
        op = node.value
        if op in ("/", "//", "%"):
            zero = (b == 0).fillna(False).astype(bool) & a.notna()
            if zero.any():
                bad = bad.where(~zero | bad.astype(bool), "division by zero")
                b = b.mask(zero)
        with np.errstate(all="ignore"):
            out = {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__,
                   "//": a.__floordiv__, "%": a.__mod__}[op](b)
        return out.astype("float64"), bad

    def _column(self, node: Node) -> tuple[pd.Series, pd.Series]:
        col = self.frame[self.headers[node.value]]
        if node.as_ == "raw":
            return col, self.ok
        if node.as_ == "text":
            return _as_text(col), self.ok
        parsed, unreadable = values.numbers(col)
        if self.money and len(unreadable):  # "$78.89", "(12.00)": only the cells numbers() could not read
            again, unreadable = values.money(col.loc[unreadable.index])
            parsed = parsed.astype("float64")
            parsed.loc[again.index[again.notna().to_numpy()]] = again.dropna().to_numpy()
        bad = self.ok
        if len(unreadable):
            bad = self.ok.copy()
            bad[self.index.isin(unreadable.index)] = unreadable.astype(str).to_numpy()
        return parsed.astype("float64"), bad


def _as_text(col: pd.Series) -> pd.Series:
    """A column as text to join: a workbook's date cells as 2025-01-31 (with the time when they have one)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        times = col.dt.tz_localize(None) if col.dt.tz is not None else col
        whole_days = bool((times.dropna() == times.dropna().dt.normalize()).all())
        return col.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M:%S").astype("string")
    return values.text(col)

"""A KPI's headline, once for every renderer: the big value, its unit, a line under it and what the change is of.

The HTML card, the terminal dashboard's row and the XLSX Summary's "Headline" cell all come from here.
Each KPI declares its headline kind (``@kpi(headline=...)``); without one the headline is the KPI's value:

- ``median``: durations headline the median, with mean and p90 beside it (the change is the mean's);
- ``created-resolved-backlog``: tickets created, with resolved and the open backlog beside them;
- ``net-positive``: % positive − % negative comments, with the mean compound beside it;
- ``top-label``: the top label of the latest period (the top topic) and its share;
- ``top-theme-lift``: the theme most over-represented in detractors' comments and its lift.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import fmt_value
from .units import fmt_duration, fmt_unit_value, is_duration, period_name

MEDIAN = "median"
CREATED_RESOLVED_BACKLOG = "created-resolved-backlog"
NET_POSITIVE = "net-positive"
TOP_LABEL = "top-label"
TOP_THEME_LIFT = "top-theme-lift"
KINDS = (MEDIAN, CREATED_RESOLVED_BACKLOG, NET_POSITIVE, TOP_LABEL, TOP_THEME_LIFT)  # registry.HEADLINE_KINDS


@dataclass(frozen=True)
class Headline:
    big: str  # the big number (or the top label's name)
    unit: str
    line: str  # the line under it: mean and p90 beside a median, the backlog, the top topic's share…
    change_of: str  # what the change is of ("mean ", "compound "), "" when it is of the value itself

    def __iter__(self):  # big, unit, line, change_of = headline
        return iter((self.big, self.unit, self.line, self.change_of))


class Ctx:
    """What every headline needs from the report: period kind, currency, the headline period."""

    def __init__(self, report):
        self.period = report.period
        self.currency = getattr(report, "currency", None)
        self.headline_period = getattr(report, "headline_period", None)
        self.compare_period = getattr(report, "compare_period", None)

    def name(self, label):
        return period_name(label, self.period) if self.period else label

    def short(self, label):
        """A label for a heading or an axis: ``October 2025``, ``Q3 2025``, but ``2025-W40`` as it is."""
        return label if self.period in ("week", "day") else self.name(label)


def kind(entry) -> str | None:
    """The headline kind the entry's KPI declares (``@kpi(headline=...)``); None: the KPI's value."""
    from ..registry import load_all

    spec = load_all().get(entry.kpi)
    return spec.headline if spec is not None else None


def label_key(r) -> str | None:
    keys = [k for k in r.group_by if k != "period"]
    return keys[0] if keys else None


def latest_groups(r):
    """The groups of a labelled breakdown for its latest period (all of them without --period)."""
    key = label_key(r)
    if key is None:
        return None, []
    groups = [g for g in r.groups if str(g.key.get(key)) not in ("(all)", "None")]
    period = None
    if "period" in r.group_by:
        periods = sorted({g.key.get("period") for g in groups if g.key.get("period") is not None})
        if periods:
            period = periods[-1]
            groups = [g for g in groups if g.key.get("period") == period]
    return period, groups


def detractor_theme(entry):
    """(theme, breakdown) of the theme most over-represented in detractors' comments (highest lift)."""
    r = entry.result
    if r is None or not r.groups or label_key(r) is None:
        return None
    key = label_key(r)
    _, groups = latest_groups(r)
    best = [g for g in groups if isinstance(g.breakdown.get("lift"), (int, float))
            and g.breakdown.get("detractors_pct") is not None and g.breakdown.get("promoters_pct") is not None]
    if not best:
        return None
    g = max(best, key=lambda g: (g.breakdown["lift"], g.breakdown.get("mentions", 0)))
    return str(g.key.get(key)), g.breakdown


def topic_rows(entry) -> list[tuple[str, float, int]]:
    """(topic, share %, tickets) of the latest period, most tickets first."""
    r = entry.result
    if r is None or r.kpi != "topics" or not r.groups:
        return []
    key = label_key(r)
    _, groups = latest_groups(r)
    rows = []
    for g in groups:
        tickets = g.breakdown.get("tickets", g.n)
        rows.append((str(g.key.get(key)), float(g.value or 0), int(tickets or 0)))
    return sorted(rows, key=lambda t: (-t[2], t[0]))


def card(entry, ctx: Ctx) -> Headline:
    """The headline of an HTML card (and the XLSX Summary's Headline cell)."""
    b = entry.breakdown or {}
    num, unit = fmt_unit_value(entry.headline, entry.unit, ctx.currency)
    k = kind(entry)
    if k == MEDIAN and is_duration(entry.unit) and b.get("median") is not None:
        extra = [f"mean {fmt_duration(b.get('mean', entry.headline), entry.unit)}"]
        if b.get("p90") is not None:
            extra.append(f"p90 {fmt_duration(b['p90'], entry.unit)}")
        return Headline(fmt_duration(b["median"], entry.unit), "median",
                        "headline: the median; " + " · ".join(extra), "mean ")
    if k == CREATED_RESOLVED_BACKLOG and b.get("created") is not None:
        line = [f"created {fmt_value(b.get('created'))}"]
        if b.get("resolved") is not None:
            line.append(f"resolved {fmt_value(b['resolved'])}")
        if b.get("backlog") is not None:
            line.append(f"open backlog {fmt_value(b['backlog'])}")
        return Headline(num, "tickets created", " · ".join(line), "")
    if k == NET_POSITIVE and b.get("positive_pct") is not None and b.get("negative_pct") is not None:
        net = b["positive_pct"] - b["negative_pct"]
        return Headline(f"{net:+.0f}", "pts net positive",
                        f"{b['positive_pct']:.0f} % positive − {b['negative_pct']:.0f} % negative comments · "
                        f"mean compound {fmt_value(entry.headline)} (−1…1)", "compound ")
    if k == TOP_LABEL:
        top = topic_rows(entry)
        if top:
            name, share, tickets = top[0]
            period, _ = latest_groups(entry.result)
            when = f"{ctx.name(period)}: " if period else ""
            return Headline(name, "top topic", f"{when}{share:.1f} % of tickets ({tickets:,}) · {len(top)} topics", "")
    if k == TOP_THEME_LIFT:
        theme = detractor_theme(entry)
        covered = (f"all periods: {fmt_value(entry.headline, 0)} % of comments carry a theme"
                   if entry.headline is not None else "")
        if theme:
            name, g = theme
            period, _ = latest_groups(entry.result)
            line = (f"{ctx.name(period) + ': ' if period else ''}in {g['detractors_pct']:.1f} % of detractors' "
                    f"comments vs {g['promoters_pct']:.1f} % of promoters' (lift {g['lift']:,.1f}×)")
            return Headline(name, "top detractor theme", " · ".join(x for x in (line, covered) if x), "")
        return Headline(num, "%", "of comments carry a theme", "")
    return Headline(num, unit, "", "")


def row(entry, report) -> Headline:
    """The card's headline laid out for a terminal table row: names from the data stay out of the value
    cell (the top topic's share and the theme's lift are the value, the name goes in the line)."""
    if entry.result is None and entry.headline is None:
        return Headline("", "", "", "")
    h = card(entry, Ctx(report))
    big, unit, line, of_what = h
    k = kind(entry)
    if unit == "median":
        line = line.replace("headline: the median; ", "")
    elif k == CREATED_RESOLVED_BACKLOG and unit == "tickets created":
        unit, line = "created", line.split(" · ", 1)[1] if " · " in line else ""
    elif k == TOP_LABEL and unit == "top topic":
        rows = topic_rows(entry)
        _, share, tickets = rows[0]
        big, unit, line = f"{share:.1f}", "% of tickets", f"top topic: {big} ({tickets:,} tickets of {len(rows)} topics)"
    elif k == TOP_THEME_LIFT and unit == "top detractor theme":
        _, g = detractor_theme(entry)
        line = (f"top detractor theme: {big} (in {g['detractors_pct']:.1f} % of detractors' comments, "
                f"{g['promoters_pct']:.1f} % of promoters')")
        big, unit = f"{g['lift']:,.1f}×", "lift"
    elif k == NET_POSITIVE and unit == "pts net positive":
        b = entry.breakdown
        unit = "net positive"
        line = f"{b['positive_pct']:.0f} % positive − {b['negative_pct']:.0f} % negative"
    return Headline(big, unit, line, of_what)


def text(entry, ctx: Ctx) -> str:
    """The headline as one cell of text: ``44m median — mean 5h 0m · p90 16h 33m``, ``top topic: billing — …``."""
    import re

    big, unit, line, _ = card(entry, ctx)
    if re.match(r"-?\d", big) or big == "–" or not unit:  # 38m median, 82.91 %, −33.33 points
        out = f"{big} {unit}".strip()
        out = "−" + out[1:] if out.startswith("-") else out  # a minus sign, not a formula's start
    else:  # top topic: billing; pts net positive: +47 (a label from the data never leads the cell)
        out = f"{unit}: {big}"
    return f"{out} — {line}" if line else out

#!/usr/bin/env python3
"""Write deterministic, synthetic sample exports to ``sample_data/``.

Why this exists
---------------
The README examples, the demos and the tests need customer-experience data
that *looks* like real helpdesk / telephony / billing exports without being
anyone's real data.  This script fabricates a small, self-consistent world:

* one customer base (``C0001`` ...), with regions, subscriptions, orders and a
  CRM snapshot that agree with each other;
* one support team (agents in Billing, Technical and Onboarding, a few of whom
  left and were replaced), who appear in tickets, calls, chats and surveys only
  while they were employed;
* tickets that surveys point back to, with scores that respond (mildly) to how
  the ticket went - reopens, slow first responses, the agent, the channel - and
  improve a little month over month.

A small, deliberate share of rows is messy or broken (unparseable scores,
``not a date``, negative durations, amounts written as ``$1,234.50``, ...) so
that the loaders' validation paths have something to chew on.

Everything comes from one ``numpy.random.default_rng(20251101)`` stream, uses
no network and takes a few seconds, so re-running the script reproduces the
committed files byte for byte.  Files are UTF-8, comma-delimited, LF line
endings; timestamps are ``YYYY-MM-DD HH:MM:SS`` (no zone), dates
``YYYY-MM-DD``.  The period covered is 2025-05-01 .. 2025-10-31.

Usage::

    python scripts/make_sample_data.py              # writes ./sample_data/
    python scripts/make_sample_data.py --out /tmp/x # somewhere else
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20251101

PERIOD_START = np.datetime64("2025-05-01T00:00:00", "s")
PERIOD_END = np.datetime64("2025-11-01T00:00:00", "s")  # exclusive
EXPORT_AT = PERIOD_END - np.timedelta64(1, "s")  # "now" for the exports
FIRST_DAY = PERIOD_START.astype("datetime64[D]")
LAST_DAY = EXPORT_AT.astype("datetime64[D]")

# US public holidays in the period (NA is the biggest region): quieter days.
HOLIDAYS = np.array(["2025-05-26", "2025-07-04", "2025-09-01"], dtype="datetime64[D]")
# An outage: lots of bug/login tickets, calls, chats and help-centre visits.
INCIDENT_DAY = np.datetime64("2025-08-12", "D")

TS_FMT = "%Y-%m-%d %H:%M:%S"
DATE_FMT = "%Y-%m-%d"
HOUR = 3600
DAY = 86400

# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------

# name, team, hired, left ("" = still here). Each leaver was replaced by the
# agent named in the comment, so every team keeps at least three people.
AGENTS = [
    ("Hannah Schmidt", "Billing", "2021-02-01", "2024-03-29"),  # -> Tom Becker
    ("Maria Lopez", "Billing", "2021-03-15", ""),
    ("Laura Bianchi", "Onboarding", "2021-04-26", "2024-07-31"),  # -> Grace Okafor
    ("Daniel Kim", "Technical", "2021-05-10", ""),
    ("Nina Petrova", "Technical", "2021-07-19", "2024-11-15"),  # -> Omar Haddad
    ("James Carter", "Billing", "2021-09-01", ""),
    ("Chloé Dubois", "Onboarding", "2021-11-22", ""),
    ("Priya Nair", "Technical", "2022-02-07", ""),
    ("Victor Alvarez", "Billing", "2022-03-14", "2025-06-13"),  # -> Sofia Rossi
    ("Aisha Khan", "Billing", "2022-06-13", ""),
    ("Ben Walker", "Technical", "2022-10-03", "2025-08-29"),  # -> Emma Johansson
    ("Lucas Martin", "Technical", "2023-01-16", ""),
    ("Samuel Osei", "Onboarding", "2023-02-20", "2025-02-28"),  # -> Mateo Silva
    ("Kenji Watanabe", "Onboarding", "2023-04-03", ""),
    ("Tom Becker", "Billing", "2024-04-08", ""),
    ("Grace Okafor", "Onboarding", "2024-08-12", ""),
    ("Omar Haddad", "Technical", "2024-12-02", ""),
    ("Mateo Silva", "Onboarding", "2025-03-10", ""),
    ("Sofia Rossi", "Billing", "2025-06-02", ""),
    ("Emma Johansson", "Technical", "2025-08-18", ""),
]

CHANNELS = np.array(["email", "chat", "phone", "web"])
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
TOPICS = np.array(
    ["billing", "login", "shipping", "refund", "bug", "account", "feature request", "onboarding"]
)
TOPIC_P = [0.20, 0.14, 0.14, 0.10, 0.14, 0.12, 0.07, 0.09]
TOPIC_TEAM = {
    "billing": "Billing",
    "refund": "Billing",
    "shipping": "Billing",
    "login": "Technical",
    "bug": "Technical",
    "feature request": "Technical",
    "account": "Onboarding",
    "onboarding": "Onboarding",
}
TEAMS = np.array(["Billing", "Technical", "Onboarding"])
EXTRA_TAGS = {
    "billing": ["invoice", "payment", "refund", "vip"],
    "login": ["password", "2fa", "sso", "account"],
    "shipping": ["delivery", "delay", "tracking", "address"],
    "refund": ["billing", "return", "chargeback", "vip"],
    "bug": ["app", "ios", "android", "crash"],
    "account": ["profile", "gdpr", "cancellation", "email-change"],
    "feature request": ["roadmap", "integration", "api"],
    "onboarding": ["setup", "training", "import", "integration"],
}

# Hour-of-day profiles (relative weights, index = hour).
HOURS_SUPPORT_WEEKDAY = [0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.9, 2.0, 4.0, 6.5, 7.0, 6.8,
                         5.0, 5.5, 5.8, 5.2, 4.5, 3.5, 2.4, 1.8, 1.4, 1.1, 0.8, 0.5]
HOURS_SUPPORT_WEEKEND = [0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 1.9, 2.0,
                         1.9, 1.8, 1.8, 1.7, 1.6, 1.5, 1.4, 1.3, 1.2, 1.0, 0.8, 0.6]
# Phone lines: Mon-Fri 08-19h, Sat 09-13h, closed Sunday.
HOURS_PHONE_WEEKDAY = [0] * 8 + [3.0, 6.0, 7.0, 6.5, 4.5, 5.0, 5.5, 5.0, 4.2, 3.0, 1.8] + [0] * 5
HOURS_PHONE_WEEKEND = [0] * 9 + [2.0, 2.5, 2.5, 2.0] + [0] * 11
# Chat: staffed 07-22h every day.
HOURS_CHAT_WEEKDAY = [0] * 7 + [1.0, 3.0, 5.5, 6.5, 6.5, 5.0, 5.2, 5.5, 5.0, 4.5,
                                3.8, 3.0, 2.6, 2.2, 1.5] + [0] * 2
HOURS_CHAT_WEEKEND = [0] * 7 + [0.5, 1.0, 1.6, 2.0, 2.2, 2.2, 2.1, 2.0, 1.9, 1.8,
                                1.7, 1.6, 1.5, 1.3, 1.0] + [0] * 2
# Help centre / web shop: evenings matter too.
HOURS_WEB = [0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.7, 1.5, 2.6, 3.4, 3.8, 3.9,
             3.7, 3.8, 3.9, 3.8, 3.6, 3.4, 3.5, 3.9, 4.1, 3.6, 2.6, 1.6]

DOW_SUPPORT = [1.25, 1.20, 1.05, 1.00, 0.90, 0.30, 0.25]  # Mon..Sun
DOW_PHONE = [1.30, 1.20, 1.05, 1.00, 0.90, 0.25, 0.0]
DOW_CHAT = [1.20, 1.15, 1.05, 1.00, 0.95, 0.45, 0.40]
DOW_WEB = [1.10, 1.10, 1.05, 1.00, 0.95, 0.85, 0.90]

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def seconds(x) -> np.ndarray:
    """Float seconds -> timedelta64[s] (rounded)."""
    return np.round(np.asarray(x, dtype=float)).astype(np.int64).astype("timedelta64[s]")


def lognormal(rng: np.random.Generator, median, sigma, size) -> np.ndarray:
    return np.asarray(median, dtype=float) * np.exp(sigma * rng.standard_normal(size))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday=0 .. Sunday=6 for datetime64 values."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def month_index(t: np.ndarray) -> np.ndarray:
    """0 for May 2025 ... 5 for October 2025."""
    return t.astype("datetime64[M]").astype(np.int64) - FIRST_DAY.astype("datetime64[M]").astype(np.int64)


def weighted_pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) non-negative weight matrix."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1]
    if np.any(total <= 0):
        raise ValueError("a row has no positive weight")
    u = rng.random(len(weights)) * total
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def sample_times(rng, n, dow_weights, hours_weekday, hours_weekend, *,
                 growth=0.0, holiday_factor=0.5, incident_factor=1.0) -> np.ndarray:
    """n sorted timestamps in the period following day-of-week / hour-of-day patterns."""
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    w = np.asarray(dow_weights, dtype=float)[weekday(days)]
    w = w * (1.0 + growth * month_index(days))
    w[np.isin(days, HOLIDAYS)] *= holiday_factor
    w[days == INCIDENT_DAY] *= incident_factor
    d = rng.choice(len(days), size=n, p=w / w.sum())
    hw = np.asarray(hours_weekday, dtype=float)
    he = np.asarray(hours_weekend, dtype=float)
    weekend = weekday(days[d]) >= 5
    hours = np.where(weekend, rng.choice(24, n, p=he / he.sum()), rng.choice(24, n, p=hw / hw.sum()))
    secs = rng.integers(0, HOUR, n)
    return np.sort(days[d].astype("datetime64[s]") + seconds(hours * HOUR + secs))


def next_business_open(t: np.ndarray, open_h=8, close_h=18) -> np.ndarray:
    """The moment the (Mon-Fri, open_h-close_h) support desk can first look at t."""
    day = t.astype("datetime64[D]")
    hour = (t - day.astype("datetime64[s]")).astype(np.int64) / HOUR
    busy = np.is_busday(day, holidays=HOLIDAYS)
    nxt = np.where(busy,
                   np.busday_offset(day, 1, roll="forward", holidays=HOLIDAYS),
                   np.busday_offset(day, 0, roll="forward", holidays=HOLIDAYS))
    out = nxt.astype("datetime64[s]") + np.timedelta64(open_h * HOUR, "s")
    out = np.where(busy & (hour < open_h), day.astype("datetime64[s]") + np.timedelta64(open_h * HOUR, "s"), out)
    out = np.where(busy & (hour >= open_h) & (hour < close_h), t, out)
    return out


def active_matrix(t: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(len(t), len(start)) bool: interval [start, end] (end NaT = open) covers t."""
    d = t.astype("datetime64[D]")[:, None]
    s = start.astype("datetime64[D]")[None, :]
    e = end.astype("datetime64[D]")[None, :]
    return (s <= d) & (np.isnat(e) | (d <= e))


def fmt_ts(a: np.ndarray, fmt: str = TS_FMT) -> np.ndarray:
    return pd.Series(pd.to_datetime(a)).dt.strftime(fmt).fillna("").to_numpy(dtype=object)


def fmt_int(a, missing=None) -> np.ndarray:
    s = np.asarray(a).astype(np.int64).astype(str).astype(object)
    if missing is not None:
        s[missing] = ""
    return s


def fmt_money(a) -> np.ndarray:
    return np.array([f"{x:.2f}" for x in a], dtype=object)


def write_csv(df: pd.DataFrame, out: Path, name: str) -> None:
    df.to_csv(out / name, index=False, lineterminator="\n", encoding="utf-8")


# --------------------------------------------------------------------------
# The world: agents and customers
# --------------------------------------------------------------------------


def make_agents(rng) -> pd.DataFrame:
    df = pd.DataFrame(AGENTS, columns=["Agent", "Team", "Hired At", "Left At"])
    hired = df["Hired At"].to_numpy(dtype="datetime64[D]")
    left = np.array([np.datetime64(x, "D") if x else np.datetime64("NaT", "D") for x in df["Left At"]])
    return pd.DataFrame({
        "name": df["Agent"].to_numpy(),
        "team": df["Team"].to_numpy(),
        "hired": hired,
        "left": left,
        "workload": lognormal(rng, 1.0, 0.25, len(df)),  # some agents take more work
        "quality": rng.normal(0.0, 0.2, len(df)),  # effect on survey scores
    })


def write_agents(agents: pd.DataFrame, out: Path) -> pd.DataFrame:
    df = pd.DataFrame({
        "Agent": agents["name"],
        "Team": agents["team"],
        "Hired At": fmt_ts(agents["hired"].to_numpy(), DATE_FMT),
        "Left At": fmt_ts(agents["left"].to_numpy(), DATE_FMT),
    })
    write_csv(df, out, "agents.csv")
    return df


def pick_agents(rng, agents: pd.DataFrame, t: np.ndarray, team: np.ndarray | None = None) -> np.ndarray:
    """An agent employed at each time t (optionally from the given team), by workload."""
    w = active_matrix(t, agents["hired"].to_numpy(), agents["left"].to_numpy()).astype(float)
    if team is not None:
        w *= team[:, None] == agents["team"].to_numpy()[None, :]
    w *= agents["workload"].to_numpy()[None, :]
    return agents["name"].to_numpy()[weighted_pick(rng, w)]


def make_customers(rng, n=1000) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"C{i:04d}" for i in range(1, n + 1)],
        "region": rng.choice(["EU", "NA", "APAC"], n, p=[0.40, 0.45, 0.15]),
        "propensity": lognormal(rng, 1.0, 0.7, n),  # how often they contact support
    })


# --------------------------------------------------------------------------
# subscriptions.csv
# --------------------------------------------------------------------------

PLANS = np.array(["Basic", "Pro", "Enterprise"])
PLAN_MRR = {"Basic": 29.0, "Pro": 99.0, "Enterprise": 499.0}
PLAN_MONTHLY_CHURN = {"Basic": 0.040, "Pro": 0.025, "Enterprise": 0.012}
PLAN_MULTIPLIERS = {  # seats / discounts
    "Basic": ([1, 0.9, 2, 3], [0.75, 0.10, 0.10, 0.05]),
    "Pro": ([1, 0.9, 0.8, 2, 3], [0.60, 0.15, 0.05, 0.15, 0.05]),
    "Enterprise": ([1, 0.85, 1.5, 2, 3], [0.40, 0.10, 0.20, 0.20, 0.10]),
}


def _subscription_rows(rng, plan: np.ndarray, start: np.ndarray):
    n = len(plan)
    hazard = np.array([PLAN_MONTHLY_CHURN[p] for p in plan])
    life_days = rng.exponential(30.44 / -np.log1p(-hazard), n)
    end = start + np.ceil(life_days).astype(np.int64).astype("timedelta64[D]")
    end = np.where(end > LAST_DAY, np.datetime64("NaT", "D"), end)
    mrr = np.empty(n)
    for p in PLANS:
        m = plan == p
        mult, prob = PLAN_MULTIPLIERS[p]
        mrr[m] = PLAN_MRR[p] * rng.choice(mult, m.sum(), p=prob)
    return end, np.round(mrr, 2)


def make_subscriptions(rng, customers: pd.DataFrame, n_subscribers=875, n_comebacks=25) -> pd.DataFrame:
    """One subscription per subscriber; a few churned customers come back later."""
    idx = np.sort(rng.choice(len(customers), n_subscribers, replace=False))
    first = np.datetime64("2024-01-01", "D")
    span = np.arange(first, LAST_DAY + 1)
    ramp = 1.0 + 1.5 * np.arange(len(span)) / len(span)  # acquisition grows
    start = span[rng.choice(len(span), n_subscribers, p=ramp / ramp.sum())]
    plan = rng.choice(PLANS, n_subscribers, p=[0.55, 0.35, 0.10])
    end, mrr = _subscription_rows(rng, plan, start)
    subs = pd.DataFrame({"customer": customers["id"].to_numpy()[idx], "region": customers["region"].to_numpy()[idx],
                         "plan": plan, "start": start, "end": end, "mrr": mrr, "broken": False})

    # Come-backs: churned at least a month before the export, re-subscribe 3-30 weeks later.
    gone = subs.index[subs["end"].notna() & (subs["end"] < LAST_DAY - np.timedelta64(60, "D"))].to_numpy()
    back = np.sort(rng.choice(gone, min(n_comebacks * 2, len(gone)), replace=False))
    restart = subs.loc[back, "end"].to_numpy() + rng.integers(21, 210, len(back)).astype("timedelta64[D]")
    back, restart = back[restart <= LAST_DAY][:n_comebacks], restart[restart <= LAST_DAY][:n_comebacks]
    old_plan = subs.loc[back, "plan"].to_numpy()
    new_plan = np.where(rng.random(len(back)) < 0.7, old_plan, rng.choice(PLANS, len(back), p=[0.5, 0.4, 0.1]))
    end2, mrr2 = _subscription_rows(rng, new_plan, restart)
    again = pd.DataFrame({"customer": subs.loc[back, "customer"].to_numpy(),
                          "region": subs.loc[back, "region"].to_numpy(),
                          "plan": new_plan, "start": restart, "end": end2, "mrr": mrr2, "broken": False})
    subs = pd.concat([subs, again], ignore_index=True)

    # Two broken rows: end date typed before the start date.
    churned_once = subs.index[subs["end"].notna() & ~subs["customer"].isin(again["customer"])].to_numpy()
    for i in rng.choice(churned_once, 2, replace=False):
        s, e = subs.at[i, "start"], subs.at[i, "end"]
        if s == e:
            e = s + np.timedelta64(30, "D")
        subs.at[i, "start"], subs.at[i, "end"], subs.at[i, "broken"] = e, s, True
    return subs.sort_values(["customer", "start"], kind="stable").reset_index(drop=True)


def write_subscriptions(subs: pd.DataFrame, out: Path) -> pd.DataFrame:
    df = pd.DataFrame({
        "Customer ID": subs["customer"],
        "Plan": subs["plan"],
        "Region": subs["region"],
        "Started At": fmt_ts(subs["start"].to_numpy(), DATE_FMT),
        "Ended At": fmt_ts(subs["end"].to_numpy(), DATE_FMT),
        "MRR": fmt_money(subs["mrr"]),
    })
    write_csv(df, out, "subscriptions.csv")
    return df


def pick_customers(rng, subs: pd.DataFrame, customers: pd.DataFrame, t: np.ndarray,
                   churner_boost=1.8, enterprise_boost=2.0) -> np.ndarray:
    """A customer with a live subscription at each time t, weighted by support propensity."""
    ok = ~subs["broken"].to_numpy()
    live = active_matrix(t, subs["start"].to_numpy(), subs["end"].to_numpy()) & ok[None, :]
    prop = customers.set_index("id")["propensity"].reindex(subs["customer"]).to_numpy()
    churner = subs["end"].notna().to_numpy()  # unhappy customers write in more
    big = subs["plan"].to_numpy() == "Enterprise"
    w = prop * np.where(churner, churner_boost, 1.0) * np.where(big, enterprise_boost, 1.0)
    return subs["customer"].to_numpy()[weighted_pick(rng, live * w[None, :])]


# --------------------------------------------------------------------------
# tickets.csv
# --------------------------------------------------------------------------


def make_tickets(rng, agents: pd.DataFrame, subs: pd.DataFrame, customers: pd.DataFrame, n=6000) -> pd.DataFrame:
    created = sample_times(rng, n, DOW_SUPPORT, HOURS_SUPPORT_WEEKDAY, HOURS_SUPPORT_WEEKEND,
                           growth=0.04, incident_factor=3.0)
    channel = rng.choice(CHANNELS, n, p=[0.35, 0.25, 0.20, 0.20])
    hour = (created - created.astype("datetime64[D]").astype("datetime64[s]")).astype(np.int64) // HOUR
    dow = weekday(created)
    phone_open = np.where(dow < 5, (hour >= 8) & (hour < 19), (dow == 5) & (hour >= 9) & (hour < 13))
    channel = np.where((channel == "phone") & ~phone_open, "email", channel)  # lines closed: people write
    channel = np.where((channel == "chat") & ((hour < 7) | (hour >= 22)), "web", channel)  # chat offline
    priority = rng.choice(PRIORITIES, n, p=[0.20, 0.55, 0.18, 0.07])
    topic = rng.choice(TOPICS, n, p=TOPIC_P)
    incident = created.astype("datetime64[D]") == INCIDENT_DAY
    hit = incident & (rng.random(n) < 0.6)
    topic = np.where(hit, rng.choice(["bug", "login"], n, p=[0.65, 0.35]), topic)
    priority = np.where(hit & (rng.random(n) < 0.5), rng.choice(["high", "urgent"], n), priority)

    team = np.array([TOPIC_TEAM[x] for x in topic])
    team = np.where(rng.random(n) < 0.08, rng.choice(TEAMS, n), team)  # mis-routed / shared work
    agent = pick_agents(rng, agents, created, team)
    customer = pick_customers(rng, subs, customers, created)

    # First response: business hours for email/web unless urgent; chat/phone near-instant.
    pr = pd.Series(priority)
    frt_median_min = pr.map({"low": 240, "normal": 120, "high": 45, "urgent": 15}).to_numpy(float)
    ch_factor = pd.Series(channel).map({"email": 1.0, "web": 1.1, "chat": 0.04, "phone": 0.01}).to_numpy()
    frt_min = np.clip(lognormal(rng, frt_median_min * ch_factor, 1.0, n), 0.2, 5 * 24 * 60)
    async_ch = np.isin(channel, ["email", "web"]) & (priority != "urgent")
    clock_start = np.where(async_ch, next_business_open(created), created)
    first_resp = clock_start + seconds(frt_min * 60)

    # Work on the ticket.
    heavy = np.isin(topic, ["bug", "feature request", "refund"])
    replies = np.where(heavy,
                       rng.choice(np.arange(1, 9), n, p=[0.28, 0.22, 0.17, 0.12, 0.08, 0.06, 0.04, 0.03]),
                       rng.choice(np.arange(1, 9), n, p=[0.42, 0.22, 0.14, 0.09, 0.05, 0.04, 0.02, 0.02]))
    p_reopen = np.select([topic == "bug", topic == "refund"], [0.13, 0.11], 0.065)
    reopens = np.where(rng.random(n) < p_reopen, rng.choice([1, 2, 3], n, p=[0.75, 0.20, 0.05]), 0)
    contacts = np.minimum(1 + reopens + rng.choice([0, 1, 2], n, p=[0.80, 0.15, 0.05]), 4)
    handle = lognormal(rng, 300 * (1 + 0.35 * (replies - 1)) * np.where(channel == "phone", 1.8, 1.0), 0.6, n)
    handle = np.clip(np.round(handle), 60, 3600).astype(np.int64)

    res_median_h = pr.map({"low": 40, "normal": 20, "high": 8, "urgent": 3}).to_numpy(float)
    res_h = lognormal(rng, res_median_h * (0.7 + 0.25 * replies) * (1 + 0.8 * reopens), 1.1, n)
    res_h = np.clip(res_h, 0.1, 30 * 24)
    resolved = first_resp + seconds(res_h * HOUR)

    # ~3% never answered: half closed as duplicates/spam, half still sitting in the queue.
    unanswered = rng.random(n) < 0.03
    dup = unanswered & (rng.random(n) < 0.5)
    resolved = np.where(dup, created + seconds(lognormal(rng, 6 * HOUR, 1.0, n)), resolved)
    first_resp = np.where(unanswered | (first_resp > EXPORT_AT), np.datetime64("NaT", "s"), first_resp)
    replies = np.where(np.isnat(first_resp), 0, replies)
    handle = np.where(np.isnat(first_resp), np.clip(handle // 4, 60, None), handle)

    # Backlog: not resolved by export time, plus some stale tickets, plus the queued unanswered.
    age_days = (EXPORT_AT - created).astype(np.int64) / DAY
    stale = rng.random(n) < 0.02 + 0.30 * np.exp(-age_days / 7)
    unresolved = (resolved > EXPORT_AT) | stale | (unanswered & ~dup)
    unresolved &= ~dup
    resolved = np.where(unresolved, np.datetime64("NaT", "s"), resolved)
    agent = np.where(unanswered & ~dup, "", agent)  # still unassigned in the queue

    recent = (EXPORT_AT - resolved) < np.timedelta64(4 * DAY, "s")
    status = np.where(unresolved,
                      np.where(np.isnat(first_resp) | (rng.random(n) < 0.6), "open", "pending"),
                      np.where(recent | (rng.random(n) < 0.35), "solved", "closed"))

    # Tags: the topic first, then 0-2 related tags; one quoted cell.
    n_tags = rng.choice([1, 2, 3], n, p=[0.50, 0.35, 0.15])
    tags = []
    for i in range(n):
        tt = [topic[i].replace(" ", "-")]
        if dup[i]:
            tt.append(rng.choice(["duplicate", "spam"]))
        if incident[i] and topic[i] in ("bug", "login"):
            tt.append("outage")
        pool = [x for x in EXTRA_TAGS[topic[i]] if x not in tt]
        k = max(0, min(n_tags[i] - len(tt), len(pool)))
        tt += list(rng.choice(pool, k, replace=False)) if k else []
        tags.append(",".join(tt[:3]))

    t = pd.DataFrame({
        "id": [f"T{i:05d}" for i in range(1, n + 1)],
        "created": created, "first_resp": first_resp, "resolved": resolved, "status": status,
        "channel": channel, "agent": agent, "team": team, "priority": priority, "topic": topic,
        "tags": tags, "replies": replies, "reopens": reopens, "contacts": contacts, "handle": handle,
        "customer": customer, "broken": "",
    })

    # ~0.3% deliberately broken rows (never used for surveys).
    ok = np.flatnonzero(~np.isnat(t["resolved"].to_numpy()) & ~np.isnat(t["first_resp"].to_numpy()))
    bad = rng.choice(ok, 18, replace=False)
    kinds = np.array(["resolved_before_created", "first_response_before_created", "not_a_date", "negative_handle"])
    t.loc[bad, "broken"] = np.resize(kinds, len(bad))
    return t


def write_tickets(t: pd.DataFrame, out: Path) -> pd.DataFrame:
    created = fmt_ts(t["created"].to_numpy())
    first = fmt_ts(t["first_resp"].to_numpy())
    resolved = fmt_ts(t["resolved"].to_numpy())
    handle = t["handle"].to_numpy().copy()
    b = t["broken"].to_numpy()
    day_before = fmt_ts(t["created"].to_numpy() - np.timedelta64(DAY + 7 * HOUR, "s"))
    hour_before = fmt_ts(t["created"].to_numpy() - np.timedelta64(HOUR + 1234, "s"))
    resolved = np.where(b == "resolved_before_created", day_before, resolved)
    first = np.where(b == "first_response_before_created", hour_before, first)
    created = np.where(b == "not_a_date", "not a date", created)
    handle = np.where(b == "negative_handle", -handle, handle)
    df = pd.DataFrame({
        "Ticket ID": t["id"], "Created At": created, "First Response At": first, "Resolved At": resolved,
        "Status": t["status"], "Channel": t["channel"], "Agent": t["agent"], "Team": t["team"],
        "Priority": t["priority"], "Topic": t["topic"], "Tags": t["tags"],
        "Agent Replies": fmt_int(t["replies"]), "Reopens": fmt_int(t["reopens"]),
        "Contacts": fmt_int(t["contacts"]), "Handle Seconds": fmt_int(handle), "Customer ID": t["customer"],
    })
    write_csv(df, out, "tickets.csv")
    return df


# --------------------------------------------------------------------------
# surveys.csv
# --------------------------------------------------------------------------

# survey -> (lowest score, score distribution in May, score distribution in October);
# months in between are interpolated, so the scores improve a little over time.
SCALES = {
    "NPS": (0, [0.035, 0.015, 0.02, 0.03, 0.035, 0.055, 0.065, 0.12, 0.16, 0.205, 0.26],  # NPS +21
               [0.025, 0.01, 0.015, 0.02, 0.025, 0.045, 0.05, 0.10, 0.165, 0.235, 0.31]),  # NPS +35
    "CSAT": (1, [0.07, 0.055, 0.10, 0.30, 0.475], [0.05, 0.04, 0.08, 0.30, 0.53]),  # 78% -> 83% satisfied
    "CES": (1, [0.05, 0.06, 0.09, 0.14, 0.20, 0.24, 0.22], [0.03, 0.04, 0.07, 0.12, 0.20, 0.26, 0.28]),
}
NEGATIVE = {  # score <= this is negative, >= POSITIVE is positive
    "NPS": (6, 9), "CSAT": (2, 4), "CES": (3, 6),
}

COMMENTS = {
    "slow response": ["Slow response.", "The response was very slow.", "Really slow to get back to me.",
                      "Slow replies, it took days to hear back."],
    "waiting": ["Too much waiting.", "I was kept waiting for ages.", "Waited 40 minutes on hold.",
                "Long wait for a simple answer."],
    "refund": ["Still no refund after two weeks.", "My refund has not arrived yet.",
               "The refund process is a mess.", "I asked for a refund twice."],
    "billing error": ["Billing error on my invoice.", "Charged twice, billing error still not fixed.",
                      "Another billing error this month.", "Billing mistake, I had to chase it myself."],
    "had to repeat myself": ["Had to repeat myself to every agent.", "I had to repeat my issue three times.",
                             "Kept having to repeat myself."],
    "app crash": ["The app keeps crashing.", "App crashes every time I open it.", "The app crashed during checkout."],
    "rude": ["The agent was rude.", "Rude and dismissive.", "Agent was rude and didn’t listen."],
    "fast": ["Fast response, thanks!", "Very fast reply.", "Fast and to the point."],
    "friendly": ["Friendly and patient.", "Very friendly agent.", "Super friendly team."],
    "helpful agent": ["Helpful agent.", "The agent was really helpful.", "Helpful agent who knew the product well."],
    "easy": ["Easy process.", "Easy to get help.", "Really easy, no hassle."],
    "solved quickly": ["Solved quickly.", "Problem solved quickly.", "Issue solved quickly, thank you."],
    "great product": ["Great product!", "Great product, love it.", "Great product, keep it up."],
}
NEUTRAL_COMMENTS = ["It was ok.", "Fine overall.", "Average experience.", "Got there in the end.",
                    "Okay, nothing special.", "The answer was fine."]
MIXED_COMMENTS = ["Helpful agent, but the response was slow.", "Friendly people, but I had to repeat myself.",
                  "Easy enough, but too much waiting.", "Solved quickly, but the app still crashes sometimes.",
                  "Fast reply, but my refund is still pending."]
NEG_THEMES = ["slow response", "waiting", "refund", "billing error", "had to repeat myself", "app crash", "rude"]
POS_THEMES = ["fast", "friendly", "helpful agent", "easy", "solved quickly", "great product"]
MESSY = {  # unparseable / out-of-range scores a real export will contain
    "NPS": ["N/A", "-", "eleven", "12", "7.5", ""],
    "CSAT": ["N/A", "-", "0", ""],
    "CES": ["N/A", "7.5", "-", ""],
}


def _theme_weights(row) -> tuple[np.ndarray, np.ndarray]:
    """Theme weights for a negative and a positive comment given what happened."""
    neg = np.array([1.0, 1.0, 0.4, 0.4, 0.8, 0.4, 0.35])
    pos = np.array([1.0, 1.0, 1.2, 0.8, 1.0, 0.6])
    topic = row["topic"]
    if not isinstance(topic, str):  # relationship survey: about the product, not a ticket
        neg *= [0.6, 0.5, 1, 1.5, 0.5, 2.5, 0.2]
        pos *= [0.5, 0.5, 0.3, 2, 0.3, 4]
        return neg, pos
    if topic == "billing":
        neg *= [1, 1, 2, 4, 1, 1, 1]
    elif topic == "refund":
        neg *= [1, 1, 5, 1.5, 1, 1, 1]
    elif topic in ("bug", "login"):
        neg *= [1, 1, 1, 1, 1, 4, 1]
    if row["reopens"] > 0 or row["contacts"] > 1:
        neg *= [1, 1, 1, 1, 3, 1, 1]
    if row["frt_h"] > 24:
        neg *= [3, 1.5, 1, 1, 1, 1, 1]
    if row["channel"] == "phone":
        neg *= [1, 3, 1, 1, 1, 1, 1]
    if row["frt_h"] < 1:
        pos *= [2, 1, 1, 1, 1, 1]
    if row["replies"] <= 1:
        pos *= [1, 1, 1, 1, 2, 1]
    return neg, pos


def _comment(rng, polarity: int, row) -> str:
    if polarity == 0:
        pool = MIXED_COMMENTS if rng.random() < 0.35 else NEUTRAL_COMMENTS
        return str(rng.choice(pool))
    neg, pos = _theme_weights(row)
    themes, w = (NEG_THEMES, neg) if polarity < 0 else (POS_THEMES, pos)
    k = 2 if rng.random() < 0.12 else 1
    picked = rng.choice(len(themes), k, replace=False, p=w / w.sum())
    return " ".join(str(rng.choice(COMMENTS[themes[j]])) for j in picked)


def make_surveys(rng, tickets: pd.DataFrame, agents: pd.DataFrame, subs: pd.DataFrame,
                 n_transactional=3400, per_wave=100) -> pd.DataFrame:
    """Transactional CSAT/CES/NPS after resolved tickets plus monthly relationship-NPS waves."""
    # Transactional surveys (CSAT / CES / NPS) after a resolved ticket.
    t = tickets
    sendable = (t["broken"] == "") & t["resolved"].notna() & (t["replies"] > 0)
    delay = np.where(np.isin(t["channel"], ["chat", "phone"]),
                     lognormal(rng, 300, 0.8, len(t)), lognormal(rng, 2 * HOUR, 1.0, len(t)))
    sent_all = t["resolved"].to_numpy() + seconds(delay)
    sendable &= sent_all < EXPORT_AT
    idx = np.sort(rng.choice(np.flatnonzero(sendable), n_transactional, replace=False))
    tr = t.iloc[idx]
    s1 = pd.DataFrame({
        "survey": rng.choice(["CSAT", "CES", "NPS"], len(tr), p=[0.52, 0.23, 0.25]),
        "sent": sent_all[idx], "channel": tr["channel"].to_numpy(), "agent": tr["agent"].to_numpy(),
        "ticket": tr["id"].to_numpy(), "customer": tr["customer"].to_numpy(), "topic": tr["topic"].to_numpy(),
        "reopens": tr["reopens"].to_numpy(), "contacts": tr["contacts"].to_numpy(),
        "replies": tr["replies"].to_numpy(),
        "frt_h": (tr["first_resp"] - tr["created"]).dt.total_seconds().to_numpy() / HOUR,
        "res_h": (tr["resolved"] - tr["created"]).dt.total_seconds().to_numpy() / HOUR,
    })

    # Relationship NPS waves: first Tuesday of each month, 10:00, sent in batches over an hour.
    months = np.arange(FIRST_DAY.astype("datetime64[M]"), (LAST_DAY + 1).astype("datetime64[M]"))
    waves = np.busday_offset(months.astype("datetime64[D]"), 0, roll="forward", weekmask="Tue")
    sent = np.repeat(waves.astype("datetime64[s]") + np.timedelta64(10 * HOUR, "s"), per_wave)
    sent = sent + seconds(rng.integers(0, HOUR, len(sent)))
    cust = np.empty(len(sent), dtype=object)
    for k, w in enumerate(waves):  # distinct customers within a wave
        live = active_matrix(np.array([w]), subs["start"].to_numpy(), subs["end"].to_numpy())[0]
        live &= ~subs["broken"].to_numpy()
        pool = np.unique(subs["customer"].to_numpy()[live])
        cust[k * per_wave:(k + 1) * per_wave] = rng.choice(pool, per_wave, replace=False)
    s2 = pd.DataFrame({"survey": "NPS", "sent": sent, "agent": "", "ticket": "", "customer": cust,
                       "channel": rng.choice(["email", "web"], len(sent), p=[0.8, 0.2])})
    s = pd.concat([s1, s2], ignore_index=True).sort_values("sent", kind="stable").reset_index(drop=True)
    n = len(s)
    is_tx = s["ticket"].to_numpy() != ""

    # Who answers, and when.
    p_channel = {"email": 0.36, "chat": 0.46, "phone": 0.40, "web": 0.42}
    p_answer = np.where(is_tx, s["channel"].map(p_channel).to_numpy(), 0.33)
    answered = rng.random(n) < p_answer
    fast = np.isin(s["channel"], ["chat", "phone"]) & is_tx
    lag = np.where(fast, lognormal(rng, 90, 1.0, n), lognormal(rng, 2.5 * HOUR, 1.5, n))
    responded = s["sent"].to_numpy() + seconds(np.minimum(lag, 10 * DAY))
    answered &= responded <= EXPORT_AT
    responded = np.where(answered, responded, np.datetime64("NaT", "s"))

    # Latent satisfaction: channel, agent, what happened on the ticket, churn risk.
    churners = set(subs.loc[subs["end"].notna(), "customer"])
    z = s["channel"].map({"chat": 0.06, "phone": 0.04, "email": -0.02, "web": -0.04}).to_numpy()
    z = z + s["agent"].map(dict(zip(agents["name"], agents["quality"]))).fillna(0).to_numpy()
    z = z - 0.3 * s["customer"].isin(churners).to_numpy()
    f = s.fillna({"reopens": 0, "contacts": 1, "frt_h": 0, "res_h": 0})
    effort = np.where(s["survey"] == "CES", 1.5, 1.0)
    z = z - effort * (0.6 * (f["reopens"] > 0) + 0.15 * (f["contacts"] - 1)).to_numpy()
    z = z - 0.25 * (f["frt_h"] > 24).to_numpy() - 0.2 * (f["res_h"] > 72).to_numpy()
    z = z + 0.1 * (is_tx & (f["frt_h"] < 0.25)).to_numpy()
    topic_effect = {"bug": -0.2, "refund": -0.15, "billing": -0.1, "onboarding": 0.1}
    z = z + s["topic"].map(topic_effect).fillna(0).to_numpy()
    z = z + rng.standard_normal(n)
    # Cut the latent at the month's target quantiles (among the answers), so each month's
    # score distribution is close to the target while the effects above decide who gets what.
    score = np.zeros(n, dtype=np.int64)
    month = month_index(s["sent"].to_numpy())
    for name, (lo, p_may, p_oct) in SCALES.items():
        for mi in range(6):
            m = answered & (s["survey"] == name).to_numpy() & (month == mi)
            p = np.asarray(p_may) + (np.asarray(p_oct) - np.asarray(p_may)) * mi / 5
            cuts = np.quantile(z[m], np.cumsum(p)[:-1])
            score[m] = lo + np.searchsorted(cuts, z[m], side="right")

    # Comments on about half the answers, themes following the score.
    neg_max = s["survey"].map({k: v[0] for k, v in NEGATIVE.items()}).to_numpy()
    pos_min = s["survey"].map({k: v[1] for k, v in NEGATIVE.items()}).to_numpy()
    polarity = np.where(score <= neg_max, -1, np.where(score >= pos_min, 1, 0))
    p_comment = np.select([polarity < 0, polarity > 0], [0.68, 0.50], 0.32)
    has_comment = answered & (rng.random(n) < p_comment)
    rows = f.to_dict("records")
    comment = np.array([_comment(rng, polarity[i], rows[i]) if has_comment[i] else "" for i in range(n)], dtype=object)
    score_txt = fmt_int(score, missing=~answered)

    # ~1% of answers mangled on the way into the export.
    for name, kinds in MESSY.items():
        cand = np.flatnonzero(answered & (s["survey"] == name).to_numpy())
        k = max(len(kinds), round(0.01 * len(cand)))
        for j, i in enumerate(np.sort(rng.choice(cand, k, replace=False))):
            score_txt[i] = kinds[j % len(kinds)]
            if score_txt[i] == "" and not comment[i]:
                comment[i] = _comment(rng, polarity[i], rows[i])

    return pd.DataFrame({
        "Response ID": [f"R{i:05d}" for i in range(1, n + 1)],
        "Survey": s["survey"].to_numpy(),
        "Sent At": fmt_ts(s["sent"].to_numpy()),
        "Responded At": fmt_ts(responded),
        "Score": score_txt,
        "Comment": comment,
        "Channel": s["channel"].to_numpy(),
        "Agent": s["agent"].to_numpy(),
        "Ticket ID": s["ticket"].to_numpy(),
        "Customer ID": s["customer"].to_numpy(),
    })


def make_ticket_surveys(surveys: pd.DataFrame) -> pd.DataFrame:
    """A CSAT tool's export keyed by ticket (docs/joins.md): the answered CSAT rows of surveys.csv,
    one per ticket, two of them pointing at tickets the helpdesk export does not have (deleted or
    merged there), so a join has a survey for an unknown ticket to report. Derived, not drawn: it
    takes nothing from the random stream, so the other files stay as they are."""
    csat = surveys[(surveys["Survey"] == "CSAT") & (surveys["Responded At"] != "")]
    out = csat[["Response ID", "Ticket ID", "Responded At", "Score", "Comment"]].reset_index(drop=True)
    out.loc[[10, 500], "Ticket ID"] = ["T90001", "T90002"]
    return out


# --------------------------------------------------------------------------
# calls.csv, chats.csv
# --------------------------------------------------------------------------


def make_calls(rng, agents: pd.DataFrame, n=3000) -> pd.DataFrame:
    queued = sample_times(rng, n, DOW_PHONE, HOURS_PHONE_WEEKDAY, HOURS_PHONE_WEEKEND, incident_factor=2.5)
    hour = ((queued - queued.astype("datetime64[D]").astype("datetime64[s]")).astype(np.int64) // HOUR)
    load = np.asarray(HOURS_PHONE_WEEKDAY, dtype=float)[hour] / max(HOURS_PHONE_WEEKDAY)  # busy hours queue longer
    incident = queued.astype("datetime64[D]") == INCIDENT_DAY
    wait = np.clip(lognormal(rng, 9 + 14 * load + 60 * incident, 1.1, n), 5, 600)
    patience = lognormal(rng, 300, 1.4, n)
    abandoned = patience < wait
    talk = np.clip(lognormal(rng, 300, 0.65, n), 60, 1500)
    hold = np.where(rng.random(n) < 0.6, 0, np.clip(lognormal(rng, 60, 0.8, n), 10, 300))
    wrap = np.clip(lognormal(rng, 45, 0.6, n), 10, 180)
    answered_at = queued + seconds(wait)
    ended = answered_at + seconds(np.round(talk) + np.round(hold))
    agent = pick_agents(rng, agents, queued)
    nat = np.datetime64("NaT", "s")
    assert (ended[~abandoned] <= EXPORT_AT).all()
    return pd.DataFrame({
        "Call ID": [f"CL{i:05d}" for i in range(1, n + 1)],
        "Queued At": fmt_ts(queued),
        "Answered At": fmt_ts(np.where(abandoned, nat, answered_at)),
        "Ended At": fmt_ts(np.where(abandoned, nat, ended)),
        "Talk Seconds": fmt_int(talk, missing=abandoned),
        "Hold Seconds": fmt_int(hold, missing=abandoned),
        "Wrap Seconds": fmt_int(wrap, missing=abandoned),
        "Agent": np.where(abandoned, "", agent),
    })


def make_chats(rng, agents: pd.DataFrame, n=3000) -> pd.DataFrame:
    requested = sample_times(rng, n, DOW_CHAT, HOURS_CHAT_WEEKDAY, HOURS_CHAT_WEEKEND, growth=0.03, incident_factor=2.5)
    wait = np.clip(lognormal(rng, 25, 0.9, n), 5, 300)
    missed = rng.random(n) < 0.025 + 0.12 * (wait > 60)  # visitors give up if nobody picks up
    duration = np.clip(lognormal(rng, 9 * 60, 0.6, n), 120, 2400)
    accepted = requested + seconds(wait)
    ended = accepted + seconds(duration)
    agent = pick_agents(rng, agents, requested)
    nat = np.datetime64("NaT", "s")
    assert (ended[~missed] <= EXPORT_AT).all()
    return pd.DataFrame({
        "Chat ID": [f"CH{i:05d}" for i in range(1, n + 1)],
        "Requested At": fmt_ts(requested),
        "Accepted At": fmt_ts(np.where(missed, nat, accepted)),
        "Ended At": fmt_ts(np.where(missed, nat, ended)),
        "Agent": np.where(missed, "", agent),
        "Channel": rng.choice(["web", "app"], n, p=[0.65, 0.35]),
    })


# --------------------------------------------------------------------------
# orders.csv, kb.csv, crm_snapshot.csv
# --------------------------------------------------------------------------


def make_orders(rng, customers: pd.DataFrame, n_buyers=800, n_orders=5000) -> pd.DataFrame:
    """Repeat buyers with their own purchase rate; ~40% stop buying at some point."""
    buyers = np.sort(rng.choice(len(customers), n_buyers, replace=False))
    period = (PERIOD_END - PERIOD_START).astype(np.int64)
    existing = rng.random(n_buyers) < 0.45  # already customers on 1 May
    first = np.where(existing, rng.uniform(0, 0.08, n_buyers), rng.uniform(0, 0.9, n_buyers)) * period
    stops = rng.random(n_buyers) < 0.40
    stop = np.where(stops, first + rng.exponential(50 * DAY, n_buyers), period)
    stop = np.minimum(stop, period - 1)
    rate = rng.gamma(1.5, 1.0, n_buyers)
    rate *= (n_orders - n_buyers) / (rate * (stop - first)).sum()
    k = rng.poisson(rate * (stop - first))
    owner = np.repeat(np.arange(n_buyers), k + 1)
    offs = np.concatenate([np.concatenate([[0.0], rng.uniform(0, 1, kk)]) for kk in k])
    t = first[owner] + offs * (stop - first)[owner]
    # Re-draw the time of day from a web-shop profile, keeping the day.
    day = np.floor(t / DAY) * DAY
    hw = np.asarray(HOURS_WEB)
    t = day + rng.choice(24, len(t), p=hw / hw.sum()) * HOUR + rng.integers(0, HOUR, len(t))
    at = PERIOD_START + seconds(t)

    basket = lognormal(rng, 55, 0.5, n_buyers)[owner]
    amount = basket * lognormal(rng, 1.0, 0.6, len(t))
    amount = np.where(rng.random(len(t)) < 0.01, amount * 12, amount)  # occasional B2B order
    amount = np.round(np.clip(amount, 4.9, None), 1) - np.where(rng.random(len(t)) < 0.5, 0.0, 0.01)
    amount = np.round(amount, 2)
    messy = (rng.random(len(t)) < 0.017) | (amount >= 1000)
    amount_txt = np.where(messy, [f"${x:,.2f}" for x in amount], fmt_money(amount))

    order = np.argsort(at, kind="stable")
    cust = customers["id"].to_numpy()[buyers][owner]
    region = customers["region"].to_numpy()[buyers][owner]
    return pd.DataFrame({
        "Order ID": [f"O{i:05d}" for i in range(1, len(t) + 1)],
        "Customer ID": cust[order],
        "Order At": fmt_ts(at[order]),
        "Amount": amount_txt[order],
        "Region": region[order],
    })


def make_kb(rng, n=8000) -> pd.DataFrame:
    visited = sample_times(rng, n, DOW_WEB, HOURS_WEB, HOURS_WEB, growth=0.05, holiday_factor=0.9,
                           incident_factor=4.0)
    views = rng.choice(np.arange(1, 7), n, p=[0.55, 0.25, 0.10, 0.05, 0.03, 0.02])
    return pd.DataFrame({
        "Visit ID": [f"V{i:06d}" for i in range(1, n + 1)],
        "Visited At": fmt_ts(visited),
        "Article Views": fmt_int(views),
    })


def make_crm_snapshot(rng, subs: pd.DataFrame, n=500, churn_share=0.20) -> pd.DataFrame:
    """CRM view of each customer's latest subscription; contract type drives churn."""
    latest = subs[~subs["broken"]].groupby("customer", sort=True).tail(1)
    churned = latest["end"].notna().to_numpy()
    n_yes = round(n * churn_share)
    pick = np.concatenate([rng.choice(np.flatnonzero(churned), n_yes, replace=False),
                           rng.choice(np.flatnonzero(~churned), n - n_yes, replace=False)])
    rows = latest.iloc[np.sort(pick)]
    yes = rows["end"].notna().to_numpy()
    # Contract mix 55/25/20 with churn ~30% / ~11% / ~3%: P(contract | churned) by Bayes.
    contracts = np.array(["Month-to-month", "One year", "Two year"])
    mix, rate = np.array([0.55, 0.25, 0.20]), np.array([0.30, 0.11, 0.03])
    p_yes = mix * rate / (mix * rate).sum()
    p_no = mix * (1 - rate) / (mix * (1 - rate)).sum()
    contract = np.empty(len(rows), dtype=object)
    for grp, p in ((yes, p_yes), (~yes, p_no)):  # exact counts, shuffled
        k = np.floor(p * grp.sum()).astype(int)
        k[np.argsort(-(p * grp.sum() - k))[: grp.sum() - k.sum()]] += 1
        contract[grp] = rng.permutation(np.repeat(contracts, k))
    until = rows["end"].fillna(LAST_DAY).to_numpy()
    days = (until.astype("datetime64[D]") - rows["start"].to_numpy().astype("datetime64[D]")) / np.timedelta64(1, "D")
    tenure = np.maximum(1, np.round(days / 30.44)).astype(np.int64)
    return pd.DataFrame({
        "Customer ID": rows["customer"].to_numpy(),
        "Contract": contract,
        "Tenure Months": fmt_int(tenure),
        "Monthly Charges": fmt_money(rows["mrr"]),
        "Churn": np.where(yes, "Yes", "No"),
    })


# --------------------------------------------------------------------------
# Sanity report (reads the written files back, as a user would)
# --------------------------------------------------------------------------


def report(out: Path) -> None:
    def read(name):
        return pd.read_csv(out / name, dtype=str, keep_default_na=False)

    def num(x):
        return pd.to_numeric(x, errors="coerce")

    def ts(x):
        return pd.to_datetime(x, format=TS_FMT, errors="coerce")

    def share(mask):
        return f"{mask.mean():.1%}"

    def nps(x):
        return 100 * ((x >= 9).mean() - (x <= 6).mean())

    def by(values, keys, fn, fmt):
        return ", ".join(f"{k}:{fn(g):{fmt}}" for k, g in values.groupby(keys))

    print(f"{'file':<20}{'rows':>7}{'bytes':>10}")
    total = 0
    for p in sorted(out.glob("*.csv")):
        total += p.stat().st_size
        print(f"{p.name:<20}{len(read(p.name)):>7}{p.stat().st_size:>10,}")
    print(f"{'total':<20}{'':>7}{total:>10,}\n")

    s, t = read("surveys.csv"), read("tickets.csv")
    ans = s["Responded At"] != ""
    sc = num(s["Score"])
    print(f"surveys: {len(s)} invitations {s['Survey'].value_counts().to_dict()}, answered {share(ans)}, "
          f"comments on {share(s.loc[ans, 'Comment'] != '')} of answers")
    is_nps = ans & (s["Survey"] == "NPS") & sc.isin(range(0, 11))
    month, channel = s["Sent At"].str[:7], s["Channel"]
    print(f"  NPS {nps(sc[is_nps]):+.1f} (n={is_nps.sum()}), by month: {by(sc[is_nps], month[is_nps], nps, '+.0f')}")
    print(f"  NPS by channel: {by(sc[is_nps], channel[is_nps], nps, '+.0f')}")
    is_csat = ans & (s["Survey"] == "CSAT") & sc.isin(range(1, 6))
    sat = (sc[is_csat] >= 4).astype(float) * 100
    print(f"  CSAT {sat.mean():.1f}% satisfied (n={is_csat.sum()}), by channel (%): "
          f"{by(sat, channel[is_csat], np.mean, '.0f')}")
    is_ces = ans & (s["Survey"] == "CES") & sc.isin(range(1, 8))
    print(f"  CES mean {sc[is_ces].mean():.2f}, {share(sc[is_ces] >= 5)} easy (5-7) (n={is_ces.sum()})")
    messy = ans & ~(is_nps | is_csat | is_ces)
    print(f"  messy answered scores: {messy.sum()} ({messy.sum() / ans.sum():.1%}): "
          f"{s.loc[messy, 'Score'].value_counts().to_dict()}")
    linked = s["Ticket ID"] != ""
    print(f"  ticket-linked {share(linked)}, their ticket ids found in tickets.csv: "
          f"{share(s.loc[linked, 'Ticket ID'].isin(t['Ticket ID']))}")

    created, first, res = ts(t["Created At"]), ts(t["First Response At"]), ts(t["Resolved At"])
    frt_h = (first - created).dt.total_seconds() / HOUR
    res_h = (res - created).dt.total_seconds() / HOUR
    handle = num(t["Handle Seconds"])
    print(f"tickets: unanswered {share(t['First Response At'] == '')}, unresolved {share(t['Resolved At'] == '')}, "
          f"status {t['Status'].value_counts().to_dict()}")
    print(f"  FRT median {frt_h.median():.1f} h (by priority: {by(frt_h, t['Priority'], pd.Series.median, '.1f')}); "
          f"resolution median {res_h.median():.1f} h, p90 {res_h.quantile(0.9) / 24:.1f} d")
    print(f"  replies<=1 {share(num(t['Agent Replies']) <= 1)}, reopened {share(num(t['Reopens']) > 0)}, "
          f"contacts==1 {share(t['Contacts'] == '1')}, handle median {handle.median():.0f}s, "
          f"weekend {share(created.dt.day_of_week >= 5)}, 09-12h {share(created.dt.hour.between(9, 11))}")
    print(f"  broken: unparseable created {created.isna().sum()}, resolved<created {(res_h < 0).sum()}, "
          f"first response<created {(frt_h < 0).sum()}, negative handle {(handle < 0).sum()}; "
          f"agents seen {t.loc[t['Agent'] != '', 'Agent'].nunique()}")

    c = read("calls.csv")
    wait = (ts(c["Answered At"]) - ts(c["Queued At"])).dt.total_seconds()
    aht = num(c["Talk Seconds"]) + num(c["Hold Seconds"]) + num(c["Wrap Seconds"])
    print(f"calls: abandoned {share(c['Answered At'] == '')}, answered within 20s {share(wait[wait.notna()] <= 20)}, "
          f"ASA {wait.mean():.0f}s, AHT {aht.mean():.0f}s")
    ch = read("chats.csv")
    cwait = (ts(ch["Accepted At"]) - ts(ch["Requested At"])).dt.total_seconds()
    cdur = (ts(ch["Ended At"]) - ts(ch["Accepted At"])).dt.total_seconds() / 60
    print(f"chats: missed {share(ch['Accepted At'] == '')}, wait median {cwait.median():.0f}s, "
          f"duration median {cdur.median():.1f} min, channels {ch['Channel'].value_counts().to_dict()}")

    o = read("orders.csv")
    per = o.groupby("Customer ID").size()
    amount = num(o["Amount"].str.replace(r"[$,]", "", regex=True))
    last = ts(o["Order At"]).groupby(o["Customer ID"]).max()
    print(f"orders: {len(o)} from {len(per)} customers, repeat buyers {share(per > 1)}, "
          f"mean {per.mean():.1f}/customer, AOV {amount.mean():.2f}, '$' amounts {share(o['Amount'].str[0] == '$')}, "
          f"no order since 2025-09-01 {share(last < pd.Timestamp('2025-09-01'))}")

    sub = read("subscriptions.csv")
    start, end = pd.to_datetime(sub["Started At"]), pd.to_datetime(sub["Ended At"])
    rates = []
    for m in pd.period_range("2025-05", "2025-10", freq="M"):
        alive = (start < m.start_time) & (end.isna() | (end >= m.start_time))
        rates.append(f"{(alive & end.between(m.start_time, m.end_time)).sum() / alive.sum():.1%}")
    print(f"subscriptions: {len(sub)} rows, {sub['Customer ID'].nunique()} customers, active {end.isna().sum()}, "
          f"monthly churn {', '.join(rates)}, plans {sub['Plan'].value_counts().to_dict()}, "
          f"ended<started {(end < start).sum()}")
    ag = read("agents.csv")
    here = ag["Left At"] == ""
    print(f"agents: {len(ag)} rows, current {here.sum()} {ag.loc[here, 'Team'].value_counts().to_dict()}")
    kb = read("kb.csv")
    views = kb["Article Views"].value_counts(normalize=True).sort_index().round(2).to_dict()
    print(f"kb: {len(kb)} visits, article views {views}")
    crm = read("crm_snapshot.csv")
    churn = (crm["Churn"] == "Yes").astype(float) * 100
    print(f"crm: churn by contract {by(churn, crm['Contract'], np.mean, '.1f')} (%), overall {churn.mean():.1f}%")
    known = sub["Customer ID"]
    print(f"consistency: ticket customers in subscriptions {share(t['Customer ID'].isin(known))}, "
          f"crm customers in subscriptions {share(crm['Customer ID'].isin(known))}, "
          f"ticket agents in agents.csv {share(t.loc[t['Agent'] != '', 'Agent'].isin(ag['Agent']))}")


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    default_out = Path(__file__).resolve().parent.parent / "sample_data"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=default_out, help=f"output directory (default: {default_out})")
    ap.add_argument("--quiet", action="store_true", help="do not print the sanity report")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(SEED)  # one stream, fixed call order => identical files every run
    agents = make_agents(rng)
    customers = make_customers(rng)
    subs = make_subscriptions(rng, customers)
    tickets = make_tickets(rng, agents, subs, customers)
    surveys = make_surveys(rng, tickets, agents, subs)
    calls = make_calls(rng, agents)
    chats = make_chats(rng, agents)
    orders = make_orders(rng, customers)
    kb = make_kb(rng)
    crm = make_crm_snapshot(rng, subs)

    write_agents(agents, out)
    write_subscriptions(subs, out)
    write_tickets(tickets, out)
    write_csv(surveys, out, "surveys.csv")
    write_csv(make_ticket_surveys(surveys), out, "ticket_surveys.csv")
    write_csv(calls, out, "calls.csv")
    write_csv(chats, out, "chats.csv")
    write_csv(orders, out, "orders.csv")
    write_csv(kb, out, "kb.csv")
    write_csv(crm, out, "crm_snapshot.csv")
    if not args.quiet:
        report(out)


if __name__ == "__main__":
    main()

"""Match an export's headers to canonical column names.

Headers are compared case- and whitespace-insensitively ("First Response At",
"first_response_at" and " FIRST RESPONSE AT " are one name).
"""

from __future__ import annotations

import re

from ..errors import MissingColumnsError, closest

# Spellings real exports use for canonical columns when no config maps them.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "score": ("score", "rating", "nps", "nps_score", "csat", "csat_score", "ces", "ces_score",
              "likelihood_to_recommend", "recommend", "answer"),
    "responded_at": ("responded_at", "response_date", "submitted_at", "submitted", "submitted_on",
                     "completed_at", "answered_at", "timestamp", "date", "created_at", "created"),
    "response_id": ("response_id", "id", "responseid"),
    "comment": ("comment", "comments", "feedback", "reason", "verbatim"),
    "created_at": ("created_at", "created", "created_time", "date_created", "opened_at", "created_date"),
    "first_response_at": ("first_response_at", "first_reply_at", "first_responded_at"),
    "resolved_at": ("resolved_at", "solved_at", "resolved", "resolved_time", "closed_at"),
    "ticket_id": ("ticket_id", "id", "ticket"),
    # SLA due instants per ticket (Freshdesk "First response due by" / "Due by Time", Zendesk "Due Date")
    "first_response_due_at": ("first_response_due_at", "first_response_due_by", "first_response_due",
                              "fr_due_by", "first_reply_due_at", "first_reply_due_by"),
    "due_at": ("due_at", "due_by_time", "due_by", "due_date", "resolution_due_by", "resolution_due_at",
               "resolution_due"),
    # phone-system reports of pre-aggregated rows (one per day or 15-minute interval): counts and averages
    "interval_start": ("interval_start", "interval", "date", "day", "interval_start_time", "start_time", "period",
                       "date_time", "report_date", "time"),
    "calls_offered": ("calls_offered", "offered", "offered_calls", "calls_presented", "presented", "inbound_calls",
                      "contacts_offered"),
    "calls_answered": ("calls_answered", "answered", "answered_calls", "calls_handled", "handled", "handled_calls",
                       "contacts_handled"),
    "calls_abandoned": ("calls_abandoned", "abandoned", "abandoned_calls", "abandons", "contacts_abandoned"),
    "asa_seconds": ("asa_seconds", "asa", "avg_speed_of_answer", "average_speed_of_answer", "asa_sec", "avg_asa",
                    "asa_s"),
    "aht_seconds": ("aht_seconds", "aht", "avg_handle_time", "average_handle_time", "aht_sec", "avg_aht", "aht_s"),
    "answered_in_sl": ("answered_in_sl", "answered_within_sl", "calls_answered_within_sl", "sl_calls",
                       "service_level_calls", "answered_within_service_level", "calls_in_sl", "within_sl"),
    # business sources
    "customer_id": ("customer_id", "customerid", "customer", "account_id", "client_id"),
    "order_at": ("order_at", "ordered_at", "order_date", "purchase_date", "created_at", "invoicedate",
                 "invoice_date"),
    "order_id": ("order_id", "orderid", "order_number", "order_no", "invoiceno", "invoice_no", "invoice",
                 "invoice_number"),
    "amount": ("amount", "order_total", "total", "revenue"),
    # order lines (one row per product in an order): line amount = quantity × unit_price
    "quantity": ("quantity", "qty"),
    "unit_price": ("unit_price", "unitprice", "price", "price_each", "item_price"),
    "started_at": ("started_at", "start_date", "subscription_start", "subscribed_at"),
    "ended_at": ("ended_at", "end_date", "cancelled_at", "canceled_at", "churned_at", "cancellation_date"),
    "mrr": ("mrr", "monthly_recurring_revenue", "monthly_revenue"),
    # the date an MRR level takes effect (one row per change of a customer's subscription)
    "changed_at": ("changed_at", "effective_date", "effective_at", "effective_from", "change_date", "changed_on",
                   "mrr_changed_at", "valid_from"),
    # an MRR-movements export: the MRR before the change (the row's mrr is the MRR after it)
    "previous_mrr": ("previous_mrr", "old_mrr", "prior_mrr", "mrr_before", "from_mrr", "previous_monthly_revenue"),
    "hired_at": ("hired_at", "hire_date", "hired", "start_date"),
    "left_at": ("left_at", "leave_date", "left", "termination_date", "end_date"),
    "article_views": ("article_views", "articles_viewed", "views", "page_views"),
    "visits": ("visits", "sessions"),
    "status": ("status", "churn", "churned", "churn_status", "customer_status", "account_status"),
    "tenure_months": ("tenure_months", "tenure", "tenure_in_months", "months_as_customer"),
    "monthly_revenue": ("monthly_revenue", "monthly_charges", "monthly_charge", "mrr", "monthly_fee"),
}

# words that make a header look like the score column when nothing matches by name
_SCORE_HINTS = ("score", "rating", "recommend", "satisf", "effort", "likely")


def norm(header: object) -> str:
    """The comparable form of a header; one made only of symbols (Typeform's ``#``) stays itself."""
    text = str(header).strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_") or text


class HeaderIndex:
    """Look up the file's real header by any spelling."""

    def __init__(self, headers: list[str], file: str, aliases: dict[str, list[str]] | None = None):
        self.headers = headers
        self.file = file
        self.aliases = aliases or {}
        self._by_norm: dict[str, str] = {}
        self._clashes: dict[str, list[str]] = {}
        for h in headers:
            key = norm(h)
            if key in self._by_norm and h:
                self._clashes.setdefault(key, [self._by_norm[key]]).append(h)
            self._by_norm.setdefault(key, h)
        # the other lines of a multi-row header name a column too, where they are unique and no header
        counts: dict[str, int] = {}
        for h, lines in self.aliases.items():
            for line in set(map(norm, lines)):
                counts[line] = counts.get(line, 0) + 1
        self._by_alias = {norm(line): h for h, lines in self.aliases.items() for line in lines
                          if counts[norm(line)] == 1 and norm(line) not in self._by_norm}

    def find(self, name: str) -> str | None:
        return self._get(norm(name))

    def _get(self, key: str) -> str | None:
        """The header spelled ``key``; two headers that only differ in case/spacing are ambiguous."""
        if key in self._clashes:
            from ..errors import InputError

            names = " and ".join(repr(h) for h in self._clashes[key])
            raise InputError(f"{self.file}: columns {names} have the same name once case and spaces are ignored; "
                             "rename one")
        return self._by_norm.get(key) or self._by_alias.get(key)

    def require(self, name: str, what: str) -> str:
        found = self.find(name)
        if found is None:
            raise MissingColumnsError(self.missing_message(name, what))
        return found

    def missing_message(self, name: str, what: str) -> str:
        hint = closest(name, self.headers)
        did = f"; closest: {hint!r}" if hint else ""
        shown = ", ".join(repr(h) for h in self.headers[:25])
        more = f" … (+{len(self.headers) - 25})" if len(self.headers) > 25 else ""
        return f"{self.file}: no column {name!r} ({what}){did}; the file has: {shown}{more}"

    def auto(self, canonical: str, exclude: frozenset[str] | set[str] = frozenset()) -> str | None:
        """A header that obviously means ``canonical``, by name or known synonym; ``exclude``: headers taken."""
        for spelling in (canonical, *SYNONYMS.get(canonical, ())):
            found = self._get(spelling)
            if found is not None and found not in exclude:
                return found
        if canonical == "score":
            hits = [h for key, h in self._by_norm.items()
                    if h and h not in exclude and any(w in key for w in _SCORE_HINTS)]
            if len(hits) == 1:
                return hits[0]
        return None

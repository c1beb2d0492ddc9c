"""The logical sources (the kinds of export a KPI reads) and the kind of each canonical column.

The kind decides how the loader parses a column (``time`` → datetime,
``number`` → float, ``money`` → float after stripping currency symbols,
``duration`` → minutes, ``seconds`` → seconds (plain numbers, ``HH:MM:SS``,
``4m 12s``), ``flag`` → true/false (yes/no, 1/0), ``score`` → left raw for the KPI's own scale and label
map, ``category``/``id``/``text`` → string). Any other mapped column is a
``category`` usable with ``--by`` / ``--where``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    main_time: str | None
    columns: dict[str, str]
    description: str
    # the report section its KPIs are shown under (report JSON ``kpis[].area``, dashboard headings)
    area: str


def _cols(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in spec.split():
        name, kind = part.split(":")
        out[name] = kind
    return out


SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "tickets",
            "created_at",
            _cols(
                "ticket_id:id created_at:time first_response_at:time first_response_minutes:duration "
                "resolved_at:time resolution_minutes:duration status:category channel:category agent:category "
                "team:category priority:category topic:category tags:text agent_replies:number reopens:number "
                "contacts:number handle_seconds:seconds customer_id:id satisfaction:score cost:money fcr_answer:score "
                "agent_wait_minutes:duration requester_wait_minutes:duration on_hold_minutes:duration "
                "first_response_due_at:time due_at:time"
            ),
            "helpdesk ticket export",
            area="Helpdesk",
        ),
        Source(
            "ticket_events",
            "changed_at",
            _cols("ticket_id:id status:category changed_at:time agent:category team:category channel:category "
                  "priority:category"),
            "ticket status history: one row per status change (ticket_id, status, changed_at), e.g. Zendesk's "
            "ticket audits / ticket_field_history, Freshdesk's ticket activities",
            area="Helpdesk",
        ),
        Source(
            "surveys",
            "responded_at",
            _cols(
                "response_id:id responded_at:time sent_at:time score:score comment:text survey:category "
                "channel:category agent:category ticket_id:id customer_id:id"
            ),
            "NPS / CSAT / CES survey responses (a row per invitation or per answer)",
            area="Surveys",
        ),
        Source(
            "chats",
            "requested_at",
            _cols("chat_id:id requested_at:time accepted_at:time ended_at:time agent:category channel:category"),
            "live-chat export",
            area="Helpdesk",
        ),
        Source(
            "calls",
            "queued_at",
            _cols(
                "call_id:id queued_at:time answered_at:time ended_at:time talk_seconds:seconds "
                "hold_seconds:seconds wrap_seconds:seconds wait_seconds:seconds abandoned:flag agent:category"
            ),
            "call-center / telephony export",
            area="Helpdesk",
        ),
        Source(
            "call_intervals",
            "interval_start",
            _cols(
                "interval_start:time calls_offered:number calls_answered:number calls_abandoned:number "
                "asa_seconds:seconds aht_seconds:seconds answered_in_sl:number queue:category agent:category"
            ),
            "phone-system report of pre-aggregated rows: one row per day or 15-minute interval with counts "
            "(offered, answered, abandoned, answered within the service level) and averages (ASA, AHT)",
            area="Helpdesk",
        ),
        Source(
            "orders",
            "order_at",
            _cols("order_id:id customer_id:id order_at:time amount:money quantity:number unit_price:money"),
            "order export: a row per order or per order line, e.g. Shopify, WooCommerce, UCI Online Retail",
            area="Business",
        ),
        Source(
            "subscriptions",
            "started_at",
            _cols("customer_id:id started_at:time ended_at:time mrr:money plan:category changed_at:time "
                  "previous_mrr:money"),
            "subscriptions with start and end dates (and MRR changes: several rows per customer)",
            area="Business",
        ),
        Source("agents", "hired_at", _cols("agent:category hired_at:time left_at:time team:category"), "agent roster",
               area="Business"),
        Source(
            "customers",
            None,
            _cols("customer_id:id status:category tenure_months:number monthly_revenue:money"),
            "CRM snapshot: one row per customer with a status flag (churned or not) and no dates",
            area="Business",
        ),
        Source(
            "kb",
            "visited_at",
            _cols("visit_id:id visited_at:time visits:number article_views:number"),
            "knowledge-base analytics",
            area="Business",
        ),
    ]
}


def column_kind(source: str, column: str) -> str:
    src = SOURCES.get(source)
    if src is None:
        return "category"
    return src.columns.get(column, "category")

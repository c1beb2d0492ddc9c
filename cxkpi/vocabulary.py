"""Words cxkpi writes or reads with one meaning everywhere (a leaf: no imports).

Each KPI's own answer words (a survey's "satisfied", an FCR "resolved") are its
list plus the shared yes/no words here, so a language is added once.
"""

from __future__ import annotations

# the group key of rows whose --by column (or tag, topic...) is empty: never dropped, never merged
MISSING_KEY = "(missing)"

# a cell holding one of these (case-insensitive) is empty, not a value
MISSING_TOKENS = ["", "na", "n/a", "#n/a", "-", "--", "null", "none", "nan", "nat", "(blank)"]

# yes/no in the export languages cxkpi reads (lower case); a KPI adds its own answer words
YES_WORDS = {"yes", "y", "true", "1", "ja", "oui", "si", "sí"}
NO_WORDS = {"no", "n", "false", "0", "nein", "non"}

# a business-hours setting (--business-hours, business_hours.schedule) that means calendar time
BUSINESS_HOURS_OFF = {"off", "none", "no", "false", "calendar"}
# --business-hours export (a bare --business-hours): the export's own business-time minutes columns,
# e.g. Zendesk's "First reply time in minutes within business hours", which its preset maps
BUSINESS_HOURS_EXPORT = {"export", "tool", "yes", "on", "true"}

# a CRM snapshot's status cell (churn, retention): the customer gone, or still there (1.0/0.0: a 0/1
# column read as numbers); --churned-values replaces both
CHURNED_WORDS = ("yes", "y", "true", "1", "1.0", "churned", "churn", "cancelled", "canceled", "inactive", "lost",
                 "closed", "terminated", "ended", "left", "former", "lapsed")
ACTIVE_WORDS = ("no", "n", "false", "0", "0.0", "active", "retained", "current", "live", "subscribed", "open",
                "stayed", "existing")

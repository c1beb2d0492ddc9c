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

"""Words cxkpi itself writes or reads with one meaning everywhere (a leaf: no imports)."""

from __future__ import annotations

# the group key of rows whose --by column (or tag, topic...) is empty: never dropped, never merged
MISSING_KEY = "(missing)"

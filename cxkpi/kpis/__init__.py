"""KPI definitions, one module per domain; importing this fills the registry."""

from . import surveys  # noqa: F401  (first: keeps the registry order of `cxkpi kpis`)
from . import business  # noqa: F401

"""KPI definitions, one module per domain; importing this fills the registry."""

from . import business  # noqa: F401
from . import surveys  # noqa: F401

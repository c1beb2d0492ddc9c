"""KPI definitions, one module per domain; importing this fills the registry."""

from . import surveys  # noqa: F401
from . import tickets  # noqa: F401

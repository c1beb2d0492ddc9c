"""KPI definitions, one module per domain; importing this fills the registry."""

from . import feedback, surveys  # noqa: F401

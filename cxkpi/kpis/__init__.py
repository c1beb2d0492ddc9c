"""KPI definitions, one module per domain; importing this fills the registry."""

from . import contact_center  # noqa: F401
from . import surveys  # noqa: F401
from . import tickets  # noqa: F401
from . import workload  # noqa: F401

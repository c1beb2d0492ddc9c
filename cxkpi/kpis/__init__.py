"""KPI definitions, one module per domain; importing this fills the registry."""

from . import surveys  # noqa: F401  (first: keeps the registry order of `cxkpi kpis`)
from . import tickets  # noqa: F401
from . import contact_center  # noqa: F401
from . import workload  # noqa: F401
# churn, retention, clv, then turnover, revenue-churn, cost-per-resolution, kb: the order these imports
# register them in is the order of `cxkpi kpis`, --help, the docs and a report without report.kpis
from . import lifecycle  # noqa: F401
from . import workforce  # noqa: F401
from . import value  # noqa: F401
from . import business  # noqa: F401
from . import feedback  # noqa: F401

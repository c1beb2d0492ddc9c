"""KPI definitions, one module per domain; importing this fills the registry."""

from . import surveys  # noqa: F401  (first: keeps the registry order of `cxkpi kpis`)
from . import tickets  # noqa: F401
from . import contact_center  # noqa: F401
from . import workload  # noqa: F401
# the registry lists KPIs in import order (`cxkpi kpis`, --help, docs/kpis.md, a report without
# report.kpis): churn, retention, clv | turnover | revenue-churn, cost-per-resolution | kb
from . import lifecycle  # noqa: F401
from . import workforce  # noqa: F401
from . import value  # noqa: F401
from . import knowledge  # noqa: F401
from . import feedback  # noqa: F401

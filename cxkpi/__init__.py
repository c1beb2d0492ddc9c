"""cxkpi: customer-experience KPIs from the exports you already have.

Public API (imports are lazy so ``cxkpi --help`` stays fast)::

    import cxkpi
    cxkpi.compute("nps", frame, by=("channel",))          # a DataFrame with canonical columns
    cxkpi.compute_file("csat", "surveys.csv", period="month")
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["compute", "compute_file", "load_config", "load_source", "kpi_names", "get_kpi", "KpiResult",
           "CxkpiError", "__version__"]

_LAZY = {
    "compute": ("engine", "compute"),
    "compute_file": ("api", "compute_file"),
    "load_config": ("config", "load_config"),
    "load_source": ("io.load", "load_source"),
    "kpi_names": ("registry", "kpi_names"),
    "get_kpi": ("registry", "get_kpi"),
    "KpiResult": ("results", "KpiResult"),
    "CxkpiError": ("errors", "CxkpiError"),
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'cxkpi' has no attribute {name!r}")

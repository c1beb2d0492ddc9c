"""Mergeable reducers (partial → merge → finalize) for a one-pass, batched, pandas-free engine.

See :mod:`cxkpi.reduce.reducers` for the contract, the state sizes and the formulas.
"""

from .reducers import Count, DistinctPairs, FirstRows, Mean, Nps, Proportion, Quantiles, Ratio, Sum, TopK

__all__ = ["Count", "Sum", "Mean", "Proportion", "Nps", "Ratio", "Quantiles", "TopK", "DistinctPairs", "FirstRows"]

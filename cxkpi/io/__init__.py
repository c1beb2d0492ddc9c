"""Reading exports: bytes → typed, canonical-named DataFrame (a ``Dataset``)."""

from .dataset import Dataset
from .load import LoadOptions, load_source

__all__ = ["Dataset", "LoadOptions", "load_source"]

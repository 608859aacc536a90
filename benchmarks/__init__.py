"""The backprop-bench harness: data, fair timing, results, environment and reports. Installed with pip,
it is the package `backprop_bench`, whose `check` runs the checker from a notebook (notebook.py)."""

from .notebook import Checked, check

__all__ = ["Checked", "check"]

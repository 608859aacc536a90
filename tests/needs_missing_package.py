"""A backend module whose optional dependency is not installed, for the harness's tests."""

import backprop_bench_missing_package  # noqa: F401  (never installed)

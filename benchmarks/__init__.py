"""The backprop-bench harness: data, fair timing, results, environment and reports."""

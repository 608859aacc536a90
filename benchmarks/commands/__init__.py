"""The commands a user types besides run.py, one module each, each with `main(argv=None) -> int`:

    python -m benchmarks.commands.data       fetch and verify MNIST (make data)
    python -m benchmarks.commands.check      is a learner's network.py right, and how fast? (make check)
    python -m benchmarks.commands.compare    two result sets, noise-aware (make compare)
    python -m benchmarks.commands.peers      backends beside the code they replace (make perf)
    python -m benchmarks.commands.headline   Nielsen's headline figure (make nielsen)

The report is `python -m benchmarks.report` (make report).
"""

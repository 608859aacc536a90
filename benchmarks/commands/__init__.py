"""The commands a user types besides run.py, one module each, each with `main(argv=None) -> int`:

    python -m benchmarks.commands.data       fetch and verify MNIST (make data)
    python -m benchmarks.commands.compare    two result sets, noise-aware (make compare)
    python -m benchmarks.commands.peers      backends beside the code they replace (make perf)
    python -m benchmarks.commands.headline   Nielsen's headline figures (make nielsen, make nielsen3)
    python -m benchmarks.commands.profile    where a large step's time goes, per operation (make profile)

The report is `python -m benchmarks.report` (make report); the learner's checker is
`python -m benchmarks.learner.check` (make check).
"""

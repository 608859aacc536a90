"""A learner's own network.py, used as it is written: `adapter` loads and drives it as a backend
(backend=yours), `check` says whether its backprop is right and how fast it is (make check)."""

# Two commands do everything on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RESULTS ?= results

.PHONY: bench test data micro perf gpu report nielsen compare check lint format slurm-up slurm-down

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev,cluster,numba,jax]'
	touch $@

data: $(INSTALLED)
	$(PY) -m benchmarks.commands.data

test: data
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests benchmarks/micro --benchmark-disable

micro: data
	$(PY) -m pytest benchmarks/micro --benchmark-autosave --benchmark-columns=min,median,iqr,ops,rounds

bench: data
	$(PY) run.py -m +sweep=default results_dir=$(RESULTS)
	$(PY) run.py -m +sweep=baseline results_dir=$(RESULTS)
	$(PY) run.py -m +sweep=pitfalls results_dir=$(RESULTS)
	$(PY) -m benchmarks.report $(RESULTS)/runs.parquet

perf: data
	$(PY) -m benchmarks.commands.peers --results-dir $(RESULTS)
	$(PY) -m benchmarks.commands.peers --results-dir $(RESULTS) --background-load 1

# On a machine with a CUDA GPU: the CUDA tests, the gpu sweep, the peers on CUDA, the report.
gpu: data
	$(PY) -m pytest -m cuda tests benchmarks/micro --benchmark-disable
	$(PY) run.py -m +sweep=gpu results_dir=$(RESULTS)
	$(PY) -m benchmarks.commands.peers --device cuda --results-dir $(RESULTS)
	$(PY) -m benchmarks.report $(RESULTS)/runs.parquet

report: $(INSTALLED)
	$(PY) -m benchmarks.report $(RESULTS)/runs.parquet

nielsen: data
	$(PY) run.py -m +sweep=nielsen results_dir=$(RESULTS)/nielsen
	$(PY) -m benchmarks.commands.headline $(RESULTS)/nielsen/runs.parquet

# make compare OLD=old/runs.parquet NEW=results/runs.parquet
compare: $(INSTALLED)
	$(PY) -m benchmarks.commands.compare $(OLD) $(NEW)

# make check FILE=path/to/your/network.py: is its backprop right, and how fast is it?
check: data
	$(if $(FILE),,$(error give the file: make check FILE=path/to/your/network.py))
	$(PY) -m benchmarks.learner.check $(FILE)

# A one-node SLURM cluster on this machine (as root, on Debian), for hydra/launcher=slurm_cpu and
# the `slurm` tests; README, "On a cluster".
slurm-up:
	bash cluster/slurm.sh up

slurm-down:
	bash cluster/slurm.sh down

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

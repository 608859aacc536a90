# Two commands do everything on a fresh machine: `make bench` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RESULTS ?= results

.PHONY: bench test data micro perf gpu scale profile report nielsen nielsen3 flexibility compare check lint format slurm-up slurm-down steady docs

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[bench,dev,cluster,numba,jax]'
	touch $@

data: $(INSTALLED)
	$(PY) -m benchmarks.commands.data

test: data
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests benchmarks/micro --benchmark-disable --durations=15

micro: data
	$(PY) -m pytest benchmarks/micro --benchmark-autosave --benchmark-columns=min,median,iqr,ops,rounds

# The sweeps the answers read (conf/sweep/answers.yaml), into folder $(1): one process per round
# (seed), so that repetitions are independent, 5 rounds, as every comparison an answer reads needs 5
# runs a side. Each round runs every leg of the preset, interleaved together, then times the pairs
# the answers compare (conf/pairs.yaml) in a process of their own.
define answer_sweeps
for seed in 0 1 2 3 4; do \
	$(PY) run.py -m +sweep=answers seed=$$seed results_dir=$(1) || exit 1; \
	$(PY) -m benchmarks.commands.pairs --round $$seed --results-dir $(1) || exit 1; \
done
endef

bench: data
	$(call answer_sweeps,$(RESULTS))
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

# How cost grows with hidden size (the report's Scaling section): the `scale`
# preset, hidden 3000 at batch 1000, numba at 1 thread, Nielsen's loop where an epoch takes seconds; its own
# report.
scale: data
	$(PY) run.py -m +sweep=scale results_dir=$(RESULTS)/scale
	$(PY) run.py -m +sweep=scale hidden=3000 batch_size=1000 results_dir=$(RESULTS)/scale
	$(PY) run.py -m +sweep=scale backend=numba threads=1 results_dir=$(RESULTS)/scale
	$(PY) run.py -m +sweep=scale backend=numpy_loop hidden=30,100 batch_size=10 threads=1 results_dir=$(RESULTS)/scale
	$(PY) -m benchmarks.report $(RESULTS)/scale/runs.parquet

# Where one training step's time goes, per operation, at hidden 1000, batch 1000, 1 thread.
profile: data
	$(PY) -m benchmarks.commands.profile

report: $(INSTALLED)
	$(PY) -m benchmarks.report $(RESULTS)/runs.parquet

nielsen: data
	$(PY) run.py -m +sweep=nielsen results_dir=$(RESULTS)/nielsen
	$(PY) -m benchmarks.commands.headline $(RESULTS)/nielsen/runs.parquet

# Chapter 3's headline results beside the book's: the `nielsen3` preset,
# then its initialisation comparison (eta 0.1, lmbda 5, 30 hidden, N(0, 1) against scaled).
nielsen3: data
	$(PY) run.py -m +sweep=nielsen3 results_dir=$(RESULTS)/nielsen3
	$(PY) run.py -m +sweep=nielsen3 hidden=30 lmbda=5.0 eta=0.1 init=normal,scaled results_dir=$(RESULTS)/nielsen3
	$(PY) -m benchmarks.commands.headline $(RESULTS)/nielsen3/runs.parquet

# Chapter 3's changes one at a time in every backend, timed beside chapter 1's network (the `flexibility`
# preset), then chapter 3's accuracy in the fast backends, and the report with its Flexibility section.
flexibility: data
	$(PY) run.py -m +sweep=flexibility results_dir=$(RESULTS)
	$(PY) run.py -m +sweep=flexibility change=chapter3 epochs=30 backend=numpy,numba,torch,torch_autograd,jax results_dir=$(RESULTS)
	$(PY) -m benchmarks.report $(RESULTS)/runs.parquet

# After a sample in docs/ is regenerated: write its figures into the README and the guides (their
# <!-- generated: NAME --> blocks; benchmarks/commands/docs.py). The tests fail until this has run.
docs: $(INSTALLED)
	$(PY) -m benchmarks.commands.docs

# make compare OLD=old/runs.parquet NEW=results/runs.parquet
compare: $(INSTALLED)
	$(PY) -m benchmarks.commands.compare $(OLD) $(NEW)

# make check FILE=path/to/your/network.py: is its backprop right, and how fast is it?
# The checker's options go in ARGS: make check FILE=network.py ARGS="--init activator=sigmoid"
check: data
	$(if $(FILE),,$(error give the file: make check FILE=path/to/your/network.py))
	$(PY) -m benchmarks.learner.check $(FILE) $(ARGS)

# A one-node SLURM cluster on this machine (as root, on Debian), for hydra/launcher=slurm_cpu and
# the `slurm` tests; docs/gpu-and-slurm.md.
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

# Do the answers hold still on this machine? The answer-bearing sweeps twice, afresh (each folder emptied
# first, so that nothing is resumed), into $(RESULTS)/steady-a and steady-b, then every speed comparison whose
# decision changed between them; exit 1 if one changed sides. Twice the sweeps' time
# (docs/reading-the-report.md, how long the targets take).
steady: data
	rm -rf $(RESULTS)/steady-a $(RESULTS)/steady-b
	$(call answer_sweeps,$(RESULTS)/steady-a)
	$(call answer_sweeps,$(RESULTS)/steady-b)
	$(PY) -m benchmarks.commands.steadiness $(RESULTS)/steady-a/runs.parquet $(RESULTS)/steady-b/runs.parquet

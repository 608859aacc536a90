"""Benchmark one configuration, or sweep many with -m. See conf/ for every option.

python run.py backend=torch device=cuda
python run.py -m backend=numpy,torch,torch_autograd batch_size=10,100 hidden=30,100
python run.py -m +sweep=quick
"""

import sys

import hydra
from omegaconf import DictConfig

from benchmarks import config, harness
from benchmarks.errors import EXIT_USER_ERROR, UserError
from benchmarks.launchers import launch_context

config.register()


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> str:
    """The run's status, what a launcher gets back from a job: ok, skipped, unsupported, failed or
    diverged. The exit codes: docs/configuration.md, "When things go wrong"."""
    context = launch_context()
    try:
        status = harness.run(cfg, **context)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    if status != "ok" and not context["multirun"]:
        sys.exit(f"error: run {status}; see the log above")
    return status


if __name__ == "__main__":
    main()

"""Benchmark one configuration, or sweep many with -m. See conf/ for every option.

python run.py backend=torch device=cuda
python run.py -m backend=numpy,torch,torch_autograd batch_size=10,100 hidden=30,100
python run.py -m +sweep=quick
"""

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from benchmarks import config, harness
from benchmarks.data import DataError

config.register()


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        status = harness.run(cfg, multirun=multirun)
    except (harness.RunError, DataError) as e:
        sys.exit(f"error: {e}")
    if status != "ok" and not multirun:
        sys.exit(f"error: run {status}; see the log above")


if __name__ == "__main__":
    main()

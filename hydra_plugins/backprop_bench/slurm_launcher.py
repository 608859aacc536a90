"""Hydra's submitit SLURM launcher, made to return when jobs are lost.

Hydra only finds launchers inside the `hydra_plugins` package, hence this folder.
Three changes to `hydra/launcher=submitit_slurm`:
- it follows the jobs with `benchmarks.slurm.wait` (sacct, else squeue, bounded)
  rather than submitit's sacct-only wait, which never returns for a job that
  sacct cannot see end; it names each lost job and exits non-zero, and a rerun of
  the same command runs just those (finished runs are skipped);
- with `cpus_per_task: null`, each job asks for the cores it uses, `threads` plus
  `background_load`, and for the partition its `partition` setting names (the launcher's when
  null), so that a sweep can span a cluster's node types: one job array per distinct request;
- `exclusive: true` gives each job a node to itself.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobStatus, filter_overrides
from omegaconf import OmegaConf

log = logging.getLogger(__name__)

try:
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, SlurmQueueConf
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
except ImportError:  # the `cluster` extra is not installed; Hydra lists no such launcher then
    SlurmLauncher = None

if SlurmLauncher is not None:

    @dataclass
    class BoundedSlurmQueueConf(SlurmQueueConf):
        _target_: str = "hydra_plugins.backprop_bench.slurm_launcher.BoundedSlurmLauncher"
        # A node to each job (sbatch --exclusive): rows then record parallel_jobs=1.
        exclusive: bool | None = None
        # A job is lost once the scheduler has not known it, or not answered at all, for this long.
        grace_s: int = 300
        # The longest pause between two polls of the scheduler.
        poll_max_s: int = 30
        # How long an ended job's result file may take to appear (a shared file system's delay).
        result_grace_s: int = 15

    ConfigStore.instance().store(
        group="hydra/launcher",
        name="backprop_bench_slurm",
        node=BoundedSlurmQueueConf,
        provider="backprop-bench",
    )

    class BoundedSlurmLauncher(SlurmLauncher):
        def __init__(
            self, grace_s: int = 300, poll_max_s: int = 30, result_grace_s: int = 15, **params
        ) -> None:
            super().__init__(**params)
            self.grace_s, self.poll_max_s, self.result_grace_s = grace_s, poll_max_s, result_grace_s

        def request(self, overrides) -> tuple[int, str]:
            """(cores, partition) a job asks for: the preset's cpus_per_task, else those its run uses;
            the run's `partition`, else the launcher's."""
            job = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            cores = self.params.get("cpus_per_task")
            return (
                job.threads + job.background_load if cores is None else cores,
                job.partition or self.params.get("partition"),
            )

        def executor(self, cores: int, partition: str | None):
            import submitit

            # sbatch takes --exclusive, or nothing: never --exclusive=False.
            exclusive = self.params.get("exclusive") or None
            params = dict(self.params, cpus_per_task=cores, exclusive=exclusive, partition=partition)
            executor = submitit.AutoExecutor(
                cluster="slurm",
                folder=params.pop("submitit_folder"),
                slurm_max_num_timeout=params.pop("max_num_timeout"),
            )
            shared = set(OmegaConf.structured(BaseQueueConf).keys())
            executor.update_parameters(**{k if k in shared else f"slurm_{k}": v for k, v in params.items()})
            return executor

        def submit(self, request: tuple[int, str], numbered: dict[int, list[str]]) -> list:
            """One job array of these jobs, each with the (cores, partition) asked for; raises when
            sbatch refuses it."""
            state = Singleton.get_state()
            params = [(o, "hydra.sweep.dir", i, f"job_id_for_{i}", state) for i, o in numbered.items()]
            return self.executor(*request).map_array(self, *zip(*params))

        def launch(self, job_overrides, initial_job_idx):
            from benchmarks import slurm

            sweep_dir = Path(str(self.config.hydra.sweep.dir))
            sweep_dir.mkdir(parents=True, exist_ok=True)
            log.info(f"SLURM sweep output dir : {sweep_dir}")
            by_request = defaultdict(dict)
            for i, overrides in enumerate(job_overrides, start=initial_job_idx):
                by_request[self.request(overrides)][i] = list(overrides)
            self.names, self.lost, jobs = {}, {}, []
            for request, numbered in by_request.items():
                jobs += self.submit_or_lose(request, numbered)
            self.lost |= slurm.wait(
                jobs, grace_s=self.grace_s, poll_max_s=self.poll_max_s, result_grace_s=self.result_grace_s
            )
            returns = [done for job in jobs if job.job_id not in self.lost and (done := self.result(job))]
            for job_id, why in self.lost.items():
                log.error(f"job {job_id} ({self.names[job_id]}) lost: {why}")
            if self.lost:
                raise SystemExit(
                    f"error: {len(self.lost)} of {len(self.names)} jobs lost, as listed above: their runs "
                    "are not in the results; once the cause is dealt with, the same command runs just those"
                )
            return returns

        def submit_or_lose(self, request: tuple[int, str], numbered: dict[int, list[str]]) -> list:
            """The submitted jobs; those sbatch refuses are lost, with its reason."""
            cores, partition = request
            try:
                submitted = self.submit(request, numbered)
            except Exception as e:  # sbatch's error is the message's last line
                refusal = (str(e).strip().splitlines() or [type(e).__name__])[-1]
                for prefix in ("sbatch: error: ", "Batch job submission failed: "):
                    refusal = refusal.removeprefix(prefix)
                for i, overrides in numbered.items():
                    self.names[f"#{i}"] = " ".join(filter_overrides(overrides))
                    self.lost[f"#{i}"] = f"not submitted ({cores} cores, partition {partition}): {refusal}"
                return []
            for job, (i, overrides) in zip(submitted, numbered.items()):
                self.names[job.job_id] = " ".join(filter_overrides(overrides))
                log.info(f"\t#{i} : job {job.job_id}, {cores} cores, {partition} : {self.names[job.job_id]}")
            return submitted

        def result(self, job):
            """The job's JobReturn, or None when it raised outside the harness (then it is lost)."""
            from benchmarks import slurm

            try:
                done = job.results()[0]
                if done.status != JobStatus.COMPLETED:
                    raise done._return_value
            except Exception as e:  # in Hydra or submitit
                self.lost[job.job_id] = f"failed: {slurm.first_line(e)}"
                return None
            if (status := done.return_value) != "ok":
                log.warning(f"job {job.job_id} ({self.names[job.job_id]}): run {status}; see its row")
            return done

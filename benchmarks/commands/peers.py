"""Backends against the code a user would otherwise write, timed side by side.

    python -m benchmarks.commands.peers [--device cuda] [--background-load N] [--rounds R]  (make perf)

Every backend in conf/peers.yaml is built from the same parameters, warmed up
as the harness warms it up and for one epoch, then timed for one epoch per
round, all backends in turn and in a rotating order, so that drift in the
machine's speed falls on all alike. A peer left at its library's default thread
count is timed twice: at that default (what a user gets) and pinned to the
backend's count (the code alone), so that no ratio mixes the code with the
thread pitfall. The medians and each pair's ratios are printed and appended to
results/peers.parquet. The harness's own per-epoch overhead is measured too,
with a backend that does no work.
"""

import argparse
import statistics
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from .. import config, env, harness, registry, results
from ..data import load_mnist
from ..errors import UserError, command
from ..fairness import epoch_order
from ..registry import CONF
from ..report.render import markdown_table
from ..timing import build, time_epoch


def entries(pairs, setting) -> list[tuple[str, int | None]]:
    """(backend, threads) to time: pinned at the setting's count, and an unpinned one also at its default."""
    timed = []
    for name in dict.fromkeys(name for pair in pairs for name in (pair.backend, pair.peer)):
        if not registry.backend_configs()[name].get("pin_threads", True):
            timed.append((name, None))
        timed.append((name, setting.threads))
    return timed


def side_by_side(setting, pairs, rounds: int, device: str) -> pd.DataFrame:
    data = load_mnist()
    timed = entries(pairs, setting)
    nets = {(name, threads): build(name, threads, setting, data, device) for name, threads in timed}
    n = len(data.train_y)
    for (_, threads), net in nets.items():
        time_epoch(net, threads, epoch_order(0, 1, n), setting)  # warm-up, not recorded
    rows = []
    for round_ in range(rounds):
        order = epoch_order(0, round_ + 2, n)
        turn = timed[round_ % len(timed) :] + timed[: round_ % len(timed)]
        for name, threads in turn:
            seconds, ran_at = time_epoch(nets[name, threads], threads, order, setting)
            rows.append(
                {
                    "backend": name,
                    "pinned": threads is not None,
                    "threads": ran_at,
                    "round": round_,
                    "train_s": seconds,
                }
            )
    return pd.DataFrame(rows)


def ratios(times: pd.DataFrame, pairs) -> pd.DataFrame:
    """Each pair's speed-up, once against each way its peer was timed, labelled."""
    medians = times.groupby(["backend", "pinned", "threads"]).train_s.median().reset_index()
    rows = []
    for pair in pairs:
        (backend_s,) = medians[(medians.backend == pair.backend) & medians.pinned].train_s
        for peer in medians[medians.backend == pair.peer].itertuples():
            how = "pinned: the code alone" if peer.pinned else "its default: what a user gets"
            rows.append(
                {
                    "backend": pair.backend,
                    "peer": pair.peer,
                    "peer threads": f"{peer.threads} ({how})",
                    "speed-up over peer": f"{peer.train_s / backend_s:.1f}×",
                }
            )
    return pd.DataFrame(rows)


class NoWork:
    """A backend that does nothing, so that a harness run times only the harness."""

    devices = ("cpu",)

    def __init__(self, params, train_x, train_y, device="cpu", dtype="float32"):
        self.params = params

    def place(self, x, y):
        return x, y

    def train_epoch(self, order, batch_size, eta):
        pass

    def evaluate(self, x, y):
        return 0

    def cost(self, x, y):
        return 0.0

    def parameters(self):
        return self.params

    def synchronize(self):
        pass


def harness_overhead_per_epoch(setting, results_dir: Path, repeats: int = 3) -> float:
    """Seconds the harness adds per epoch: the difference of short and long runs that do no work."""
    config.register()
    load_mnist()  # the cache is warm for every run
    walls = {5: [], 45: []}
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        for epochs in [2] + [5, 45] * repeats:  # the first run pays the one-time costs
            overrides = [
                f"backend.net._target_={__name__}.NoWork",
                f"epochs={epochs}",
                f"batch_size={setting.batch_size}",
                f"results_dir={results_dir}",
                "force=true",
            ]
            cfg = compose("config", overrides=overrides)
            with harness.Timer() as wall:
                harness.run(cfg, multirun=True)
            walls.setdefault(epochs, []).append(wall.seconds)
    return (statistics.median(walls[45]) - statistics.median(walls[5])) / 40


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--background-load", type=int, default=0, help="busy helper processes during the timing"
    )
    parser.add_argument("--rounds", type=int, help="timed epochs per backend (default: conf/peers.yaml)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    if args.device == "cuda" and not env.cuda_available():
        raise UserError("--device cuda: no CUDA GPU on this machine; run without --device")
    setting = OmegaConf.load(CONF / "peers.yaml")
    rounds = args.rounds or setting.rounds
    classes = registry.implementations()
    pairs = [p for p in setting.pairs if all(args.device in classes[n].devices for n in (p.backend, p.peer))]

    with env.background_load(args.background_load):
        loadavg_start = env.loadavg()
        times = side_by_side(setting, pairs, rounds, args.device)
    machine = env.static_environment()
    hardware = machine["cuda_device"] if args.device == "cuda" else machine["cpu_model"]
    print(
        f"{args.device}, batch {setting.batch_size}, hidden {setting.hidden}, {setting.dtype}, "
        f"background load {args.background_load}, {rounds} rounds, load average {loadavg_start:.2f}; "
        f"{hardware}, {machine['logical_cpus']} cores\n"
    )
    spread = times.groupby(["backend", "threads"]).train_s.agg(["median", "min", "max"]).map("{:.3f}".format)
    print(markdown_table(spread.rename(columns={"median": "median s/epoch"}).reset_index()))
    print(markdown_table(ratios(times, pairs)), end="")

    overhead = None
    if args.background_load == 0:
        scratch = args.results_dir / "peers-overhead"
        overhead = harness_overhead_per_epoch(setting, scratch)
        share = overhead / times.groupby(["backend", "threads"]).train_s.median().min()
        print(f"\nharness overhead: {overhead * 1e3:.2f} ms per epoch, {share:.2%} of the fastest epoch")

    run_id = uuid.uuid4().hex
    stored = times.assign(
        run_id=run_id,
        device=args.device,
        background_load=args.background_load,
        batch_size=setting.batch_size,
        hidden=setting.hidden,
        dtype=setting.dtype,
        harness_overhead_s=overhead if overhead is not None else np.nan,
        loadavg_start=loadavg_start,
        started_at=env.utc_now(),
        **{k: v for k, v in machine.items() if k in ("hostname", "cpu_model", "cuda_device", "git_commit")},
    )
    path = args.results_dir / "peers.parquet"
    results.append_peers(stored, path)
    print(f"\nappended to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run one configuration fairly, time it, and record one row per epoch.

Every backend gets the same treatment: identical initial parameters and batch
order, pinned threads, data placed on the device before any clock starts, the
device synchronised before every clock read, and setup, training and
evaluation timed apart. Whatever compiles or captures does it in setup; the
first epoch is still recorded and marked as warm-up.
"""

import logging
import math
import time
import traceback
import uuid
from pathlib import Path

import numpy as np
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig
from tqdm import tqdm

from . import configuration, env, registry, results
from .config import ConfigError, check
from .configuration import enum_value
from .data import fingerprint
from .errors import UserError
from .fairness import epoch_order, init_params, layer_sizes, prepare

log = logging.getLogger(__name__)


class RunError(UserError):
    """A run that cannot take place as configured; the message says why."""


def implementation(cfg: DictConfig) -> type:
    """The backend's class; RunError when an optional dependency of it is not installed (a sweep
    records the run as skipped, with the install command), else a one-line ConfigError."""
    target = cfg.backend.net._target_
    try:
        return registry.import_class(target)
    except (ImportError, AttributeError, ValueError) as e:
        if isinstance(e, ImportError) and (hint := registry.missing_dependency(e)):
            raise RunError(f"backend {cfg.backend.name} {hint}") from None
        raise ConfigError(f"backend.net._target_={target}: cannot be imported ({e})") from None


def resolve_device(cfg: DictConfig) -> str:
    """The device to run on, or RunError when this backend or machine lacks it."""
    supported = implementation(cfg).devices
    requested = enum_value(cfg.device)
    if requested == "auto":
        return "cuda" if "cuda" in supported and env.cuda_available() else "cpu"
    if requested not in supported:
        raise RunError(f"backend {cfg.backend.name} runs on {', '.join(supported)} only, not {requested}")
    if requested == "cuda" and not env.cuda_available():
        raise RunError("CUDA not available")
    return requested


def network_settings(cfg: DictConfig) -> dict:
    """Chapter 3's settings as the implementation's constructor takes them (see impls.Network)."""
    return {
        key: enum_value(cfg[key]) if key in ("cost", "output", "activation") else float(cfg[key])
        for key in configuration.NETWORK_SETTINGS
    }


def changed_network_settings(cfg: DictConfig) -> dict:
    """The settings that differ from chapter 1's, the only ones passed to the constructor, so that a
    network written before chapter 3's settings (a learner's) still builds at the defaults."""
    return {k: v for k, v in network_settings(cfg).items() if v != configuration.CHAPTER_1[k]}


def unsupported(cfg: DictConfig, device: str) -> str | None:
    """The implementation's own line on what it lacks to run these settings, or None when it can."""
    cls = implementation(cfg)
    if not hasattr(cls, "unsupported"):
        return None
    settings = network_settings(cfg) | {
        "init": enum_value(cfg.init),
        "hidden": tuple(layer_sizes(cfg.hidden)[1:-1]),
        "dtype": enum_value(cfg.dtype),
        "device": device,
    }
    # The backend's options too: what a learner's file computes depends on which file it is.
    return cls.unsupported(**settings, options=registry.net_options(cfg.backend.net))


def check_backend_options(cfg: DictConfig, options: dict) -> None:
    """An implementation's own check of its options (`check_options`), as a one-line ConfigError.
    A backend that cannot be imported for a missing optional dependency is left to resolve_device."""
    try:
        cls = implementation(cfg)
    except RunError:
        return
    if hasattr(cls, "check_options"):
        try:
            cls.check_options(**options)
        except (ValueError, UserError) as e:  # impls/ raise ValueError; the learner's adapter, UserError
            raise ConfigError(f"backend={cfg.backend.name}: {e}") from None


class Timer:
    """Wall time of a block, with the device synchronised before both clock reads."""

    def __init__(self, synchronize=lambda: None):
        self.synchronize = synchronize
        self.seconds = math.nan

    def __enter__(self):
        self.synchronize()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.synchronize()
        self.seconds = time.perf_counter() - self.start


def build(node: DictConfig, *args, **kwargs):
    """instantiate(), raising the target's own exception rather than Hydra's wrapper."""
    try:
        return instantiate(node, *args, **kwargs)
    except InstantiationException as e:
        raise (e.__cause__ or e) from None


def all_finite(net, cost: float) -> bool:
    return math.isfinite(cost) and all(np.isfinite(p).all() for p in net.parameters())


def run(cfg: DictConfig, *, multirun: bool, launcher: str = "basic", parallel_jobs: int = 1) -> str:
    """Run the configuration and record it; returns the run's status.

    Invalid settings and data that cannot be had raise ConfigError and DataError
    before anything runs. A device this backend or machine lacks raises RunError
    in a single run and is recorded as skipped in a sweep; settings the backend
    says it lacks (its `unsupported`) raise RunError in a single run and are
    recorded as unsupported in a sweep; a run that raises while training is
    recorded as failed, and a sweep goes on.
    """
    check(cfg)
    options = registry.net_options(cfg.backend.net)
    check_backend_options(cfg, options)
    results_dir = Path(cfg.results_dir).resolve()
    data = build(cfg.data)
    n_train = len(data.train_y)
    if cfg.batch_size > n_train:
        raise ConfigError(f"batch_size={cfg.batch_size}: must be at most the {n_train:,} training examples")
    if (cfg.epoch_examples or 0) > n_train:
        raise ConfigError(
            f"epoch_examples={cfg.epoch_examples}: must be at most the {n_train:,} training examples"
        )
    pinned = cfg.threads if cfg.backend.pin_threads else None
    base = base_row(cfg, options, data, launcher, parallel_jobs)
    try:
        device = resolve_device(cfg)
    except RunError as e:
        if not multirun:
            raise
        base |= {"device": enum_value(cfg.device)}
        base["config_hash"] = configuration.config_hash(base)
        return record(results_dir, [base | {"epoch": 0, "status": "skipped", "error": str(e)}])
    base["device"] = device
    base["config_hash"] = configuration.config_hash(base)
    if reason := unsupported(cfg, device):
        if not multirun:
            raise RunError(f"backend {cfg.backend.name}: {reason}")
        return record(results_dir, [base | {"epoch": 0, "status": "unsupported", "error": reason}])

    if not cfg.force and already_done(results_dir, base):
        return "ok"

    rows = []
    try:
        with env.pinned_threads(pinned) as threads:
            base |= threads
            framework = getattr(implementation(cfg), "framework", "numpy")
            # Measured before any background load starts, once per process for each kind.
            peak, peak_source = env.gemm_peak(framework, base["dtype"], device, base["threads"])
            fingerprint_gflops, _ = env.gemm_peak(*env.FINGERPRINT)
            base |= {
                "peak_gflops": peak,
                "peak_source": peak_source,
                "fingerprint_gflops": fingerprint_gflops,
            }
            with env.background_load(cfg.background_load) as helpers:
                status = train(cfg, data, device, base, rows, helpers)
    except Exception as e:  # recorded as a failed run; the sweep goes on
        status = "failed"
        error = f"{type(e).__name__}: {e}"
        trace_path = results_dir / "tracebacks" / f"{base['run_id']}.txt"
        trace_path.parent.mkdir(parents=True, exist_ok=True)
        trace_path.write_text(traceback.format_exc())
        rows = rows or [base | {"epoch": 0}]
        for row in rows:
            row |= {"status": status, "error": error}
        log.error("%s: failed: %s (traceback in %s)", label(base), error, trace_path)
    return record(results_dir, rows)


def base_row(cfg: DictConfig, options: dict, data, launcher: str = "basic", parallel_jobs: int = 1) -> dict:
    """The fields every row of a run shares, known before it starts: its configuration, provenance
    and environment; the device and config_hash are added once the device is resolved."""
    base = {
        "run_id": uuid.uuid4().hex,
        **configuration.identity(cfg, options, launcher, parallel_jobs),
        "backend_files": env.named_files_sha256(options),
        **env.slurm_job(),
        "started_at": env.utc_now(),
        "loadavg_start": env.loadavg(),
        "schema_version": results.SCHEMA_VERSION,
        "data_sha256": fingerprint(data),
        **env.static_environment(),
    }
    return base | {"provenance_hash": configuration.provenance_hash(base)}


def already_done(results_dir: Path, base: dict) -> bool:
    """Whether this configuration and seed already finished ok with this provenance.

    A run made by other code, on another machine, with other libraries, data or
    speed-changing variables does not count; the log says why it runs again.
    """
    earlier = results.finished_runs(results_dir, base["config_hash"], base["seed"])
    if earlier.empty:
        return False
    if (earlier.provenance_hash == base["provenance_hash"]).any():
        log.info("%s: already finished ok in %s; skipped (force=true reruns it)", label(base), results_dir)
        return True
    newest = earlier.sort_values("started_at").iloc[-1].to_dict()
    why = configuration.provenance_difference(newest, base)
    log.info("%s: finished ok before, but %s; running again", label(base), why)
    return False


def train(cfg: DictConfig, data, device: str, base: dict, rows: list[dict], helpers=()) -> str:
    params = init_params(layer_sizes(cfg.hidden), cfg.seed, init=enum_value(cfg.init))
    memory = env.PeakMemory(device)
    with Timer() as setup:
        net = build(
            cfg.backend.net, params, data.train_x, data.train_y,
            device=device, dtype=base["dtype"], **changed_network_settings(cfg),
        )  # fmt: skip
        test = net.place(data.test_x, data.test_y)
        val = net.place(data.val_x, data.val_y)
        train_set = net.place(data.train_x, data.train_y)
        prepare(net, cfg.batch_size, cfg.eta)

    epochs = tqdm(range(1, cfg.epochs + 1), desc=label(base), unit="epoch", disable=None, leave=False)
    with env.MachineLoad(helpers) as load:  # other work on the machine while this run trains
        status, time_to_target = train_epochs(
            cfg, data, net, epochs, setup, (test, val, train_set), rows, base
        )
    peaks = memory.stop()  # the run's peaks, setup and evaluation included
    for row in rows:
        row |= {"status": status, "error": None if status == "ok" else "cost or parameters not finite"}
        row |= peaks | load.as_row()
        row |= {
            "time_to_target_s": time_to_target,
            "time_to_target_with_setup_s": time_to_target + setup.seconds,
        }
    return status


def train_epochs(cfg, data, net, epochs, setup, placed, rows, base) -> tuple[str, float]:
    """Train and evaluate epoch by epoch, a row each; (status, training seconds to the target)."""
    test, val, train_set = placed
    examples = cfg.epoch_examples or len(data.train_y)
    when = enum_value(cfg.evaluate)
    status, elapsed, time_to_target = "ok", 0.0, math.nan
    for epoch in epochs:
        order = epoch_order(cfg.seed, epoch, len(data.train_y))[:examples]
        with Timer(net.synchronize) as training:
            net.train_epoch(order, cfg.batch_size, cfg.eta)
        evaluated = when == "every" or (when == "last" and epoch == cfg.epochs)
        test_acc = val_acc = train_cost = math.nan
        with Timer(net.synchronize) as evaluation:
            if evaluated:
                test_acc = net.evaluate(*test) / len(data.test_y)
                val_acc = net.evaluate(*val) / len(data.val_y)
                train_cost = net.cost(*train_set)
        elapsed += training.seconds
        # The clock stops on validation accuracy, so that the test set only reports.
        if math.isnan(time_to_target) and val_acc >= cfg.target_accuracy:
            time_to_target = elapsed
        graph_fraction = float(getattr(net, "graph_fraction", 0.0))
        rows.append(
            base
            | {
                "epoch": epoch,
                "setup_s": setup.seconds,
                "train_s": training.seconds,
                "eval_s": evaluation.seconds if evaluated else math.nan,
                "elapsed_train_s": elapsed,
                "warmup": epoch == 1,
                "examples_per_s": examples / training.seconds,
                "test_acc": test_acc,
                "val_acc": val_acc,
                "train_cost": train_cost,
                "graph_fraction": graph_fraction,
                "cuda_graphs": graph_fraction > 0,
            }
        )
        epochs.set_postfix(epoch_s=f"{training.seconds:.3f}", test_acc=f"{test_acc:.4f}")
        if not all_finite(net, train_cost if evaluated else 0.0):
            status = "diverged"
            break
    return status, time_to_target


def label(row: dict) -> str:
    load = f" load={row['background_load']}" if row["background_load"] else ""
    return (
        f"{configuration.variant(row)} batch={row['batch_size']} "
        f"hidden={row['hidden']} seed={row['seed']} threads={row['threads']}{load}"
    )


def record(results_dir: Path, rows: list[dict]) -> str:
    loadavg_end = env.loadavg()
    for row in rows:
        row["loadavg_end"] = loadavg_end
    results.write_run(rows, results_dir)
    summarize(rows)
    return rows[0]["status"]


def summarize(rows: list[dict]) -> None:
    first, last = rows[0], rows[-1]
    if first["status"] == "failed" and "train_s" not in last:
        return  # logged where it failed, with its traceback's file
    if first["status"] in ("skipped", "unsupported"):
        log.info("%s: %s: %s", label(first), first["status"], first["error"])
        return
    timed = [row["train_s"] for row in rows if not row["warmup"]] or [last["train_s"]]
    graphs = ""
    if last["cuda_graphs"]:
        graphs = f", {last['graph_fraction']:.0%} of steps replayed from CUDA graphs"
    part = f" ({last['epoch_examples']:,} examples)" if last.get("epoch_examples") else ""
    log.info(
        "%s: %s, median epoch%s %.3f s, test accuracy %.2f%% after %d epochs%s",
        label(last),
        last["status"],
        part,
        float(np.median(timed)),
        100 * last["test_acc"],
        last["epoch"],
        graphs,
    )

"""Selecting and summarising runs for the report: pure pandas, numbers and tables, no sentences.

Runs arrive with `config_key` and `provenance_key` (benchmarks.configuration);
`prepare` gives each row a label that never holds two configurations or two
provenance sets at the same plot axes, and everything else here works from those.
"""

import json
import re

import numpy as np
import pandas as pd

from .. import configuration, registry, results, stats
from ..configuration import NIELSEN
from ..env import users_speed_env
from ..fairness import layer_sizes

BASELINE = "numpy_loop"


NOISY_IQR = 0.10

AXES = ["hidden", "batch_size", "threads", "background_load", "parallel_jobs"]

SHOWN = ["label", "batch_size", "hidden", "threads", "background_load", "parallel_jobs", "epochs"]

# The summary's columns a reader needs first; the full table follows.
FIRST = [
    "label",
    "batch_size",
    "hidden",
    "median epoch s",
    "final test acc",
    "reached target",
    "time to target s",
]


def flops_per_example(hidden: int | str) -> int:
    """Multiply-adds counted twice: forward, weight gradients, and deltas sent back. `hidden` is one
    hidden layer's width or a row's `hidden_layers`, every width ("30,30")."""
    sizes = layer_sizes([int(width) for width in str(hidden).split(",")])
    pairs = list(zip(sizes, sizes[1:]))
    forward = sum(2 * n_in * n_out for n_in, n_out in pairs)
    backward_deltas = sum(2 * n_in * n_out for n_in, n_out in pairs[1:])
    return 2 * forward + backward_deltas


def with_threads(label: str, threads: int) -> str:
    return f"{label[:-1]}, {threads} thread{'s' if threads > 1 else ''})"


def distinct_labels(runs: pd.DataFrame) -> pd.Series:
    """Variant labels, extended wherever one label at the same axes would hold two configurations
    or two provenance sets, by the fields that tell them apart (e.g. epochs=4, git_commit=1a2b3c4).

    Where only the configuration differs, the one with the most runs keeps the plain label (the
    summary table shows its settings); provenance sets are all labelled."""
    label = configuration.variants(runs)
    if runs.empty:
        return label
    keyed = runs.assign(label=label)
    sets = keyed.groupby(["label", *AXES], dropna=False)[["config_key", "provenance_key"]].nunique()
    ambiguous = set(sets[(sets > 1).any(axis=1)].reset_index().label)
    # hidden_layers says no more than `hidden` (an axis) unless the label already names the layers.
    fields = [
        f for f in configuration.CONFIGURATION + configuration.PROVENANCE if f not in [*AXES, "hidden_layers"]
    ]
    for name in ambiguous:
        rows = keyed.label == name
        group = keyed[rows].reindex(columns=fields).astype("string").fillna("none")
        varying = [f for f in fields if group[f].nunique() > 1]
        suffix = group[varying].apply(
            lambda row: ", ".join(f"{f}={configuration.short(f, value)}" for f, value in row.items()), axis=1
        )
        if not set(varying) & set(configuration.PROVENANCE):
            most_runs = keyed[rows].groupby(suffix).run_id.nunique().idxmax()
            suffix = suffix.where(suffix != most_runs, "")
        label[rows] = [name if not text else f"{name} [{text}]" for text in suffix]
    return label


def prepare(runs: pd.DataFrame) -> pd.DataFrame:
    runs = stats.whole_epochs(runs if "config_key" in runs else configuration.with_keys(runs))
    n_train = runs.examples_per_s * runs.train_s
    widths = runs.hidden_layers.fillna(runs.hidden.astype(str)) if "hidden_layers" in runs else runs.hidden
    gflops = widths.map(flops_per_example) * n_train / runs.train_s / 1e9
    labels = distinct_labels(runs)
    shared = shared_settings(labels[~results.paired(runs)])  # the sides of pairs label nothing shown
    return runs.assign(label=without_settings(labels, shared), gflops=gflops)


LABEL = re.compile(r"^(?P<name>\S+) \((?P<parts>.*)\)(?P<rest>( \[.*\])?)$")


def label_parts(label: str) -> list[str]:
    """'numpy (cpu, eta=0.5, cost=cross_entropy)' -> ['cpu', 'eta=0.5', 'cost=cross_entropy']."""
    match = LABEL.match(label)
    return match["parts"].split(", ") if match else []


def shared_settings(labels: pd.Series) -> list[str]:
    """The settings every label names beside its device, e.g. ['eta=0.5'] for a sweep run wholly at
    eta 0.5: the report says them once instead of in every label."""
    parts = [label_parts(label)[1:] for label in labels.unique()]
    if not parts:
        return []
    common = set.intersection(*map(set, parts))
    return [part for part in parts[0] if part in common]


def without_settings(labels: pd.Series, settings: list[str]) -> pd.Series:
    def shortened(label: str) -> str:
        match = LABEL.match(label)
        if not match or not settings:
            return label
        parts = [p for p in match["parts"].split(", ") if p not in settings]
        return f"{match['name']} ({', '.join(parts)}){match['rest']}"

    return labels.map(shortened).astype("string")


def timed(runs: pd.DataFrame) -> pd.DataFrame:
    """Epochs whose time counts: from runs that finished ok, past warm-up."""
    return runs[(runs.status == "ok") & ~runs.warmup.astype(bool)]


def standard_threads(runs: pd.DataFrame) -> int:
    return int(runs.threads.mode().iloc[0])


# What the network is, beyond its sizes: chapter 3's changes and the number of hidden layers.
NETWORK = [*configuration.NETWORK_SETTINGS, "init", "depth"]


def usual_network(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of the network most runs trained (chapter 1's in `make bench`), and of each such
    configuration only the epoch count and epoch length (`epoch_examples`) most of its runs used: a
    preset that times chapter 3's changes, or the same network over fewer or whole epochs, stays in
    the tables and its own section."""
    layers = runs.get("hidden_layers", pd.Series("", index=runs.index, dtype="string"))
    network = runs.assign(depth=layers.fillna("").str.count(",")).reindex(columns=NETWORK)
    network = network.astype("string").fillna("")
    kind = network[NETWORK[0]].str.cat([network[c] for c in NETWORK[1:]], sep="|")
    usual = kind == kind.mode().iloc[0]
    runs = runs[usual.to_numpy()]
    length = ["epochs", "epoch_examples"]
    others = [c for c in configuration.CONFIGURATION if c not in length]
    runs = runs.reindex(columns=[*runs.columns, *(c for c in length if c not in runs)])
    counts = runs.groupby([*others, *length], dropna=False).run_id.nunique().reset_index()
    most = counts.sort_values(["run_id", "epochs"]).drop_duplicates(others, keep="last")
    keys = [*others, *length]
    return runs[pd.MultiIndex.from_frame(runs[keys]).isin(pd.MultiIndex.from_frame(most[keys]))]


def standard(runs: pd.DataFrame) -> pd.DataFrame:
    """Of the usual network, runs alone on an otherwise idle machine at the usual thread count, and
    the runs of backends that never ran at it (a peer left at its library's default), labelled with
    theirs.

    The pitfall plot shows loaded and multi-thread runs; parallel jobs are only in the tables.
    """
    runs = usual_network(runs)
    alone = runs[(runs.background_load == 0) & (runs.parallel_jobs == 1)]
    usual = alone.threads == standard_threads(runs)
    own_count = ~alone.backend.isin(alone.backend[usual])
    own_labels = [with_threads(label, n) for label, n in zip(alone.label, alone.threads)]
    alone = alone.assign(label=alone.label.mask(own_count, pd.Series(own_labels, index=alone.index)))
    return alone[usual | own_count]


def quartiles(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    grouped = frame.groupby(keys, observed=True)[value]
    stats = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    stats.columns = ["q25", "median", "q75"]
    return stats.reset_index()


def speedups(runs) -> pd.DataFrame:
    """Per variant and setting both it and the baseline ran at: `speedup`, the baseline's median
    seconds over the variant's (medians over runs), with its 95% interval `low`-`high` (NaN under
    benchmarks.stats.MIN_RUNS runs a side) and the runs of each side; busy runs left out where idle
    ones exist."""
    data = standard(runs)
    data, *_ = stats.without_busy(data[data.status == "ok"])
    keys = ["hidden", "batch_size", "dtype", "eta", "threads", "background_load"]
    per_run = data.groupby("run_id", observed=True)[["label", "backend", *keys]].first()
    per_run = per_run.join(stats.run_seconds(data), how="inner")
    cells = per_run.groupby(["label", "backend", *keys], observed=True).train_s.agg(list)
    base = {key[2:]: seconds for key, seconds in cells.items() if key[1] == BASELINE}
    rows = []
    for (label, backend, *setting), seconds in cells.items():
        if backend == BASELINE or tuple(setting) not in base:
            continue
        c = stats.compare("", BASELINE, base[tuple(setting)], label, seconds)
        speedup, low, high = c.speed_of(label)
        rows.append(
            dict(zip(["label", "backend", *keys], [label, backend, *setting]))
            | {"train_s": float(np.median(seconds)), "baseline_s": float(np.median(base[tuple(setting)]))}
            | {"speedup": speedup, "low": low, "high": high, "runs": c.runs}
        )
    return pd.DataFrame(rows)


def speedup_text(row) -> str:
    """'12.3× (11.8–12.9×)', or '12.3×' where either side has too few runs for an interval."""
    if pd.isna(row.low):
        return f"{row.speedup:.1f}×"
    return f"{row.speedup:.1f}× ({row.low:.1f}–{row.high:.1f}×)"


def speedup_matrix(runs) -> pd.DataFrame:
    """Speed-ups over the baseline with their intervals, as text: a row per variant and hidden size,
    a column per batch size (blank where the pair did not run); empty without baseline runs."""
    shared = speedups(runs)
    if shared.empty:
        return shared
    shared = shared.assign(text=shared.apply(speedup_text, axis=1))
    table = shared.pivot_table(
        index=["label", "hidden"], columns="batch_size", values="text", aggfunc="first"
    )
    table.columns = [f"batch {batch}" for batch in table.columns]
    return table.reset_index().sort_values(["hidden", "label"], ignore_index=True)


def thread_pitfall_data(runs) -> pd.DataFrame:
    """Timed epochs of the backends measured at 1 and 2 threads, idle and under load."""
    data = timed(runs)
    data = data[
        data.batch_size.isin([10, 100]) & data.threads.isin([1, 2]) & data.background_load.isin([0, 1])
    ]
    keys = ["label", "batch_size", "hidden", "dtype"]
    cells = data.groupby(keys).apply(
        lambda g: g[["threads", "background_load"]].drop_duplicates().shape[0], include_groups=False
    )
    complete = cells[cells == 4].reset_index()[keys]
    return data.merge(complete, on=keys)


def environment_table(runs) -> pd.DataFrame:
    keys = ["hostname", *configuration.ENVIRONMENT, "git_commit"]
    keys = [k for k in keys if k in runs.columns]
    env = runs.assign(cuda_device=runs.cuda_device.fillna("none"), git_commit=runs.git_commit.str[:10])
    env = env.fillna({"torch": "not installed", "speed_env": "unknown"})
    env = env.assign(speed_env=env.speed_env.map(users_speed_env).replace("", "none"))
    jobs = {"SLURM jobs": ("slurm_job_id", slurm_jobs)} if runs.slurm_job_id.notna().any() else {}
    table = env.groupby(keys, dropna=False).agg(
        dirty=("git_dirty", "any"),
        first=("started_at", "min"),
        last=("started_at", "max"),
        runs=("run_id", "nunique"),
        launcher=("launcher", lambda launchers: ", ".join(sorted(launchers.dropna().unique()))),
        **jobs,
    )
    table = table.reset_index()
    table["first"] = table["first"].dt.strftime("%Y-%m-%d %H:%M UTC")
    table["last"] = table["last"].dt.strftime("%Y-%m-%d %H:%M UTC")
    return table.rename(
        columns={"cuda_device": "GPU", "logical_cpus": "cores", "speed_env": "speed-changing variables"}
    )


def slurm_jobs(ids: pd.Series) -> str:
    """The SLURM jobs behind these rows as sacct -j takes them: `23_[0-3,5], 24`; empty outside SLURM."""
    arrays = {}
    for job in sorted(ids.dropna().unique()):
        array, _, task = job.partition("_")
        arrays.setdefault(array, []).extend([int(task)] if task else [])
    return ", ".join(f"{array}_[{task_ranges(tasks)}]" if tasks else array for array, tasks in arrays.items())


def task_ranges(tasks: list[int]) -> str:
    """[0, 1, 2, 3, 5] as 0-3,5."""
    tasks, ranges = sorted(tasks), []
    for task in tasks:
        if ranges and task == ranges[-1][1] + 1:
            ranges[-1][1] = task
        else:
            ranges.append([task, task])
    return ",".join(f"{first}-{last}" if last > first else f"{first}" for first, last in ranges)


def seeds_to_target(group: pd.DataFrame, column: str) -> tuple[str, str]:
    """('2 of 3', median time over the runs, a run that never got there counting as never)."""
    per_run = group[group.status == "ok"].groupby("run_id")[column].first()
    if per_run.empty:
        return "", ""
    reached = int(per_run.notna().sum())
    median = per_run.fillna(np.inf).median()
    return f"{reached} of {len(per_run)}", f"{median:.2f}" if np.isfinite(median) else "never"


# A guess among MNIST's ten digits is right 10% of the time. A configuration whose runs end, on average,
# under three times that learned next to nothing: `saturated` when their training cost also fell by
# less than FLAT_COST from the first epoch to the last (the outputs stuck, as at a learning rate far
# too high), `near chance` when it is still falling (a slow start, as with few large mini-batches).
NEAR_CHANCE = 0.30
FLAT_COST = 0.05


def learning_note(group: pd.DataFrame) -> str | None:
    """'diverged' (or '1 of 3 diverged'), 'saturated', 'near chance' (see NEAR_CHANCE), or None: what
    a configuration's accuracy must be read with."""
    runs = group.groupby("run_id").status.first()
    if (diverged := int((runs == "diverged").sum())) > 0:
        return "diverged" if diverged == len(runs) else f"{diverged} of {len(runs)} diverged"
    ok = group[group.status == "ok"].sort_values("epoch").groupby("run_id")
    finals = ok.test_acc.last()
    if finals.empty or not finals.mean() < NEAR_CHANCE:
        return None
    fell = 1 - (ok.train_cost.last() / ok.train_cost.first()).median()
    return "saturated" if fell <= FLAT_COST else "near chance"


def accuracy_text(accuracy: float, note: str | None) -> str:
    """'96.22%', or '13.22% (saturated)': an accuracy never shown bare when the run did not learn."""
    if pd.isna(accuracy):
        return note or ""
    return f"{accuracy:.2%}" + (f" ({note})" if note else "")


# The columns summary_table reads beside the keys and SHOWN: its groups, taken of these alone, come fast.
SUMMARISED = [
    "run_id", "seed", "epoch", "status", "warmup", "train_s", "examples_per_s", "graph_fraction",
    "test_acc", "train_cost", "time_to_target_s", "time_to_target_with_setup_s",
]  # fmt: skip


def summary_table(runs) -> pd.DataFrame:
    """One row per configuration and provenance set. A configuration none of whose runs trained shows
    their status (unsupported, skipped, failed) where its time and accuracy would be."""
    rows = []
    keys = ["config_key", "provenance_key"]
    used = [*keys, *SHOWN, *SUMMARISED]
    for _, group in runs[used].groupby([*keys, "label"], observed=True):
        done = timed(group)
        times = done.train_s
        finals = group.sort_values("epoch").groupby("run_id").test_acc.last()
        median = times.median()
        iqr = times.quantile(0.75) - times.quantile(0.25)
        reached, to_target = seeds_to_target(group, "time_to_target_s")
        _, with_setup = seeds_to_target(group, "time_to_target_with_setup_s")
        fraction = done.graph_fraction.median()
        note = learning_note(group)
        absent = "" if (group.status == "ok").any() else ", ".join(sorted(group.status.unique()))
        rows.append(
            group.iloc[0][SHOWN].to_dict()
            | {
                "seeds": group.seed.nunique(),
                "median epoch s": f"{median:.4f}" if times.size else absent,
                "IQR s": f"{iqr:.4f}" if times.size else "",
                "examples/s": f"{done.examples_per_s.median():,.0f}" if times.size else "",
                "graphed steps": f"{fraction:.0%}" if fraction > 0 else "",
                "best test acc": accuracy_text(group.test_acc.max(), note) or absent,
                "final test acc": accuracy_text(finals.mean(), note) or absent,
                "reached target": reached,
                "time to target s": to_target,
                "with setup s": with_setup,
                "status": ", ".join(f"{s} ×{n}" for s, n in group.groupby("status").run_id.nunique().items()),
                "noisy": bool(times.size and iqr > NOISY_IQR * median),
            }
        )
    return pd.DataFrame(rows).sort_values(["label", "hidden", "batch_size"]) if rows else pd.DataFrame()


def not_run_table(runs) -> tuple[pd.DataFrame, list[str]]:
    """(one row per run that did not finish ok, the distinct reasons they give): the table's `why`
    holds a reason's number, so that no sentence sits in its cells."""
    bad = runs[runs.status != "ok"]
    per_run = bad.groupby("run_id").agg(
        **{c: (c, "first") for c in [*SHOWN, "seed", "status", "error"]}, epochs_done=("epoch", "max")
    )
    errors = per_run.error.fillna("no error recorded").astype(str)
    reasons = list(dict.fromkeys(errors))
    why = errors.map(lambda error: reasons.index(error) + 1)
    return per_run.drop(columns="error").assign(why=why).reset_index(drop=True), reasons


def run_requests(runs: pd.DataFrame) -> list[tuple[str, dict]]:
    """(backend, options) of every configured backend in the runs, as it ran; rows written before
    options were recorded count as the conf's options."""
    configured = registry.backend_configs()
    return [
        (name, json.loads(text) if isinstance(text, str) else registry.backend_options(name))
        for name, text in runs[["backend", "backend_options"]].drop_duplicates().itertuples(index=False)
        if name in configured
    ]


def named_files(runs: pd.DataFrame) -> list[tuple[str, dict]]:
    """(backend, options) of runs whose `path` option names another file than their conf default:
    a learner's own network.py, which gets an ease-of-use row of its own."""
    return [
        (name, options)
        for name, options in run_requests(runs)
        if "path" in options and options != registry.backend_options(name)
    ]


def left_out_table(left_out: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """The older sets left out: what they were, when, and how they differ from the set reported."""
    if left_out.empty:
        return left_out
    newest = kept.sort_values("started_at").drop_duplicates("config_key", keep="last").set_index("config_key")
    rows = []
    for _, group in left_out.groupby(["config_key", "provenance_key"]):
        first = group.iloc[0]
        reported = newest.loc[first.config_key].to_dict() if first.config_key in newest.index else {}
        rows.append(
            {
                "label": configuration.variant(first.to_dict()),
                "batch_size": first.batch_size,
                "hidden": first.hidden,
                "threads": first.threads,
                "runs": group.run_id.nunique(),
                "last": group.started_at.max().strftime("%Y-%m-%d %H:%M UTC"),
                "why left out": "made " + configuration.provenance_difference(first.to_dict(), reported),
            }
        )
    return pd.DataFrame(rows)


def headline_setting(index: pd.MultiIndex) -> tuple[int, int]:
    """(hidden, batch): Nielsen's when the data hold it, else the smallest measured."""
    settings = sorted(
        {(h, b) for h, b in zip(index.get_level_values("hidden"), index.get_level_values("batch_size"))}
    )
    wanted = (NIELSEN["hidden"], NIELSEN["batch_size"])
    return wanted if wanted in settings else settings[0]


def medians_by_setting(runs: pd.DataFrame, value: str) -> pd.Series:
    return timed(standard(runs)).groupby(["label", "hidden", "batch_size"], observed=True)[value].median()


def coinciding_curves(runs: pd.DataFrame) -> list[tuple[int, int, tuple[str, ...]]]:
    """(hidden, batch, labels) for each group of two or more variants whose mean accuracy curves
    are the same, over at least two shared epochs, in one panel of the accuracy plot."""
    data = standard(runs[runs.status == "ok"])
    curves = data.groupby(["hidden", "batch_size", "label", "epoch"], observed=True).test_acc.mean()
    found = []
    for (hidden, batch), panel in curves.groupby(level=["hidden", "batch_size"]):
        by_label = panel.droplevel(["hidden", "batch_size"]).unstack("label")
        groups = []
        for label in by_label.columns:
            for group in groups:
                shared = by_label[[group[0], label]].dropna()
                if len(shared) >= 2 and np.allclose(shared.iloc[:, 0], shared.iloc[:, 1], atol=1e-9):
                    group.append(label)
                    break
            else:
                groups.append([label])
        found += [(int(hidden), int(batch), tuple(g)) for g in groups if len(g) > 1]
    return found

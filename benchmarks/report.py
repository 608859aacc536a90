"""Plots and a Markdown report from results/runs.parquet.

    python -m benchmarks.report [PATH_TO_PARQUET] [--out DIR] [--all-sets]

Writes PNG plots and report.md into DIR (default: a `report` folder beside the
parquet). Every number comes from the parquet or, for ease of use and
flexibility, from the implementations' source. A plot without data becomes a
note in the report; it never stops the report.

Runs are grouped by configuration as benchmarks.configuration defines it, and
never pooled across provenance (code, machine, libraries, data, speed-changing
environment variables): for each configuration the report uses the newest set
and lists what it left out; --all-sets shows every set side by side, labelled.
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from benchmarks import configuration, results, source
from benchmarks.fairness import layer_sizes
from benchmarks.markdown import markdown_table

plt.switch_backend("Agg")

BASELINE = "numpy_loop"
NIELSEN = {"hidden": 30, "batch_size": 10}
NOISY_IQR = 0.10
# The plots' axes and filters; the label tells apart everything else a configuration holds.
AXES = ["hidden", "batch_size", "threads", "background_load", "parallel_jobs"]
SHOWN = ["label", "batch_size", "hidden", "threads", "background_load", "parallel_jobs", "epochs"]
PLOTS = {
    "epoch_time.png": "Training time per epoch",
    "speedup.png": "Speed-up over Nielsen's loop",
    "accuracy_by_epoch.png": "Test accuracy by epoch",
    "time_to_accuracy.png": "Time to accuracy",
    "throughput.png": "Throughput",
    "gflops.png": "Achieved GFLOP/s",
    "threads.png": "The thread-count pitfall",
}


class ReportError(Exception):
    pass


def flops_per_example(hidden: int) -> int:
    """Multiply-adds counted twice: forward, weight gradients, and deltas sent back."""
    pairs = list(zip(layer_sizes(hidden), layer_sizes(hidden)[1:]))
    forward = sum(2 * n_in * n_out for n_in, n_out in pairs)
    backward_deltas = sum(2 * n_in * n_out for n_in, n_out in pairs[1:])
    return 2 * forward + backward_deltas


FLOPS_FORMULA = (
    "FLOP per training example = 2·Σ n_in·n_out (forward) + 2·Σ n_in·n_out (weight gradients) "
    "+ 2·Σ_(l≥2) n_in·n_out (deltas sent back); for [784, h, 10] that is 4·784·h + 6·10·h. "
    "Achieved GFLOP/s = FLOP per example × 50,000 / epoch seconds / 10⁹."
)


def load(path: Path, all_sets: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs to report, runs left out because a newer set of the same configuration exists)."""
    if not path.is_file():
        raise ReportError(f"{path} does not exist; run `make bench` or `python run.py` first")
    runs = pd.read_parquet(path)
    if runs.empty:
        raise ReportError(f"{path} holds no runs; run `make bench` or `python run.py` first")
    missing = {"schema_version", "backend", "train_s"} - set(runs.columns)
    if missing:
        raise ReportError(f"{path} lacks columns {sorted(missing)}; it was not written by this harness")
    try:
        runs = configuration.with_keys(results.upgrade(runs))
    except results.SchemaError as e:
        raise ReportError(f"{path}: {e}") from None
    kept, left_out = (runs, runs.iloc[:0]) if all_sets else configuration.newest_sets(runs)
    return prepare(kept), left_out


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
    fields = [f for f in configuration.CONFIGURATION + configuration.PROVENANCE if f not in AXES]
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
    runs = runs if "config_key" in runs else configuration.with_keys(runs)
    n_train = runs.examples_per_s * runs.train_s
    gflops = runs.hidden.map(flops_per_example) * n_train / runs.train_s / 1e9
    return runs.assign(label=distinct_labels(runs), gflops=gflops)


def timed(runs: pd.DataFrame) -> pd.DataFrame:
    """Epochs whose time counts: from runs that finished ok, past warm-up."""
    return runs[(runs.status == "ok") & ~runs.warmup.astype(bool)]


def standard_threads(runs: pd.DataFrame) -> int:
    return int(runs.threads.mode().iloc[0])


def standard(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs alone on an otherwise idle machine at the usual thread count, and the runs of
    backends that never ran at it (a peer left at its library's default), labelled with theirs.

    The pitfall plot shows loaded and multi-thread runs; parallel jobs are only in the tables.
    """
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


def facet_axes(n: int, title: str):
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False, sharey=True)
    fig.suptitle(title)
    return fig, axes[0]


def save(fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def by_hidden_lines(stats, out, name, title, ylabel, ref_line=None):
    hidden_sizes = sorted(stats.hidden.unique())
    fig, axes = facet_axes(len(hidden_sizes), title)
    palette = dict(zip(sorted(stats.label.unique()), sns.color_palette(n_colors=stats.label.nunique())))
    for ax, hidden in zip(axes, hidden_sizes):
        for label, line in stats[stats.hidden == hidden].groupby("label"):
            line = line.sort_values("batch_size")
            err = [line["median"] - line.q25, line.q75 - line["median"]]
            ax.errorbar(
                line.batch_size,
                line["median"],
                yerr=np.abs(err),
                marker="o",
                capsize=3,
                label=label,
                color=palette[label],
            )
        if ref_line is not None:
            ref_line(ax)
        ax.set(xscale="log", yscale="log", xlabel="mini-batch size (examples)", ylabel=ylabel)
        ax.set_title(f"hidden = {hidden}")
        ax.legend(fontsize=8)
    return save(fig, out, name)


def plot_by_batch(runs, out, name, value, title, ylabel, ref_line=None):
    """Median and IQR of `value` over timed epochs, against batch size, one panel per hidden size."""
    data = timed(standard(runs))
    if data.empty:
        return None
    stats = quartiles(data, ["label", "hidden", "batch_size"], value)
    return by_hidden_lines(stats, out, name, title, ylabel, ref_line=ref_line)


def plot_epoch_time(runs, out):
    title = "Training time per epoch (median, IQR bars)"
    return plot_by_batch(runs, out, "epoch_time.png", "train_s", title, "seconds per epoch")


def speedups(runs) -> pd.DataFrame:
    data = timed(standard(runs))
    keys = ["hidden", "batch_size", "dtype", "eta", "threads", "background_load"]
    medians = data.groupby(["label", "backend", *keys], observed=True).train_s.median().reset_index()
    base = medians[medians.backend == BASELINE].rename(columns={"train_s": "baseline_s"})
    if base.empty:
        return base
    shared = medians.merge(base[[*keys, "baseline_s"]], on=keys)
    shared = shared[shared.backend != BASELINE]
    return shared.assign(speedup=shared.baseline_s / shared.train_s)


def plot_speedup(runs, out):
    shared = speedups(runs)
    if shared.empty:
        return None
    hidden_sizes = sorted(shared.hidden.unique())
    fig, axes = facet_axes(len(hidden_sizes), f"Speed-up per epoch over {BASELINE} (Nielsen's loop)")
    for ax, hidden in zip(axes, hidden_sizes):
        part = shared[shared.hidden == hidden]
        sns.barplot(part, x="batch_size", y="speedup", hue="label", ax=ax)
        ax.axhline(1, color="grey", lw=1, ls="--", label=f"{BASELINE} = 1")
        ax.set(xlabel="mini-batch size (examples)", ylabel="speed-up (× faster than numpy_loop)")
        ax.set_title(f"hidden = {hidden}")
        ax.legend(fontsize=8)
    return save(fig, out, "speedup.png")


def plot_accuracy_by_epoch(runs, out):
    data = standard(runs[runs.status == "ok"])
    if data.empty:
        return None
    grid = sns.relplot(
        data,
        x="epoch",
        y="test_acc",
        hue="label",
        col="batch_size",
        row="hidden",
        kind="line",
        errorbar="sd",
        height=3.2,
        aspect=1.2,
        facet_kws={"sharey": False},
    )
    grid.set_axis_labels("epoch", "test accuracy (fraction)")
    grid.set_titles("hidden = {row_name}, batch = {col_name}")
    grid.legend.set_title("variant")
    grid.figure.suptitle("Test accuracy by epoch (mean, band = ±1 sd over seeds)", y=1.02)
    grid.savefig(out / "accuracy_by_epoch.png", dpi=100)
    plt.close(grid.figure)
    return "accuracy_by_epoch.png"


def plot_time_to_accuracy(runs, out):
    data = standard(runs[(runs.status == "ok") & (runs.hidden == NIELSEN["hidden"])])
    data = data[data.batch_size == NIELSEN["batch_size"]]
    if data.empty:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(data, x="elapsed_train_s", y="test_acc", hue="label", units="run_id", estimator=None, ax=ax)
    target = data.target_accuracy.median()
    ax.axhline(target, color="grey", ls="--", lw=1, label=f"target {target:.0%}")
    ax.set(
        xscale="log",
        xlabel="cumulative training time (s)",
        ylabel="test accuracy (fraction)",
        title="Time to accuracy at hidden 30, batch 10 (one line per run)",
    )
    ax.legend(fontsize=8)
    return save(fig, out, "time_to_accuracy.png")


def plot_throughput(runs, out):
    title = "Training throughput (median, IQR bars)"
    return plot_by_batch(runs, out, "throughput.png", "examples_per_s", title, "examples per second")


def plot_gflops(runs, out):
    peaks = timed(standard(runs)).groupby("peak_source").peak_gflops.median().dropna()
    styles = [":", "--", "-.", (0, (1, 3))]

    def peak_lines(ax):
        for (source_, peak), style in zip(peaks.items(), styles * len(peaks)):
            ax.axhline(peak, color="black", ls=style, lw=1.2, label=f"peak of {source_}: {peak:.0f}")

    title = "Achieved GFLOP/s against the measured matrix-product peak of each library"
    return plot_by_batch(runs, out, "gflops.png", "gflops", title, "GFLOP/s", ref_line=peak_lines)


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


def plot_threads(runs, out):
    data = thread_pitfall_data(runs)
    if data.empty:
        return None
    data = data.assign(
        setting=data.threads.astype(str)
        + " thread(s), "
        + np.where(data.background_load > 0, "other core busy", "idle")
    )
    order = [
        "1 thread(s), idle",
        "2 thread(s), idle",
        "1 thread(s), other core busy",
        "2 thread(s), other core busy",
    ]
    grid = sns.catplot(
        data,
        x="setting",
        y="train_s",
        hue="label",
        col="batch_size",
        kind="bar",
        order=order,
        estimator="median",
        errorbar=("pi", 50),
        height=4,
        aspect=1.4,
        sharey=False,
    )
    grid.set_axis_labels("", "seconds per epoch (median, IQR bars)")
    grid.set_titles("mini-batch size {col_name}")
    grid.legend.set_title("variant")
    for ax in grid.axes.flat:
        ax.tick_params(axis="x", rotation=20)
    grid.figure.suptitle("The thread-count pitfall: a second thread, idle and under load", y=1.03)
    grid.savefig(out / "threads.png", dpi=100)
    plt.close(grid.figure)
    return "threads.png"


def environment_table(runs) -> pd.DataFrame:
    keys = ["hostname", *configuration.ENVIRONMENT, "git_commit"]
    keys = [k for k in keys if k in runs.columns]
    env = runs.assign(cuda_device=runs.cuda_device.fillna("none"), git_commit=runs.git_commit.str[:10])
    env = env.fillna({"torch": "not installed", "speed_env": "unknown"})
    env = env.assign(speed_env=env.speed_env.replace("", "none"))
    table = env.groupby(keys, dropna=False).agg(
        dirty=("git_dirty", "any"),
        first=("started_at", "min"),
        last=("started_at", "max"),
        runs=("run_id", "nunique"),
    )
    table = table.reset_index()
    table["first"] = table["first"].dt.strftime("%Y-%m-%d %H:%M UTC")
    table["last"] = table["last"].dt.strftime("%Y-%m-%d %H:%M UTC")
    return table.rename(
        columns={"cuda_device": "GPU", "logical_cpus": "cores", "speed_env": "speed-changing variables"}
    )


def seeds_to_target(group: pd.DataFrame, column: str) -> tuple[str, str]:
    """('2 of 3', median time over the runs, a run that never got there counting as never)."""
    per_run = group[group.status == "ok"].groupby("run_id")[column].first()
    if per_run.empty:
        return "", ""
    reached = int(per_run.notna().sum())
    median = per_run.fillna(np.inf).median()
    return f"{reached} of {len(per_run)}", f"{median:.2f}" if np.isfinite(median) else "never"


def summary_table(runs) -> pd.DataFrame:
    rows = []
    for _, group in runs.groupby(["config_key", "provenance_key", "label"], observed=True):
        times = timed(group).train_s
        finals = group.sort_values("epoch").groupby("run_id").test_acc.last()
        median = times.median()
        iqr = times.quantile(0.75) - times.quantile(0.25)
        reached, to_target = seeds_to_target(group, "time_to_target_s")
        _, with_setup = seeds_to_target(group, "time_to_target_with_setup_s")
        fraction = timed(group).graph_fraction.median()
        rows.append(
            group.iloc[0][SHOWN].to_dict()
            | {
                "seeds": group.seed.nunique(),
                "median epoch s": f"{median:.4f}" if times.size else "",
                "IQR s": f"{iqr:.4f}" if times.size else "",
                "examples/s": f"{timed(group).examples_per_s.median():,.0f}" if times.size else "",
                "graphed steps": f"{fraction:.0%}" if fraction > 0 else "",
                "best test acc": f"{group.test_acc.max():.2%}" if group.test_acc.notna().any() else "",
                "final test acc": f"{finals.mean():.2%}" if finals.notna().any() else "",
                "reached target": reached,
                "time to target s": to_target,
                "with setup s": with_setup,
                "status": ", ".join(f"{s} ×{n}" for s, n in group.groupby("status").run_id.nunique().items()),
                "noisy": bool(times.size and iqr > NOISY_IQR * median),
            }
        )
    return pd.DataFrame(rows).sort_values(["label", "hidden", "batch_size"]) if rows else pd.DataFrame()


def not_run_table(runs) -> pd.DataFrame:
    bad = runs[runs.status != "ok"]
    per_run = bad.groupby("run_id").agg(
        **{c: (c, "first") for c in [*SHOWN, "seed", "status", "error"]}, epochs_done=("epoch", "max")
    )
    return per_run.reset_index(drop=True)


def named_files(runs: pd.DataFrame) -> list[tuple[str, dict]]:
    """(backend, options) of runs whose `path` option names another file than their conf default:
    a learner's own network.py, which gets an ease-of-use row of its own."""
    configured = source.backend_configs()
    extra = []
    for backend, text in (
        runs[["backend", "backend_options"]].dropna().drop_duplicates().itertuples(index=False)
    ):
        options = json.loads(text)
        if backend in configured and "path" in options and options != source.backend_options(backend):
            extra.append((backend, options))
    return extra


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


def write_report(runs: pd.DataFrame, out: Path, left_out: pd.DataFrame | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name in PLOTS:
        (out / name).unlink(missing_ok=True)
    makers = [
        plot_epoch_time,
        plot_speedup,
        plot_accuracy_by_epoch,
        plot_time_to_accuracy,
        plot_throughput,
        plot_gflops,
        plot_threads,
    ]
    drawn = dict(zip(PLOTS, [maker(runs, out) for maker in makers]))

    left_out = runs.iloc[:0] if left_out is None else left_out
    summary = summary_table(runs)
    noisy = summary[summary.noisy] if not summary.empty else summary
    speed_env = sorted(set(runs.speed_env.dropna()) - {""})
    speed = speedups(runs)
    lines = [
        "# backprop-bench report",
        "",
        "Nielsen's chapter-1 network (sigmoid, quadratic cost, mini-batch SGD) in NumPy and PyTorch, "
        f"measured from `{len(runs):,}` rows, {runs.run_id.nunique()} runs.",
        "",
        "## Environment",
        "",
        markdown_table(environment_table(runs)),
        *(
            [
                "Speed-changing environment variables were set for some runs: "
                + "; ".join(f"`{text}`" for text in speed_env)
                + ". They change which kernels or how many threads BLAS, OpenMP or the frameworks use "
                "(README, Measured pitfalls); runs made under different values are never pooled.",
                "",
            ]
            if speed_env
            else []
        ),
        f"Each configuration is reported from its newest set of runs (same commit, machine, libraries, "
        f"data and speed-changing variables); {left_out.run_id.nunique()} runs of older sets are "
        "left out and listed at the end (`--all-sets` shows them side by side).",
        "",
        "## Performance",
        "",
        "Epoch times are medians over the epochs after warm-up and over seeds; error bars are the IQR. "
        f"Plots other than the thread-count pitfall use runs at {standard_threads(runs)} thread(s) "
        "with no background load, launched one at a time; a backend that never ran at that count "
        "(a peer left at its library's default) is shown at its own, named in its label. "
        f"{runs[runs.parallel_jobs > 1].run_id.nunique()} runs shared their machine with parallel jobs; "
        "their times are in the summary table only, marked by `parallel_jobs`.",
        "",
    ]
    for name, title in PLOTS.items():
        lines.append(f"### {title}\n")
        if name == "gflops.png":
            lines.append(FLOPS_FORMULA + "\n")
        if drawn[name]:
            lines.append(f"![{title}]({name})\n")
        else:
            lines.append("_No data for this plot in these results._\n")
    if not speed.empty:
        lines += [f"Speed-up per epoch over {BASELINE}, at the settings both ran:\n"]
        table = speed.sort_values(["hidden", "batch_size", "speedup"])[
            ["label", "hidden", "batch_size", "speedup"]
        ]
        lines.append(markdown_table(table.assign(speedup=table.speedup.map("{:.1f}×".format))))
    lines += [
        "## Summary per configuration",
        "",
        "Time to target is cumulative training time until the validation accuracy first reaches "
        "`target_accuracy`, without and with setup (compilation, graph capture); a seed that never "
        "reached it counts as never in the median, and `reached target` says how many did. "
        "`graphed steps` is the share of an epoch's steps replayed from CUDA graphs.",
        "",
        markdown_table(summary.drop(columns="noisy") if not summary.empty else summary),
        "## Ease of use",
        "",
        "`statements run to train` counts the statements of `impls/` that execute while a backend is "
        "built, prepared (compilation, graph capture) and trains a short epoch on the CPU, found by "
        "tracing it, with TorchScript off so that its functions run as the Python they are written in; "
        "shared helpers it calls count, adapter methods only the harness calls (evaluation, "
        "parameters) do not. `logical lines in those files` counts every statement of the files it "
        "ran (comments and docstrings left out). Both are counted from the source when this report "
        "was made, beside what each implementation makes its user write by hand.",
        "",
        markdown_table(source.ease_of_use_table(extra=named_files(runs))),
        "## Flexibility",
        "",
        "Derived from each implementation: its declared devices, whether its source calls autograd, "
        "and which dtypes it trains in when tried on a tiny network.",
        "",
        markdown_table(source.flexibility_table()),
        "## What did not run",
        "",
        "Diverged runs are listed here and never plotted as times.",
        "",
        markdown_table(not_run_table(runs)),
        "## Noise",
        "",
        f"Configurations whose epoch-time IQR exceeds {NOISY_IQR:.0%} of the median:",
        "",
        markdown_table(noisy[[*SHOWN, "median epoch s", "IQR s"]] if not noisy.empty else noisy),
        "## Older sets left out",
        "",
        "Runs of a configuration made by other code, on another machine or with other libraries, "
        "data or variables than its newest runs:",
        "",
        markdown_table(left_out_table(left_out, runs)),
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Plots and report.md from a runs.parquet")
    parser.add_argument("parquet", nargs="?", default="results/runs.parquet", type=Path)
    parser.add_argument("--out", type=Path, help="output folder (default: report/ beside the parquet)")
    parser.add_argument(
        "--all-sets", action="store_true", help="report every provenance set side by side, labelled"
    )
    args = parser.parse_args(argv)
    try:
        runs, left_out = load(args.parquet, args.all_sets)
    except (ReportError, OSError, ValueError) as e:
        sys.exit(f"error: {e}")
    report = write_report(runs, args.out or args.parquet.parent / "report", left_out)
    print(f"wrote {report}")


if __name__ == "__main__":
    main()

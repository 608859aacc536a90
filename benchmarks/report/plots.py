"""Drawing the report's plots with seaborn, from runs prepared by benchmarks.report.summary.

Each plot function returns the file it wrote, or None when the runs hold no data for it.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..configuration import NIELSEN
from .figures import kept_figures
from .summary import BASELINE, quartiles, speedups, standard, thread_pitfall_data, timed

plt.switch_backend("Agg")

PLOTS = {
    "epoch_time.png": "Training time per epoch",
    "speedup.png": "Speed-up over Nielsen's loop",
    "accuracy_by_epoch.png": "Test accuracy by epoch",
    "time_to_accuracy.png": "Time to accuracy",
    "throughput.png": "Throughput",
    "gflops.png": "Achieved GFLOP/s",
    "threads.png": "The thread-count pitfall",
}
# What each plot needs, and what produces it, said where the plot would have been.
NEEDS = {
    "epoch_time.png": "finished runs at the usual thread count: `make bench` (the `default` preset)",
    "speedup.png": f"{BASELINE} runs beside others at the same settings: the `baseline` preset "
    "(`python run.py -m +sweep=baseline`, part of `make bench`)",
    "accuracy_by_epoch.png": "finished runs: `make bench`",
    "time_to_accuracy.png": f"runs at hidden {NIELSEN['hidden']}, batch {NIELSEN['batch_size']}: "
    "the `default` preset (`make bench`)",
    "throughput.png": "finished runs at the usual thread count: `make bench`",
    "gflops.png": "finished runs at the usual thread count: `make bench`",
    "threads.png": "runs at 1 and 2 threads, idle and with the other core busy: the `pitfalls` preset "
    "(`python run.py -m +sweep=pitfalls`, part of `make bench`)",
}


def variant_colours(runs: pd.DataFrame) -> dict[str, tuple]:
    """One colour per variant label, the same in every plot of a report: the labels in sorted order,
    including those the plots give backends shown at their own thread count, on one palette."""
    labels = sorted(set(runs.label) | set(standard(runs).label))
    palette = "tab10" if len(labels) <= 10 else "husl"
    return dict(zip(labels, sns.color_palette(palette, n_colors=len(labels))))


def facet_axes(n: int, title: str):
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.2), squeeze=False, sharey=True)
    fig.suptitle(title)
    return fig, axes[0]


def save(fig, out: Path, name: str, legend_rows: int = 0) -> str:
    """Save with room below the panels for a legend of `legend_rows` rows (about 0.2 inch each)."""
    reserve = (0.2 * legend_rows + 0.1) / fig.get_figheight() if legend_rows else 0
    fig.tight_layout(rect=(0, min(reserve, 0.5), 1, 1))
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def save_grid(grid, out: Path, name: str, title: str, title_y: float) -> str:
    """Save a seaborn grid under `title`, its legend titled by what its colours are."""
    grid.legend.set_title("variant")
    grid.figure.suptitle(title, y=title_y)
    grid.savefig(out / name, dpi=100)
    plt.close(grid.figure)
    return name


def legend_below(fig, axes, columns: int = 3) -> int:
    """One legend for all panels, below them, where it covers no data; returns its rows."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    fig.legend(entries.values(), entries.keys(), loc="lower center", ncol=columns, fontsize=8, frameon=False)
    return -(-len(entries) // columns)


def by_hidden_lines(stats, out, name, title, ylabel, palette, ref_line=None):
    hidden_sizes = sorted(stats.hidden.unique())
    fig, axes = facet_axes(len(hidden_sizes), title)
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
        if len(batches := stats[stats.hidden == hidden].batch_size.unique()) == 1:  # a point, not a line
            ax.set_xlim(batches[0] / 3, batches[0] * 3)
        ax.set(xscale="log", yscale="log", xlabel="mini-batch size (examples)")
        ax.set_title(f"{hidden} hidden neurons")
    axes[0].set_ylabel(ylabel)
    return save(fig, out, name, legend_below(fig, axes))


def plot_by_batch(runs, out, colours, name, value, title, ylabel, ref_line=None):
    """Median and IQR of `value` over timed epochs, against batch size, one panel per hidden size."""
    data = timed(standard(runs))
    if data.empty:
        return None
    stats = quartiles(data, ["label", "hidden", "batch_size"], value)
    return by_hidden_lines(stats, out, name, title, ylabel, colours, ref_line=ref_line)


def plot_epoch_time(runs, out, colours):
    title = "Training time per epoch (median, IQR bars)"
    return plot_by_batch(runs, out, colours, "epoch_time.png", "train_s", title, "seconds per epoch")


def plot_speedup(runs, out, colours):
    shared = speedups(runs)
    if shared.empty:
        return None
    hidden_sizes = sorted(shared.hidden.unique())
    fig, axes = facet_axes(len(hidden_sizes), f"Speed-up per epoch over {BASELINE} (Nielsen's loop)")
    for ax, hidden in zip(axes, hidden_sizes):
        part = shared[shared.hidden == hidden]
        sns.barplot(part, x="batch_size", y="speedup", hue="label", palette=colours, saturation=1, ax=ax)
        ax.axhline(1, color="grey", lw=1, ls="--", label=f"{BASELINE} = 1")
        ax.set(xlabel="mini-batch size (examples)", ylabel=f"speed-up (times faster than {BASELINE})")
        ax.set_title(f"{hidden} hidden neurons")
        ax.get_legend().remove()
    return save(fig, out, "speedup.png", legend_below(fig, axes, columns=2 if len(axes) == 1 else 3))


def plot_accuracy_by_epoch(runs, out, colours):
    data = standard(runs[runs.status == "ok"])
    if data.empty:
        return None
    grid = sns.relplot(
        data,
        x="epoch",
        y="test_acc",
        hue="label",
        palette=colours,
        col="batch_size",
        row="hidden",
        kind="line",
        errorbar="sd",
        height=3.2,
        aspect=1.2,
        facet_kws={"sharey": False},
    )
    grid.set_axis_labels("epoch", "test accuracy (fraction correct)")
    grid.set_titles("{row_name} hidden neurons, mini-batch {col_name}")
    title = "Test accuracy by epoch (mean, band = ±1 sd over seeds)"
    return save_grid(grid, out, "accuracy_by_epoch.png", title, 1.02)


def plot_time_to_accuracy(runs, out, colours):
    data = standard(runs[(runs.status == "ok") & (runs.hidden == NIELSEN["hidden"])])
    data = data[data.batch_size == NIELSEN["batch_size"]]
    if data.empty:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(
        data,
        x="elapsed_train_s",
        y="test_acc",
        hue="label",
        palette=colours,
        units="run_id",
        estimator=None,
        ax=ax,
    )
    target = data.target_accuracy.median()
    ax.axhline(
        target, color="grey", ls="--", lw=1, label=f"target {target:.0%} (the clock stops on validation)"
    )
    ax.set(
        xscale="log",
        xlabel="cumulative training time (seconds)",
        ylabel="test accuracy (fraction correct)",
        title="Time to accuracy at hidden 30, batch 10 (one line per run)",
    )
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.get_legend().remove()
    return save(fig, out, "time_to_accuracy.png", legend_below(fig, [ax], columns=2))


def plot_throughput(runs, out, colours):
    title = "Training throughput (median, IQR bars)"
    return plot_by_batch(runs, out, colours, "throughput.png", "examples_per_s", title, "examples per second")


def plot_gflops(runs, out, colours):
    peaks = timed(standard(runs)).groupby("peak_source").peak_gflops.median().dropna()
    styles = [":", "--", "-.", (0, (1, 3))]

    def peak_lines(ax):
        for (source_, peak), style in zip(peaks.items(), styles * len(peaks)):
            ax.axhline(peak, color="black", ls=style, lw=1.2, label=f"peak of {source_}: {peak:.0f}")

    title = "Achieved GFLOP/s against the measured matrix-product peak of each library"
    ylabel = "billions of operations per second (GFLOP/s)"
    return plot_by_batch(runs, out, colours, "gflops.png", "gflops", title, ylabel, ref_line=peak_lines)


def plot_threads(runs, out, colours):
    data = thread_pitfall_data(runs)
    if data.empty:
        return None
    data = data.assign(
        setting=data.threads.map({1: "1 thread", 2: "2 threads"})
        + ", "
        + np.where(data.background_load > 0, "other core busy", "idle")
    )
    order = ["1 thread, idle", "2 threads, idle", "1 thread, other core busy", "2 threads, other core busy"]
    grid = sns.catplot(
        data,
        x="setting",
        y="train_s",
        hue="label",
        palette=colours,
        col="batch_size",
        kind="bar",
        saturation=1,
        order=order,
        estimator="median",
        errorbar=("pi", 50),
        height=4,
        aspect=1.4,
        sharey=False,
    )
    grid.set_axis_labels("", "seconds per epoch (median, IQR bars)")
    grid.set_titles("mini-batch of {col_name}")
    for ax in grid.axes.flat:
        ax.tick_params(axis="x", rotation=20)
    title = "The thread-count pitfall: a second thread, idle and under load"
    return save_grid(grid, out, "threads.png", title, 1.03)


MAKERS = {
    "epoch_time.png": plot_epoch_time,
    "speedup.png": plot_speedup,
    "accuracy_by_epoch.png": plot_accuracy_by_epoch,
    "time_to_accuracy.png": plot_time_to_accuracy,
    "throughput.png": plot_throughput,
    "gflops.png": plot_gflops,
    "threads.png": plot_threads,
}


def draw_all(runs: pd.DataFrame, out: Path) -> dict[str, str | None]:
    """Every plot into `out`, replacing earlier ones; name -> file written, or None without data. Kept
    for these runs and this code (benchmarks.report.figures)."""

    def draw(folder: Path) -> dict[str, str | None]:
        colours = variant_colours(runs)
        return {name: MAKERS[name](runs, folder, colours) for name in PLOTS}

    return kept_figures("plots", __name__, [runs], PLOTS, out, draw)

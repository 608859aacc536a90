"""The Scaling section: how each backend's epoch time, share of its library's peak, gain from a
second thread and peak memory grow with the hidden size, from the `scale` preset (`make scale`).

The FLOPs of an epoch grow linearly with the hidden size, so a backend whose time is the FLOPs'
has a slope of 1 on the log-log plot; below it, fixed per-call costs still dominate.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from ..stats import NOISE_BAND
from .answers import pays_off_from, thread_gains
from .figures import kept_figures
from .plots import facet_axes, legend_below, save, variant_colours
from .render import Figure, Heading, Missing, Table, Text
from .summary import timed

SLOPE_FROM = 300  # below it, per-call overhead rather than FLOPs decides an epoch's time
SLOPE_BAND = (0.9, 1.1)
PEAK_TARGET = 0.7
NEEDS = (
    f"runs at three or more hidden sizes, one of them at least {SLOPE_FROM}: the `scale` preset "
    "(`make scale`)"
)
FIGURES = {
    "scaling_time.png": "Epoch time against hidden size",
    "scaling_peak.png": "Share of the library's peak against hidden size",
    "scaling_threads.png": "A second thread against hidden size",
    "scaling_memory.png": "Peak memory against hidden size",
}


def medians(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (label, backend, device, hidden, batch, threads), idle and alone: the median epoch time and
    GFLOP/s, the library's peak, and the run's peak memory."""
    data = timed(runs)
    data = data[(data.background_load == 0) & (data.parallel_jobs == 1)]
    keys = ["label", "backend", "device", "hidden", "batch_size", "threads"]
    stats = data.groupby(keys, observed=True).agg(
        train_s=("train_s", "median"),
        gflops=("gflops", "median"),
        peak_gflops=("peak_gflops", "median"),
        peak_rss_mb=("peak_rss_mb", "max"),
        peak_device_mb=("peak_device_mb", "max"),
    )
    return stats.reset_index().assign(share=lambda s: s.gflops / s.peak_gflops)


def applies(stats: pd.DataFrame) -> bool:
    return stats.hidden.nunique() >= 3 and (stats.hidden >= SLOPE_FROM).any()


def slopes(stats: pd.DataFrame) -> pd.DataFrame:
    """The least-squares slope of log(epoch time) against log(hidden) over hidden >= SLOPE_FROM, per
    (label, batch, threads) with at least two such sizes."""
    rows = []
    large = stats[stats.hidden >= SLOPE_FROM]
    for (label, batch, threads), line in large.groupby(["label", "batch_size", "threads"], observed=True):
        if line.hidden.nunique() >= 2:
            slope = np.polyfit(np.log(line.hidden), np.log(line.train_s), 1)[0]
            rows.append(
                {"label": label, "batch_size": batch, "threads": threads, "slope": slope}
                | {"hidden sizes": ", ".join(map(str, sorted(line.hidden.unique())))}
            )
    return pd.DataFrame(rows, columns=["label", "batch_size", "threads", "slope", "hidden sizes"])


def base_threads(stats: pd.DataFrame) -> int:
    """The thread count the time, peak and memory panels show: 1 where measured, else the fewest."""
    return 1 if (stats.threads == 1).any() else int(stats.threads.min())


def by_batch_panels(stats, value, out, name, title, ylabel, palette, yscale="log", line_label=None, ref=None):
    """`value` against hidden size, one panel per batch size, one line per variant."""
    batches = sorted(stats.batch_size.unique())
    fig, axes = facet_axes(len(batches), title)
    for ax, batch in zip(axes, batches):
        for label, line in stats[stats.batch_size == batch].groupby("label", observed=True):
            line = line.sort_values("hidden")
            text = line_label(label, batch) if line_label else label
            ax.plot(line.hidden, line[value], marker="o", label=text, color=palette[label])
        if ref is not None:
            ref(ax)
        ax.set(xscale="log", yscale=yscale, xlabel="hidden neurons")
        sizes = sorted(stats.hidden.unique())
        ax.set_xticks(sizes, [str(h) for h in sizes])
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(f"mini-batch of {batch}")
        if line_label:
            ax.legend(fontsize=7, frameon=False)
    axes[0].set_ylabel(ylabel)
    return save(fig, out, name, 0 if line_label else legend_below(fig, axes))


def plot_time(stats, fits, out, palette):
    threads = base_threads(stats)
    data = stats[stats.threads == threads]
    fitted = fits[fits.threads == threads].set_index(["label", "batch_size"]).slope

    def with_slope(label, batch):
        slope = fitted.get((label, batch))
        return f"{label}: slope {slope:.2f}" if slope is not None else label

    title = f"Epoch time, {threads} thread(s); slope from hidden {SLOPE_FROM} up"
    return by_batch_panels(
        data, "train_s", out, "scaling_time.png", title, "seconds per epoch", palette, line_label=with_slope
    )


def plot_peak(stats, out, palette):
    threads = base_threads(stats)
    data = stats[(stats.threads == threads) & stats.share.notna()]
    if data.empty:
        return None

    def target(ax):
        ax.axhline(PEAK_TARGET, color="grey", ls="--", lw=1, label=f"{PEAK_TARGET:.0%} of peak")
        ax.set_ylim(0, max(1.05, data.share.max() * 1.05))

    title = f"Share of the library's GEMM peak, {threads} thread(s)"
    return by_batch_panels(
        data, "share", out, "scaling_peak.png", title, "share of peak", palette, yscale="linear", ref=target
    )


def plot_threads(gains, out, palette):
    if gains.empty:
        return None

    def even(ax):
        ax.axhline(1, color="grey", ls="--", lw=1, label="no gain")

    title = "Speed-up from a second thread, idle"
    return by_batch_panels(
        gains.rename(columns={"gain": "speed-up"}), "speed-up", out, "scaling_threads.png", title,
        "1-thread time / 2-thread time", palette, yscale="linear", ref=even,
    )  # fmt: skip


def plot_memory(stats, out, palette):
    threads = base_threads(stats)
    data = stats[(stats.threads == threads) & stats.peak_rss_mb.notna()]
    if data.empty:
        return None
    title = f"Peak resident memory, {threads} thread(s)"
    return by_batch_panels(data, "peak_rss_mb", out, "scaling_memory.png", title, "MiB (log scale)", palette)


def time_takeaway(fits: pd.DataFrame, threads: int) -> str:
    fits = fits[fits.threads == threads]
    if fits.empty:
        return f"No variant ran at two or more hidden sizes from {SLOPE_FROM} up: no slope is fitted."
    low, high = SLOPE_BAND
    inside = fits[fits.slope.between(low, high)]
    below = fits[fits.slope < low]
    text = (
        f"Fitted from hidden {SLOPE_FROM} up, slopes run from {fits.slope.min():.2f} to "
        f"{fits.slope.max():.2f}; "
        f"{len(inside)} of {len(fits)} lie within {low}–{high}, where time grows as the FLOPs do."
    )
    if not below.empty:
        worst = below.loc[below.slope.idxmin()]
        text += (
            f" The lowest, {worst.label} at batch {worst.batch_size} ({worst.slope:.2f}), still pays "
            "per-call costs that a larger layer hides."
        )
    return text


def peak_takeaway(stats: pd.DataFrame, threads: int) -> str:
    data = stats[(stats.threads == threads) & stats.share.notna()]
    if data.empty:
        return "No run records its library's peak."
    hidden, batch = data.hidden.max(), data[data.hidden == data.hidden.max()].batch_size.max()
    cell = data[(data.hidden == hidden) & (data.batch_size == batch)].sort_values("share", ascending=False)
    parts = ", ".join(f"{row.label} {row.share:.0%}" for row in cell.itertuples())
    below = cell[cell.share < PEAK_TARGET].label.tolist()
    text = f"At hidden {hidden}, batch {batch}: {parts} of their libraries' peaks."
    return text + (f" Below {PEAK_TARGET:.0%}: {', '.join(below)}." if below else "")


def threads_takeaway(gains: pd.DataFrame) -> str:
    if gains.empty:
        return "No variant ran at both 1 and 2 threads."
    batch = gains.batch_size.max()
    parts = []
    for label, line in gains[gains.batch_size == batch].groupby("label", observed=True):
        start = pays_off_from(line)
        best = line.loc[line.gain.idxmax()]
        when = f"from hidden {start}" if start is not None else "at no size"
        parts.append(f"{label} {when} (best {best.gain:.2f}× at hidden {best.hidden})")
    return (
        f"At batch {batch}, a second thread pays off (more than {NOISE_BAND:.2f}×) for "
        + "; ".join(parts)
        + "."
    )


def memory_takeaway(stats: pd.DataFrame, threads: int) -> str:
    data = stats[(stats.threads == threads) & stats.peak_rss_mb.notna()]
    if data.empty:
        return "No run records its peak memory."
    largest = data[data.hidden == data.hidden.max()]
    low, high = largest.loc[largest.peak_rss_mb.idxmin()], largest.loc[largest.peak_rss_mb.idxmax()]
    text = (
        f"At hidden {low.hidden}, from {low.peak_rss_mb:,.0f} MiB ({low.label}, batch {low.batch_size}) "
        f"to {high.peak_rss_mb:,.0f} MiB ({high.label}, batch {high.batch_size}): everything the process "
        "holds, the MNIST arrays, the libraries and what earlier runs in the same process left included."
    )
    if data.peak_device_mb.notna().any():
        text += f" On CUDA, at most {data.peak_device_mb.max():,.0f} MiB allocated on the device."
    return text


def blocks(runs: pd.DataFrame, out: Path) -> list:
    """The Scaling section's blocks, its figures drawn into `out` (old ones removed; kept for these runs
    and this code, benchmarks.report.figures)."""
    for name in FIGURES:
        (out / name).unlink(missing_ok=True)
    section = [Heading(2, "Scaling")]
    stats = medians(runs)
    if stats.empty or not applies(stats):
        return [*section, Missing(f"No scaling figures from these results: they need {NEEDS}.")]
    threads = base_threads(stats)
    fits, gains, palette = slopes(stats), thread_gains(runs, by="label"), variant_colours(runs)
    section.append(
        Text(
            "The work of an epoch grows linearly with the hidden size, so where FLOPs decide its time the "
            "log-log slope is 1. Medians over the epochs after warm-up, idle, one run at a time."
        )
    )

    def draw(folder: Path) -> dict[str, str | None]:
        return {
            "scaling_time.png": plot_time(stats, fits, folder, palette),
            "scaling_peak.png": plot_peak(stats, folder, palette),
            "scaling_threads.png": plot_threads(gains, folder, palette),
            "scaling_memory.png": plot_memory(stats, folder, palette),
        }

    drawn = kept_figures("scaling", __name__, [runs], FIGURES, out, draw)
    takeaways = {
        "scaling_time.png": time_takeaway(fits, threads),
        "scaling_peak.png": peak_takeaway(stats, threads),
        "scaling_threads.png": threads_takeaway(gains),
        "scaling_memory.png": memory_takeaway(stats, threads),
    }
    for name, takeaway in takeaways.items():
        file = drawn[name]
        section.append(Heading(3, FIGURES[name]))
        section.append(Figure(file, FIGURES[name], takeaway) if file else Missing(takeaway))
        if name == "scaling_time.png" and not fits.empty:
            table = fits.assign(slope=fits.slope.map("{:.2f}".format))
            section += [
                Text(f"Fitted slopes of epoch time against hidden size, from hidden {SLOPE_FROM} up:")
            ]
            section.append(Table(table.sort_values(["threads", "batch_size", "label"])))
    plt.close("all")
    return section

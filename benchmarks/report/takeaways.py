"""The sentences under the report's plots: each plot's takeaway, in words, from the summary's numbers.

Each function returns None when the runs hold nothing to say it from.
"""

import pandas as pd

from ..configuration import NIELSEN
from .summary import (
    BASELINE,
    coinciding_curves,
    headline_setting,
    medians_by_setting,
    speedups,
    standard,
    thread_pitfall_data,
    timed,
)

FLOPS_FORMULA = (
    "FLOP per training example = 2·Σ n_in·n_out (forward) + 2·Σ n_in·n_out (weight gradients) "
    "+ 2·Σ_(l≥2) n_in·n_out (deltas sent back); for [784, h, 10] that is 4·784·h + 6·10·h. "
    "Achieved GFLOP/s = FLOP per example × 50,000 / epoch seconds / 10⁹."
)


def takeaway_epoch_time(runs: pd.DataFrame) -> str | None:
    medians = medians_by_setting(runs, "train_s")
    if medians.empty:
        return None
    hidden, batch = headline_setting(medians.index)
    at = medians.xs((hidden, batch), level=("hidden", "batch_size")).sort_values()
    if len(at) == 1:
        return f"At hidden {hidden}, batch {batch}, {at.index[0]} takes {at.iloc[0]:.3g} s per epoch."
    return (
        f"At hidden {hidden}, batch {batch}, {at.index[0]} is fastest at {at.iloc[0]:.3g} s per epoch and "
        f"{at.index[-1]} slowest at {at.iloc[-1]:.3g} s, {at.iloc[-1] / at.iloc[0]:.1f} times longer."
    )


def takeaway_speedup(runs: pd.DataFrame) -> str | None:
    shared = speedups(runs)
    if shared.empty:
        return None
    best = shared.loc[shared.speedup.idxmax()]
    return (
        f"The largest speed-up over {BASELINE} is {best.speedup:.1f}×, by {best.label} at batch "
        f"{best.batch_size}, hidden {best.hidden}; {BASELINE} itself barely speeds up with the batch size, "
        "since it works one example at a time."
    )


def takeaway_accuracy(runs: pd.DataFrame) -> str | None:
    data = standard(runs[runs.status == "ok"])
    if data.empty:
        return None
    means = data.groupby(["hidden", "batch_size", "label", "epoch"], observed=True).test_acc.mean()
    hidden, batch = headline_setting(means.index)
    panel = means.xs((hidden, batch), level=("hidden", "batch_size")).unstack("epoch")
    epoch = int(panel.notna().all().iloc[::-1].idxmax())  # the last epoch every variant reached
    at = panel[epoch].sort_values()
    text = (
        f"After {epoch} epochs at hidden {hidden}, batch {batch}, mean test accuracy runs from "
        f"{at.iloc[0]:.2%} ({at.index[0]}) to {at.iloc[-1]:.2%} ({at.index[-1]})."
    )
    panels = {}
    for hidden, batch, labels in coinciding_curves(runs):
        panels.setdefault((hidden, batch), []).append(" = ".join(labels))
    if panels:
        text += (
            "\nWhere one colour shows, lines lie on top of each other: these computed the same accuracies."
        )
        text += "".join(
            f"\n- batch {b}, hidden {h}: {'; '.join(groups)}" for (h, b), groups in panels.items()
        )
    return text


def takeaway_time_to_accuracy(runs: pd.DataFrame) -> str | None:
    data = standard(runs[(runs.status == "ok") & (runs.hidden == NIELSEN["hidden"])])
    data = data[data.batch_size == NIELSEN["batch_size"]]
    if data.empty:
        return None
    per_run = data.groupby(["label", "run_id"]).time_to_target_s.first()
    reached = per_run.dropna()
    target = data.target_accuracy.median()
    if reached.empty:
        return f"No run reached {target:.0%} validation accuracy in the epochs it ran."
    fastest = reached.groupby("label").median().sort_values()
    return (
        f"{len(reached)} of {len(per_run)} runs reached {target:.0%} validation accuracy; the fastest there "
        f"is {fastest.index[0]}, in a median {fastest.iloc[0]:.3g} s of training."
    )


def takeaway_throughput(runs: pd.DataFrame) -> str | None:
    medians = medians_by_setting(runs, "examples_per_s")
    if medians.empty:
        return None
    label, hidden, batch = medians.idxmax()
    return (
        f"The highest throughput is {medians.max():,.0f} examples per second, by {label} at batch {batch}, "
        f"hidden {hidden}: larger mini-batches mean fewer, larger matrix products."
    )


def takeaway_gflops(runs: pd.DataFrame) -> str | None:
    data = timed(standard(runs))
    if data.empty or data.peak_gflops.isna().all():
        return None
    share = (data.gflops / data.peak_gflops).groupby([data.label, data.hidden, data.batch_size]).median()
    label, hidden, batch = share.idxmax()
    low_hidden, low_batch = headline_setting(share.index)
    at = share.xs((low_hidden, low_batch), level=(1, 2))
    return (
        f"The best is {share.max():.0%} of its library's peak ({label} at batch {batch}, hidden {hidden}); "
        f"at batch {low_batch}, hidden {low_hidden} the best is {at.max():.0%} ({at.idxmax()}), "
        "where per-call overhead, not arithmetic, takes the time."
    )


def takeaway_threads(runs: pd.DataFrame) -> str | None:
    data = thread_pitfall_data(runs)
    if data.empty:
        return None
    medians = data.groupby(["label", "batch_size", "threads", "background_load"]).train_s.median()
    cells = medians.unstack(["threads", "background_load"])
    busy = (cells[(2, 1)] / cells[(1, 1)]).sort_values()
    label, batch = busy.index[-1]
    return (
        f"With the other core busy, 2 threads make {label} {busy.iloc[-1]:.1f} times slower than 1 thread "
        f"at batch {batch}, while 1 thread runs at its idle speed: pin threads, and record the load."
    )


TAKEAWAYS = {
    "epoch_time.png": takeaway_epoch_time,
    "speedup.png": takeaway_speedup,
    "accuracy_by_epoch.png": takeaway_accuracy,
    "time_to_accuracy.png": takeaway_time_to_accuracy,
    "throughput.png": takeaway_throughput,
    "gflops.png": takeaway_gflops,
    "threads.png": takeaway_threads,
}

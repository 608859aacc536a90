"""Compare two result sets, telling a real change from noise.

    python -m benchmarks.commands.compare OLD.parquet NEW.parquet [--min-change 5%] [--fail-above 10%]
                                 [--format md|csv]

Configurations are matched as benchmarks.configuration's CONFIGURATION defines
them (the backend and its options, device, dtype, the network and its training
settings, threads, background load and parallel jobs), and each side keeps only the
newest set of runs of each configuration, so no median pools two commits,
machines or library versions. Runs made while other work took the machine
(benchmarks.stats.busy) are left out where idle runs of their configuration
exist, with a warning. Each run counts once, by the median of its timed epochs;
the ratio of new to old is the ratio of the medians of those, with a 95%
bootstrap interval over the runs (benchmarks.stats). A configuration is
"faster" or "slower" only when that whole interval lies beyond both the noise
band (stats.NOISE_BAND) and --min-change; otherwise it says "no clear
difference" (with "too few runs" under stats.MIN_RUNS runs a side, where there is
no interval). With --fail-above, the exit code is 1 when a configuration is
slower with its whole interval beyond that change, so the command can guard CI
on a dedicated machine. A configuration with too few runs for an interval cannot
pass unseen: the gate judges it as pytest-benchmark's --benchmark-compare-fail
judges one measurement against another, from its medians alone (exit 1 when the
new median is slower by more than the change), and says so on stderr.

Exit codes: 0 nothing slower beyond --fail-above (or no --fail-above), 1 a
configuration slower beyond it, 2 unusable input (one line on stderr).
"""

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from .. import configuration, results, stats
from ..errors import command
from ..report.render import markdown_table
from ..stats import Comparison

SHOWN = ["variant", "batch_size", "hidden", "threads", "background_load", "parallel_jobs", "epochs"]
ENVIRONMENT = [*configuration.ENVIRONMENT, "threads"]
LOAD_WARNING = 0.5  # load average per core above which timings are suspect
COLUMNS = [
    *SHOWN,
    "old median s",
    "new median s",
    "ratio",
    "low",
    "high",
    "old runs",
    "new runs",
    "verdict",
    "accuracy change pp",
]


def fraction(text: str) -> float:
    """'5%' or '0.05' -> 0.05."""
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction such as 5% or 0.05") from None


def assume_default_options(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows written before backend options were recorded, given their backend's conf defaults,
    so that they can be matched; and how many rows needed that assumption."""
    unknown = runs.backend_options.isna()
    defaults = runs.backend.map(
        lambda b: configuration.options_text(configuration.default_options().get(b, {}))
    )
    return runs.assign(backend_options=runs.backend_options.fillna(defaults)), int(unknown.sum())


def busy_warning(name: str, runs: pd.DataFrame, left_out: int, busy_only: int) -> str | None:
    """What was done with one side's runs made while other work took the machine, if it has any."""
    n_busy = runs[stats.busy(runs)].run_id.nunique()
    if not n_busy:
        return None
    said = f"{left_out} left out, as idle runs of their configuration exist"
    if busy_only:
        said += f"; {busy_only} configuration(s) have busy runs only and are compared from them"
    return (
        f"{name} side: {n_busy} runs were made while other work took the machine (other processes over "
        f"{stats.BUSY_CORES} cores, or over {stats.BUSY_STEAL:.0%} of the time stolen by the hypervisor): "
        + said
    )


def side_stats(runs: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Per configuration, from its newest set, busy runs left out where idle ones exist: what it is,
    `seconds` (each run's median timed epoch) and mean final accuracy; and warnings about what was
    left out."""
    kept, older = configuration.newest_sets(runs)
    warnings = []
    if not older.empty:
        warnings.append(
            f"{name} side: {older.run_id.nunique()} runs of older sets (other commit, machine or "
            "libraries) left out"
        )
    ok = kept[kept.status == "ok"]
    ok, left_out, busy_only = stats.without_busy(ok)
    if warning := busy_warning(name, kept[kept.status == "ok"], left_out, busy_only):
        warnings.append(warning)
    ok = ok.assign(variant=configuration.variants(ok))
    per_run = ok.groupby("run_id").config_key.first().to_frame().join(stats.run_seconds(ok), how="inner")
    seconds = per_run.groupby("config_key").train_s.agg(list).rename("seconds")
    final = (
        ok.sort_values("epoch").groupby(["config_key", "run_id"]).test_acc.last().groupby("config_key").mean()
    )
    shown = ok.groupby("config_key")[SHOWN].last()
    if untimed := len(shown.index.difference(seconds.index)):
        warnings.append(
            f"{name} side: {untimed} configuration(s) have no timed epoch (the first is warm-up) and are "
            "not compared; run at least 2 epochs"
        )
    return shown.join(seconds, how="inner").join(final.rename("final_acc")), warnings


def verdict(comparison: Comparison) -> str:
    """'faster' or 'slower' (the new side against the old), or 'no clear difference'."""
    if comparison.decided:
        return "faster" if comparison.faster == "new" else "slower"
    if math.isnan(comparison.low):
        return "no clear difference (too few runs)"
    return "no clear difference"


def compare(old_runs: pd.DataFrame, new_runs: pd.DataFrame, min_change: float):
    """(matched table, configurations found on one side only as lines, warnings)."""
    warnings = []
    sides = {}
    for name, runs in (("old", old_runs), ("new", new_runs)):
        runs, assumed = assume_default_options(runs)
        if assumed:
            warnings.append(
                f"{name} side: {assumed} rows predate recorded backend options; "
                "matched as if they ran with conf/backend's defaults"
            )
        sides[name], side_warnings = side_stats(runs, name)
        warnings += side_warnings
    old, new = sides["old"], sides["new"]
    band = max(stats.NOISE_BAND, 1 + min_change)
    rows = []
    for key in old.index.intersection(new.index):
        o, n = old.loc[key], new.loc[key]
        comparison = stats.compare(key, "new", n.seconds, "old", o.seconds, band=band)
        ratio, low, high = comparison.a_over_b  # new over old
        rows.append(
            n[SHOWN].to_dict()
            | {
                "old median s": round(float(pd.Series(o.seconds).median()), 5),
                "new median s": round(float(pd.Series(n.seconds).median()), 5),
                "ratio": round(ratio, 3),
                "low": round(low, 3),
                "high": round(high, 3),
                "old runs": len(o.seconds),
                "new runs": len(n.seconds),
                "verdict": verdict(comparison),
                "accuracy change pp": round(100 * (n.final_acc - o.final_acc), 2),
            }
        )
    matched = pd.DataFrame(rows, columns=COLUMNS)
    unmatched = [
        f"only in {name}: " + ", ".join(f"{k}={v}" for k, v in side.loc[key, SHOWN].items())
        for name, side, other in (("old", old, new), ("new", new, old))
        for key in side.index.difference(other.index)
    ]
    return matched, unmatched, warnings


def readable(matched: pd.DataFrame) -> pd.DataFrame:
    """The matched table for people: the interval as one column ('1.08–1.12'), the runs as 'old / new'."""
    interval = [
        "" if math.isnan(low) else f"{low:.2f}–{high:.2f}" for low, high in zip(matched.low, matched.high)
    ]
    runs = [f"{o} / {n}" for o, n in zip(matched["old runs"], matched["new runs"])]
    table = matched.drop(columns=["low", "high", "old runs", "new runs"])
    table.insert(table.columns.get_loc("ratio") + 1, "95% interval", interval)
    table.insert(table.columns.get_loc("95% interval") + 1, "runs old / new", runs)
    return table


def environment_warnings(old_runs: pd.DataFrame, new_runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    columns = [c for c in ENVIRONMENT if c in old_runs.columns and c in new_runs.columns]

    def values(runs, column):
        return ", ".join(sorted(runs[column].dropna().astype(str).unique())) or "none"

    table = pd.DataFrame(
        {"old": [values(old_runs, c) for c in columns], "new": [values(new_runs, c) for c in columns]},
        index=columns,
    )
    warnings = [
        f"{c} differs: {table.old[c]} vs {table.new[c]}" for c in columns if table.old[c] != table.new[c]
    ]
    for name, runs in (("old", old_runs), ("new", new_runs)):
        # The harness's own background_load helpers are part of the experiment, not noise.
        per_core = ((runs.loadavg_start - runs.background_load) / runs.logical_cpus).max()
        if per_core > LOAD_WARNING:
            warnings.append(
                f"{name} side ran with load average up to {per_core:.2f} per core; its times are suspect"
            )
    return table, warnings


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Compare two runs.parquet files, noise-aware.")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument(
        "--min-change",
        type=fraction,
        default=0.05,
        help="smallest change that counts: a verdict needs the whole 95%% interval of new/old beyond it "
        f"(and beyond the noise band, {round(100 * (stats.NOISE_BAND - 1))}%%) (default 5%%)",
    )
    parser.add_argument(
        "--fail-above",
        type=fraction,
        help="exit 1 if a configuration is decided slower with the low end of its 95%% interval of "
        "new/old above 1 + this (10%%: surely over 10%% slower); a change inside the noise never fails. "
        f"Under {stats.MIN_RUNS} runs a side there is no interval: the median of new/old above 1 + this "
        "fails, with a warning",
    )
    parser.add_argument("--format", choices=["md", "csv"], default="md")
    args = parser.parse_args(argv)
    # Separate runs, configuration by configuration; the sides of pairs belong to the answers.
    old_runs, new_runs = results.whole(results.load(args.old)), results.whole(results.load(args.new))

    matched, unmatched, warnings = compare(old_runs, new_runs, args.min_change)
    env, env_warnings = environment_warnings(old_runs, new_runs)
    warnings += env_warnings
    if args.format == "csv":
        print(matched.to_csv(index=False), end="")
    else:
        print(
            markdown_table(readable(matched))
            if not matched.empty
            else "No configuration appears on both sides."
        )
        print("\nEnvironment:\n")
        print(markdown_table(env.reset_index(names="")), end="")
    for line in unmatched:
        print(line, file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)

    if args.fail_above is not None:
        return gate(matched, args.fail_above)
    return 0


def gate(matched: pd.DataFrame, fail_above: float) -> int:
    """1 when a configuration is slower than the old by more than `fail_above`: over its whole 95%
    interval, or, where too few runs give none, by its medians (said on stderr); else 0."""
    limit = 1 + fail_above
    no_interval = matched.low.isna()
    regressed = matched[~no_interval & (matched.verdict == "slower") & (matched.low > limit)]
    by_median = matched[no_interval & (matched.ratio > limit)]
    if no_interval.any():
        print(
            f"warning: {int(no_interval.sum())} configuration(s) have under {stats.MIN_RUNS} runs a side, "
            "too few for an interval; --fail-above judged them from their medians alone, as "
            "pytest-benchmark's --benchmark-compare-fail does, so noise can fail or pass them: "
            f"{len(by_median)} slower by more than {fail_above:.0%}. Give each side {stats.MIN_RUNS} runs "
            "for a decision beyond the noise",
            file=sys.stderr,
        )
    if not regressed.empty:
        print(
            f"{len(regressed)} configuration(s) slower by more than {fail_above:.0%} over the whole 95% "
            "interval",
            file=sys.stderr,
        )
    if not by_median.empty:
        print(
            f"{len(by_median)} configuration(s) slower by more than {fail_above:.0%} by their medians, "
            "without an interval",
            file=sys.stderr,
        )
    return 1 if len(regressed) or len(by_median) else 0


if __name__ == "__main__":
    sys.exit(main())

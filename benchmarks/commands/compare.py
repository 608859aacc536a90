"""Compare two result sets, telling a real change from noise.

    python -m benchmarks.commands.compare OLD.parquet NEW.parquet [--min-change 5%] [--fail-above 10%]
                                 [--format md|csv]

Configurations are matched as benchmarks.configuration's CONFIGURATION defines
them (the backend and its options, device, dtype, the network and its training
settings, threads, background load and parallel jobs), and each side keeps only the
newest set of runs of each configuration, so no median pools two commits,
machines or library versions. A change counts only when the medians differ by
more than both sides' IQR and by more than --min-change; otherwise it is
"same". With --fail-above, the exit code is 1 when any configuration got
slower by more than that, so the command can guard CI on a dedicated machine.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from benchmarks import configuration, results
from benchmarks.errors import command
from benchmarks.report.render import markdown_table

SHOWN = ["variant", "batch_size", "hidden", "threads", "background_load", "parallel_jobs", "epochs"]
ENVIRONMENT = [*configuration.ENVIRONMENT, "threads"]
LOAD_WARNING = 0.5  # load average per core above which timings are suspect


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


def side_stats(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Per configuration, from its newest set: what it is, epoch-time quartiles over timed epochs,
    and mean final accuracy; and how many runs of older sets were left out."""
    kept, left_out = configuration.newest_sets(runs)
    ok = kept[kept.status == "ok"]
    ok = ok.assign(variant=configuration.variants(ok))
    timed = ok[~ok.warmup.astype(bool)]
    times = timed.groupby("config_key").train_s.quantile([0.25, 0.5, 0.75]).unstack()
    times.columns = ["q25", "median", "q75"]
    final = (
        ok.sort_values("epoch").groupby(["config_key", "run_id"]).test_acc.last().groupby("config_key").mean()
    )
    shown = ok.groupby("config_key")[SHOWN].last()
    return shown.join(times).join(final.rename("final_acc")), left_out.run_id.nunique()


def verdict(old: pd.Series, new: pd.Series, min_change: float) -> str:
    difference = new["median"] - old["median"]
    noise = max(old.q75 - old.q25, new.q75 - new.q25)
    if abs(difference) <= noise or abs(difference) <= min_change * old["median"]:
        return "same"
    return "slower" if difference > 0 else "faster"


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
        sides[name], left_out = side_stats(runs)
        if left_out:
            warnings.append(
                f"{name} side: {left_out} runs of older sets (other commit, machine or libraries) left out"
            )
    old, new = sides["old"], sides["new"]
    both = old.index.intersection(new.index)
    rows = []
    for key in both:
        o, n = old.loc[key], new.loc[key]
        rows.append(
            n[SHOWN].to_dict()
            | {
                "old median s": round(o["median"], 5),
                "new median s": round(n["median"], 5),
                "ratio": round(n["median"] / o["median"], 3),
                "verdict": verdict(o, n, min_change),
                "accuracy change pp": round(100 * (n.final_acc - o.final_acc), 2),
            }
        )
    columns = [*SHOWN, "old median s", "new median s", "ratio", "verdict", "accuracy change pp"]
    matched = pd.DataFrame(rows, columns=columns)
    unmatched = [
        f"only in {name}: " + ", ".join(f"{k}={v}" for k, v in side.loc[key, SHOWN].items())
        for name, side, other in (("old", old, new), ("new", new, old))
        for key in side.index.difference(other.index)
    ]
    return matched, unmatched, warnings


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
    parser.add_argument("--min-change", type=fraction, default=0.05, help="smallest change that counts (5%%)")
    parser.add_argument("--fail-above", type=fraction, help="exit 1 if anything got slower by more than this")
    parser.add_argument("--format", choices=["md", "csv"], default="md")
    args = parser.parse_args(argv)
    old_runs, new_runs = results.load(args.old), results.load(args.new)

    matched, unmatched, warnings = compare(old_runs, new_runs, args.min_change)
    env, env_warnings = environment_warnings(old_runs, new_runs)
    warnings += env_warnings
    if args.format == "csv":
        print(matched.to_csv(index=False), end="")
    else:
        print(markdown_table(matched) if not matched.empty else "No configuration appears on both sides.")
        print("\nEnvironment:\n")
        print(markdown_table(env.reset_index(names="")), end="")
    for line in unmatched:
        print(line, file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)

    if args.fail_above is not None:
        regressed = matched[(matched.verdict == "slower") & (matched.ratio > 1 + args.fail_above)]
        if not regressed.empty:
            print(
                f"{len(regressed)} configuration(s) slower by more than {args.fail_above:.0%}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compare two result sets, telling a real change from noise.

    python -m benchmarks.compare OLD.parquet NEW.parquet [--min-change 5%] [--fail-above 10%]
                                 [--format md|csv]

Configurations are matched on backend, device, batch size, hidden size, dtype,
threads and background load. A change counts only when the medians differ by
more than both sides' IQR and by more than --min-change; otherwise it is "same".
With --fail-above, the exit code is 1 when any configuration got slower by more
than that, so the command can guard CI on a dedicated machine.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from benchmarks import results
from benchmarks.markdown import markdown_table

KEYS = ["backend", "device", "batch_size", "hidden", "dtype", "threads", "background_load"]
ENVIRONMENT = ["cpu_model", "logical_cpus", "cuda_device", "python", "numpy", "torch", "blas", "threads"]
LOAD_WARNING = 0.5  # load average per core above which timings are suspect


class CompareError(Exception):
    pass


def fraction(text: str) -> float:
    """'5%' or '0.05' -> 0.05."""
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction such as 5% or 0.05") from None


def load(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise CompareError(f"{path} does not exist")
    runs = pd.read_parquet(path)
    missing = set(KEYS) - set(runs.columns)
    if missing:
        raise CompareError(f"{path} lacks columns {sorted(missing)}; it was not written by this harness")
    if runs.empty:
        raise CompareError(f"{path} holds no runs")
    if "schema_version" in runs:
        try:
            runs = results.upgrade(runs)
        except results.SchemaError as e:
            raise CompareError(f"{path}: {e}") from None
    return runs


def side_stats(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: epoch-time quartiles over timed epochs, and mean final accuracy."""
    ok = runs[runs.status == "ok"]
    timed = ok[~ok.warmup.astype(bool)]
    times = timed.groupby(KEYS).train_s.quantile([0.25, 0.5, 0.75]).unstack()
    times.columns = ["q25", "median", "q75"]
    final = ok.sort_values("epoch").groupby([*KEYS, "run_id"]).test_acc.last().groupby(KEYS).mean()
    return times.join(final.rename("final_acc"), how="outer")


def verdict(old: pd.Series, new: pd.Series, min_change: float) -> str:
    difference = new["median"] - old["median"]
    noise = max(old.q75 - old.q25, new.q75 - new.q25)
    if abs(difference) <= noise or abs(difference) <= min_change * old["median"]:
        return "same"
    return "slower" if difference > 0 else "faster"


def compare(old_runs: pd.DataFrame, new_runs: pd.DataFrame, min_change: float):
    old, new = side_stats(old_runs), side_stats(new_runs)
    both = old.index.intersection(new.index)
    rows = []
    for key in both:
        o, n = old.loc[key], new.loc[key]
        rows.append(
            dict(zip(KEYS, key))
            | {
                "old median s": round(o["median"], 5),
                "new median s": round(n["median"], 5),
                "ratio": round(n["median"] / o["median"], 3),
                "verdict": verdict(o, n, min_change),
                "accuracy change pp": round(100 * (n.final_acc - o.final_acc), 2),
            }
        )
    matched = pd.DataFrame(
        rows, columns=[*KEYS, "old median s", "new median s", "ratio", "verdict", "accuracy change pp"]
    )
    unmatched = [("old", key) for key in old.index.difference(both)] + [
        ("new", key) for key in new.index.difference(both)
    ]
    return matched, unmatched


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Compare two runs.parquet files, noise-aware.")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--min-change", type=fraction, default=0.05, help="smallest change that counts (5%%)")
    parser.add_argument("--fail-above", type=fraction, help="exit 1 if anything got slower by more than this")
    parser.add_argument("--format", choices=["md", "csv"], default="md")
    args = parser.parse_args(argv)
    try:
        old_runs, new_runs = load(args.old), load(args.new)
    except (CompareError, OSError, ValueError) as e:
        sys.exit(f"error: {e}")

    matched, unmatched = compare(old_runs, new_runs, args.min_change)
    env, warnings = environment_warnings(old_runs, new_runs)
    if args.format == "csv":
        print(matched.to_csv(index=False), end="")
    else:
        print(markdown_table(matched) if not matched.empty else "No configuration appears on both sides.")
        print("\nEnvironment:\n")
        print(markdown_table(env.reset_index(names="")), end="")
    for side, key in unmatched:
        print(f"only in {side}: " + ", ".join(f"{k}={v}" for k, v in zip(KEYS, key)), file=sys.stderr)
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

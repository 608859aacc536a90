"""python -m benchmarks.report [PARQUET_OR_FOLDER ...] [--out DIR] [--all-sets]: see benchmarks.report."""

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..errors import command
from . import paired
from .document import load, write_report


def printed(runs: pd.DataFrame, parquets: list, answers: str, out: Path) -> str:
    """What the command prints: the answers as text, between the runs (and pairs) they came from and
    the report's files (the README quotes it, written by benchmarks.commands.docs)."""
    whole, pairs = paired.split(runs)
    measured = f"{whole.run_id.nunique()} runs" + (
        f" and {pairs.pair_id.nunique()} pairs" if len(pairs) else ""
    )
    return (
        f"Answers, from {measured} in {', '.join(map(str, parquets))}:\n\n{answers}\n\n"
        f"Full report: {out / 'report.md'} and {out / 'report.html'} (one file, opens in any browser)"
    )


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Answers, plots and tables from a runs.parquet")
    parser.add_argument(
        "parquet",
        nargs="*",
        default=[Path("results/runs.parquet")],
        type=Path,
        help="result sets, or folders of them, merged into one report (runs of several machines are "
        "answered per machine)",
    )
    parser.add_argument("--out", type=Path, help="output folder (default: report/ beside the first parquet)")
    parser.add_argument(
        "--all-sets", action="store_true", help="report every provenance set side by side, labelled"
    )
    args = parser.parse_args(argv)
    runs, left_out = load(args.parquet, args.all_sets)
    first = args.parquet[0]
    out = args.out or (first if first.is_dir() else first.parent) / "report"
    text = write_report(runs, out, left_out)
    print(printed(runs, args.parquet, text, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

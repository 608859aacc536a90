"""python -m benchmarks.report [PARQUET_OR_FOLDER ...] [--out DIR] [--all-sets]: see benchmarks.report."""

import argparse
import sys
from pathlib import Path

from benchmarks.errors import command
from benchmarks.report.document import load, write_report


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
    print(f"Answers, from {runs.run_id.nunique()} runs in {', '.join(map(str, args.parquet))}:\n")
    print(text)
    print(f"\nFull report: {out / 'report.md'} and {out / 'report.html'} (one file, opens in any browser)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

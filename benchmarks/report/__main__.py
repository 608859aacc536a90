"""python -m benchmarks.report [PATH_TO_PARQUET] [--out DIR] [--all-sets]: see benchmarks.report."""

import argparse
import sys
from pathlib import Path

from benchmarks.errors import command
from benchmarks.report.document import load, write_report
from benchmarks.report.render import as_text


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Answers, plots and tables from a runs.parquet")
    parser.add_argument("parquet", nargs="?", default="results/runs.parquet", type=Path)
    parser.add_argument("--out", type=Path, help="output folder (default: report/ beside the parquet)")
    parser.add_argument(
        "--all-sets", action="store_true", help="report every provenance set side by side, labelled"
    )
    args = parser.parse_args(argv)
    runs, left_out = load(args.parquet, args.all_sets)
    out = args.out or args.parquet.parent / "report"
    verdicts = write_report(runs, out, left_out)
    print(f"Answers, from {runs.run_id.nunique()} runs in {args.parquet}:\n")
    print(as_text(verdicts))
    print(f"\nFull report: {out / 'report.md'} and {out / 'report.html'} (one file, opens in any browser)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The report: the answers in words, then the plots and tables behind them, from results/runs.parquet.

    python -m benchmarks.report [PATH_TO_PARQUET] [--out DIR] [--all-sets]

Writes report.md, report.html (one self-contained file) and the PNG plots into
DIR (default: a `report` folder beside the parquet), then prints the answers.
Every number comes from the parquet or, for ease of use and flexibility, from
the implementations' source; what cannot be drawn from the data at hand is said
where it would have been, with what produces it.

Runs are grouped by configuration as benchmarks.configuration defines it, and
never pooled across provenance (code, machine, libraries, data, speed-changing
environment variables): for each configuration the report uses the newest set
and lists what it left out; --all-sets shows every set side by side, labelled.

The work is split by job: benchmarks.summary selects and summarises (pandas),
benchmarks.plots draws, benchmarks.answers judges the claims, benchmarks.render
writes Markdown and HTML; this module puts them together.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from benchmarks import answers, configuration, results, source
from benchmarks.plots import NEEDS, PLOTS, draw_all
from benchmarks.render import Answers, Figure, Heading, Missing, Table, Text, to_html, to_markdown
from benchmarks.summary import (
    BASELINE,
    FLOPS_FORMULA,
    NOISY_IQR,
    SHOWN,
    TAKEAWAYS,
    environment_table,
    left_out_table,
    named_files,
    not_run_table,
    prepare,
    run_requests,
    speedups,
    standard_threads,
    summary_table,
)

TITLE = "backprop-bench report"


class ReportError(Exception):
    pass


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


def judged(runs: pd.DataFrame) -> tuple[list[answers.Answer], pd.DataFrame, pd.DataFrame]:
    """(answers, ease-of-use table, flexibility table) for these runs."""
    ease = source.ease_of_use_table(extra=named_files(runs))
    flexibility = source.flexibility_table()
    requests = run_requests(runs[runs.status == "ok"])
    labels = {source.request_label(name, options) for name, options in requests}
    gradients = source.gradient_check_table(requests)
    verdicts = answers.judge(
        runs, ease[ease.backend.isin(labels)], flexibility, gradients, source.backend_kinds()
    )
    return verdicts, ease, flexibility


def plot_blocks(runs: pd.DataFrame, drawn: dict[str, str | None]) -> list:
    blocks = []
    for name, title in PLOTS.items():
        blocks.append(Heading(3, title))
        if name == "gflops.png":
            blocks.append(Text(FLOPS_FORMULA))
        if drawn[name]:
            blocks.append(Figure(name, title, TAKEAWAYS[name](runs)))
        else:
            blocks.append(Missing(f"Not drawn: these results hold no data for it. It needs {NEEDS[name]}."))
    return blocks


def write_report(runs: pd.DataFrame, out: Path, left_out: pd.DataFrame | None = None) -> list[answers.Answer]:
    """Write report.md, report.html and the plots into `out`; return the answers."""
    out.mkdir(parents=True, exist_ok=True)
    left_out = runs.iloc[:0] if left_out is None else left_out
    drawn = draw_all(runs, out)
    verdicts, ease, flexibility = judged(runs)
    summary = summary_table(runs)
    noisy = summary[summary.noisy] if not summary.empty else summary
    speed_env = sorted(set(runs.speed_env.dropna()) - {""})
    speed = speedups(runs)
    threads = standard_threads(runs)
    blocks = [
        Heading(1, TITLE),
        Text(
            "Nielsen's chapter-1 network (sigmoid, quadratic cost, mini-batch SGD) in NumPy and PyTorch, "
            f"measured in {runs.run_id.nunique()} runs ({len(runs):,} rows)."
        ),
        Heading(2, "Answers"),
        Text(
            "The claims a learner's comparison makes, each judged from the runs below and from the "
            "implementations' own source, on this machine."
        ),
        Answers(verdicts),
        Heading(2, "Environment"),
        Table(environment_table(runs)),
    ]
    if speed_env:
        blocks.append(
            Text(
                "Speed-changing environment variables were set for some runs: "
                + "; ".join(f"`{text}`" for text in speed_env)
                + ". They change which kernels or how many threads BLAS, OpenMP or the frameworks use "
                "(README, Measured pitfalls); runs made under different values are never pooled."
            )
        )
    blocks += [
        Text(
            "Each configuration is reported from its newest set of runs (same commit, machine, libraries, "
            "data and speed-changing variables); runs of older sets "
            f"({left_out.run_id.nunique() or 'none here'}) are left out and listed at the end "
            "(`--all-sets` shows them side by side)."
        ),
        Heading(2, "Performance"),
        Text(
            "Epoch times are medians over the epochs after warm-up and over seeds; error bars are the IQR. "
            f"Plots other than the thread-count pitfall use runs at {threads} "
            f"thread{'s' if threads > 1 else ''} with no background load, launched one at a time; a backend "
            "that never ran at that count (a peer left at its library's default) is shown at its own, named "
            "in its label. Runs that shared their machine with parallel jobs "
            f"({runs[runs.parallel_jobs > 1].run_id.nunique() or 'none here'}) appear in the summary table "
            "only, marked by `parallel_jobs`."
        ),
        *plot_blocks(runs, drawn),
    ]
    if speed.empty:
        blocks.append(Missing(f"No speed-up table: it needs {NEEDS['speedup.png']}."))
    else:
        table = speed.sort_values(["hidden", "batch_size", "speedup"])[
            ["label", "hidden", "batch_size", "speedup"]
        ]
        blocks += [
            Text(f"Speed-up per epoch over {BASELINE}, at the settings both ran:"),
            Table(table.assign(speedup=table.speedup.map("{:.1f}×".format))),
        ]
    blocks += [
        Heading(2, "Summary per configuration"),
        Text(
            "Time to target is cumulative training time until the validation accuracy first reaches "
            "`target_accuracy`, without and with setup (compilation, graph capture); a seed that never "
            "reached it counts as never in the median, and `reached target` says how many did. "
            "`graphed steps` is the share of an epoch's steps replayed from CUDA graphs."
        ),
        Table(summary.drop(columns="noisy") if not summary.empty else summary),
        Heading(2, "Ease of use"),
        Text(
            "`statements run to train` counts the statements that execute while a backend is built, "
            "prepared (compilation, graph capture) and trains a short epoch on the CPU, found by tracing "
            "it, with TorchScript off so that its functions run as the Python they are written in: the "
            "files of `impls/` it runs, or for `yours` the learner's own files. Shared helpers it calls "
            "count; adapter methods only the harness calls (evaluation, parameters) do not. `logical lines "
            "in those files` counts every statement of those files (comments and docstrings left out). "
            "Both are counted from the source when this report was made."
        ),
        Table(ease.drop(columns="name")),
        Heading(2, "Flexibility"),
        Text(
            "Derived from each implementation: its declared devices, whether its source calls autograd, "
            "and which dtypes it trains in when tried on a tiny network."
        ),
        Table(flexibility),
        Heading(2, "What did not run"),
        Text("Diverged runs are listed here and never plotted as times."),
        Table(not_run_table(runs)),
        Heading(2, "Noise"),
        Text(f"Configurations whose epoch-time IQR exceeds {NOISY_IQR:.0%} of the median:"),
        Table(noisy[[*SHOWN, "median epoch s", "IQR s"]] if not noisy.empty else noisy),
        Heading(2, "Older sets left out"),
        Text(
            "Runs of a configuration made by other code, on another machine or with other libraries, "
            "data or variables than its newest runs:"
        ),
        Table(left_out_table(left_out, runs)),
    ]
    (out / "report.md").write_text(to_markdown(blocks))
    (out / "report.html").write_text(to_html(blocks, out, TITLE))
    return verdicts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Answers, plots and tables from a runs.parquet")
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
    out = args.out or args.parquet.parent / "report"
    verdicts = write_report(runs, out, left_out)
    print(f"Answers, from {runs.run_id.nunique()} runs in {args.parquet}:\n")
    print(answers.as_text(verdicts))
    print(f"\nFull report: {out / 'report.md'} and {out / 'report.html'} (one file, opens in any browser)")


if __name__ == "__main__":
    main()

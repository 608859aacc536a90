"""The report as a document: the answers, then the plots and tables behind them, as blocks that
benchmarks.report.render writes out as Markdown and HTML."""

import json
import math
from pathlib import Path

import pandas as pd

from .. import configuration, results, stats
from ..env import users_speed_env
from . import across, answers, machines, noise, paired, scaling, sections, source
from .flexibility import flexibility_matrix, report_blocks
from .plots import NEEDS, PLOTS, draw_all
from .render import (
    Answers,
    Figure,
    Heading,
    Missing,
    NotJudgedLines,
    Table,
    Text,
    as_text,
    not_judged_text,
    to_html,
    to_markdown,
)
from .summary import (
    BASELINE,
    NOISY_IQR,
    SHOWN,
    distinct_labels,
    environment_table,
    left_out_table,
    named_files,
    not_run_table,
    prepare,
    run_requests,
    shared_settings,
    speedup_matrix,
    standard_threads,
    summary_table,
)
from .takeaways import FLOPS_FORMULA, TAKEAWAYS

TITLE = "backprop-bench report"


def result_files(paths: list[Path]) -> list[Path]:
    """The result sets named: files as given; in a folder, every runs.parquet below it (a results
    folder's own per-run files are already in its runs.parquet), else every parquet file in it."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(path.rglob("runs.parquet")) or sorted(path.glob("*.parquet"))
            if not inside:
                raise results.ResultsError(
                    f"{path} holds no result sets (runs.parquet); give files or a results folder"
                )
            found += inside
        else:
            found.append(path)
    return found


def load(paths: Path | list[Path], all_sets: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs to report, runs left out because a newer set of the same configuration exists on the
    same machine), from one result set or several merged; a run in two files counts once."""
    files = result_files([paths] if isinstance(paths, str | Path) else paths)
    runs = pd.concat([results.load(f) for f in files], ignore_index=True)
    runs = configuration.with_keys(runs.drop_duplicates(["run_id", "epoch"], ignore_index=True))
    runs = runs.assign(machine=machines.identify(runs))
    if all_sets:
        return prepare(runs), runs.iloc[:0]
    # Pairs and whole runs of one configuration are sets apart: the newer never hides the other.
    kinds = [runs.machine, results.paired(runs)]
    sets = [configuration.newest_sets(group) for _, group in runs.groupby(kinds, observed=True)]
    kept = pd.concat([k for k, _ in sets]).sort_index()
    left_out = pd.concat([lo for _, lo in sets]).sort_index()
    return prepare(kept), left_out


def judged(runs: pd.DataFrame) -> tuple[list[answers.Answer], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(answers, ease-of-use table, flexibility table, chapter 3's flexibility matrix) for these runs."""
    whole, _ = paired.split(runs)
    ease = source.ease_of_use_table(extra=named_files(whole))
    flexibility = source.flexibility_table()
    matrix = flexibility_matrix(whole)
    requests = run_requests(whole[whole.status == "ok"])
    labels = {source.request_label(name, options) for name, options in requests}
    gradients = source.gradient_check_table(requests)
    verdicts = answers.judge(
        runs, ease[ease.backend.isin(labels)], flexibility, gradients, source.backend_kinds(), matrix
    )
    return verdicts, ease, flexibility, matrix


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


def by_field(table: pd.DataFrame) -> pd.DataFrame:
    """A table of few rows and many columns turned to fit a page: a row per field, a column per row."""
    turned = table.T
    turned.columns = [f"set {n}" for n in range(1, len(table) + 1)] if len(table) > 1 else ["value"]
    return turned.reset_index(names="")


def claims_json(verdicts: list[answers.Answer]) -> list[dict]:
    return [
        {
            "number": number,
            "question": a.question,
            "claim": a.claim,
            "verdict": a.verdict,
            "evidence": a.evidence,
            "comparisons": [c.as_dict() for c in a.comparisons],
        }
        for number, a in enumerate(verdicts, start=1)
    ]


def claims_from_json(claims: list[dict]) -> list[answers.Answer]:
    """The answers back from answers.json's claims, as claims_json wrote them. A comparison's
    `a_over_b` is not saved: it is rebuilt from the faster side, or where none is from the side ahead,
    and unknown (NaN) where the medians were equal."""
    nan = (math.nan,) * 3

    def comparison(row: dict) -> stats.Comparison:
        values = [math.nan if row[f] is None else row[f] for f in ("ratio", "low", "high")]
        ratio, low, high = values
        sides = tuple(row["sides"])
        a_over_b = {sides[1]: (ratio, low, high), sides[0]: (1 / ratio, 1 / high, 1 / low)}
        return stats.Comparison(
            row["key"],
            sides,
            row["faster"],
            *values,
            tuple(row["runs"]),
            a_over_b.get(row["faster"] or row.get("ahead"), nan),
            row.get("design", "runs"),
            tuple(math.nan if v is None else v for v in row["whole_runs"]) if row.get("whole_runs") else None,
        )

    return [
        answers.Answer(
            c["question"], c["claim"], c["verdict"], c["evidence"], list(map(comparison, c["comparisons"]))
        )
        for c in claims
    ]


def answers_text(saved: dict) -> str:
    """The answers as the terminal shows them, from a one-machine answers.json (the README quotes the
    sample's through benchmarks.commands.docs)."""
    not_judged = tuple(answers.NotJudged(**entry) for entry in saved.get("not_judged", []))
    printed = as_text(claims_from_json(saved["claims"]))
    return f"{printed}\n\n{not_judged_text(not_judged)}" if not_judged else printed


def answers_json(runs: pd.DataFrame, verdicts: list[answers.Answer]) -> dict:
    """What answers.json holds: the machine the runs were measured on, and every claim's verdict with
    the comparisons it was built from (benchmarks.stats.Comparison.as_dict)."""
    machine = machines.describe(runs)[0]
    return {"machine": machine, "claims": claims_json(verdicts)}


def write_report(runs: pd.DataFrame, out: Path, left_out: pd.DataFrame | None = None) -> str:
    """Write report.md, report.html, answers.json and the plots into `out`; return the answers as
    text for the terminal. Runs of several machines get the answers per machine; the plots and
    tables below them show the newest machine's runs."""
    out.mkdir(parents=True, exist_ok=True)
    left_out = runs.iloc[:0] if left_out is None else left_out
    runs = runs.assign(machine=machines.machine_of(runs))
    described = machines.describe(runs)
    across_machines = None
    if len(described) > 1:
        across_machines = across.per_machine(runs, lambda subset: judged(prepare(subset))[0])
        runs_all, runs = paired.split(runs)[0], prepare(runs[runs.machine == described[0]["id"]])
    verdicts, ease, flexibility, matrix = judged(runs)
    runs, pairs = paired.split(runs)
    drawn = draw_all(runs, out)
    summary = summary_table(runs)
    noisy = summary[summary.noisy] if not summary.empty else summary
    speed_env = sorted(set(runs.speed_env.dropna().map(users_speed_env)) - {""})
    speed = speedup_matrix(runs)
    threads = standard_threads(runs)
    shared = shared_settings(distinct_labels(runs))
    blocks = [
        Heading(1, TITLE),
        Text(
            "Nielsen's network (chapter 1's: sigmoid, quadratic cost, mini-batch SGD, unless a label or the "
            "Performance section says otherwise) in NumPy, PyTorch, numba and JAX, "
            f"measured in {runs.run_id.nunique()} runs ({len(runs):,} rows)"
            + (f" and {pairs.pair_id.nunique()} pairs (the Noise section)." if not pairs.empty else ".")
        ),
        Heading(2, "Answers"),
    ]
    if across_machines:
        blocks += [*across.blocks(across_machines), NotJudgedLines(answers.NOT_JUDGED)]
        blocks += [
            Heading(2, "Environment"),
            Table(across.environment_frame(across_machines)),
            *across.plot_blocks(runs_all, across_machines, out),
            Text(f"Everything below comes from the newest machine's runs: {described[0]['label']}."),
            Table(by_field(environment_table(runs))),
        ]
    else:
        blocks += [
            Text(
                "The claims a learner's comparison makes, each judged from the runs below and from the "
                f"implementations' own source, on this machine ({described[0]['label']})."
            ),
            Answers(verdicts),
            NotJudgedLines(answers.NOT_JUDGED),
            Heading(2, "Environment"),
            Table(by_field(environment_table(runs))),
        ]
    if speed_env:
        blocks.append(
            Text(
                "Speed-changing environment variables were set for these runs: "
                + "; ".join(f"`{text}`" for text in speed_env)
                + ". They change which kernels or how many threads BLAS, OpenMP or the frameworks use "
                "(docs/fairness.md); runs made under different values are never pooled."
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
            (f"Every run here has {', '.join(shared)}; the labels leave it out. " if shared else "")
            + "Epoch times are medians over the epochs after warm-up and over seeds; error bars are the IQR. "
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
        blocks += [
            Text(
                f"Speed-up per epoch over {BASELINE}, with its 95% interval over runs, at the settings both "
                "ran (blank where one did not run):"
            ),
            Table(speed),
        ]
    blocks += scaling.blocks(runs, out)
    blocks += sections.blocks(runs)
    code = ["backend", "statements run to train", "logical lines in those files", "files"]
    not_run, reasons = not_run_table(runs)
    blocks += [
        Heading(2, "Ease of use"),
        Text(
            "`statements run to train` counts the statements that execute while a backend is built, "
            "prepared (compilation, graph capture) and trains a short epoch on the CPU, found by tracing "
            "it, with TorchScript off so that its functions run as the Python they are written in: the "
            "files of `impls/` it runs, or for `yours` the learner's own files. Shared helpers it calls "
            "count; adapter methods only the harness calls (evaluation, parameters) do not. `logical lines "
            "in those files` counts every statement of those files (comments and docstrings left out)."
        ),
        Text(
            "These counts, the Flexibility section's and the gradient checks describe the code of "
            f"{source.measured_code(named_files(runs))}."
        ),
        Table(ease[code]),
        Text("What each backend writes itself and what its library does for it:"),
        Table(ease.drop(columns=["name", *code[1:]])),
        Heading(2, "Flexibility"),
        *report_blocks(runs, matrix, out),
        Heading(3, "Devices and dtypes"),
        Text(
            "Derived from each implementation: its declared devices, whether its source calls autograd, "
            "and which dtypes it trains in when tried on a tiny network."
        ),
        Table(flexibility),
        Heading(2, "What did not run"),
        Text("Diverged runs are listed here and never plotted as times. `why` numbers the reason below."),
        Table(not_run),
        *[Text(f"{number}. {reason}") for number, reason in enumerate(reasons, start=1)],
        Heading(2, "Noise"),
        *noise.noise_blocks([c for v in verdicts for c in v.comparisons], paired.sides_seconds(pairs)),
        Text(f"Configurations whose epoch-time IQR exceeds {NOISY_IQR:.0%} of the median:"),
        Table(noisy[[*SHOWN, "median epoch s", "IQR s"]] if not noisy.empty else noisy),
        Heading(2, "Older sets left out"),
        Text(
            "Runs of a configuration made by other code, on another machine or with other libraries, "
            "data or variables than its newest runs:"
        ),
        Table(left_out_table(left_out, runs)),
    ]
    saved = across.answers_json(across_machines) if across_machines else answers_json(runs, verdicts)
    saved["not_judged"] = [vars(entry) for entry in answers.NOT_JUDGED]
    (out / "answers.json").write_text(json.dumps(saved, indent=2, default=str) + "\n")
    (out / "report.md").write_text(to_markdown(blocks))
    (out / "report.html").write_text(to_html(blocks, out, TITLE))
    printed = across.as_text(across_machines) if across_machines else as_text(verdicts)
    return f"{printed}\n\n{not_judged_text(answers.NOT_JUDGED)}"

"""Flexibility, measured: chapter 3's changes made one at a time in every backend, and what each took.

For each backend (a learner's file aside) and each change in CHANGES, against the same backend at
chapter 1's defaults:

- statements: the statements that run in the changed run's trace and not in the default run's,
  told apart by (file, line, column). Both traces are `source.trace_phases`' "train" phase: the
  backend built, prepared and trained for a short epoch on the CPU, in a process where TorchScript
  and numba's compiler are off. A backend that decides its code path when it is built runs other
  statements there, and those count too: they are the code the change took.
- by hand: whether the change took new backprop code. A backend whose source calls autograd
  (`source.uses_autograd`) leaves its backward pass to the framework: never by hand. For the others
  the backward pass is read from two more traces of the changed run, by behaviour rather than by
  name: it is the statements that one call of `gradients(x, y)` runs and one call of `forward(x)`
  does not (the forward pass that backprop repeats inside, the activation function itself, is
  shared with `forward` and left out; sigma', the output delta and the deltas' recursion are not).
  The change took a hand-derived gradient when its backward pass holds a statement that the
  default run's `gradients` did not run (counted), or lacks one of the default run's backward pass
  (a derivative replaced, say sigma' left out of the output delta).
- gradient check: `source.gradient_error` with the change on (float64, a tiny network of the
  change's depth, central differences of the backend's own cost).
- speed: the median timed epoch with the change, over the median at the defaults, from runs of the
  same backend at the same other settings (the `flexibility` preset runs them side by side).
- accuracy: final and best test accuracy of runs at chapter 3's settings (CHAPTER3), per backend.

A backend refuses a change with its static `unsupported(**settings)`; one without that method whose
constructor has no parameter for the option "does not take the option"; one that raises while built
or trained with the change is shown with its error. Those cells are `unsupported` in every column.
"""

import inspect
import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from benchmarks.configuration import CHAPTER_1, NIELSEN, spelled
from benchmarks.fairness import layer_sizes
from benchmarks.registry import ROOT, backend_configs, backend_options, implementations
from benchmarks.report import source
from benchmarks.report.answers import GRADIENT_OK
from benchmarks.report.render import Figure, Heading, Missing, Table, Text
from benchmarks.report.summary import timed

plt.switch_backend("Agg")


def change_label(key: str, value) -> str:
    return f"hidden=[{','.join(map(str, value))}]" if key == "hidden" else f"{key}={spelled(key, value)}"


# Each change on its own; conf/change/<name>.yaml sets the same for the `flexibility` preset.
CHANGES = {
    change_label(key, value): {key: value}
    for key, value in [
        ("cost", "cross_entropy"),
        ("output", "softmax"),
        ("lmbda", 5.0),
        ("init", "scaled"),
        ("activation", "tanh"),
        ("activation", "relu"),
        ("hidden", [30, 30]),
        ("momentum", 0.9),
    ]
}
# Nielsen's chapter-3 runs: cross-entropy, eta 0.5, L2 with lmbda 5 (conf/change/chapter3.yaml).
CHAPTER3 = {"cost": "cross_entropy", "eta": 0.5, "lmbda": 5.0}
SPEED_COMMAND = "`python run.py -m +sweep=flexibility` (part of `make flexibility`)"
ACCURACY_COMMAND = (
    "`python run.py -m +sweep=flexibility change=chapter3 epochs=30 "
    "backend=numpy,numba,torch,torch_autograd,jax` (part of `make flexibility`)"
)
UNSUPPORTED = "unsupported"


def defaults() -> dict:
    """Chapter 1's value of every chapter-3 setting."""
    return CHAPTER_1 | {"hidden": NIELSEN["hidden"]}


def unsupported_settings(change: dict) -> dict:
    """The keyword arguments of an implementation's `unsupported`, for a CPU run in float32."""
    settings = defaults() | change
    return settings | {
        "hidden": tuple(layer_sizes(settings["hidden"])[1:-1]),
        "dtype": "float32",
        "device": "cpu",
    }


def refusal(cls: type, change: dict) -> str | None:
    """The backend's own line on why it cannot run the change, or None when it says nothing against it."""
    if hasattr(cls, "unsupported"):
        return cls.unsupported(**unsupported_settings(change))
    parameters = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    missing = sorted(set(source.constructor_settings(change)) - set(parameters))
    return f"does not take the option {', '.join(missing)}" if missing else None


def matrix_backends() -> list[str]:
    """Every backend that runs here but a learner's own file, whose code is not this project's."""
    return [name for name in implementations() if backend_configs()[name].get("style") != "learner"]


def ran(trace: dict[str, list[int]], texts: dict[str, str]) -> set[tuple[str, int, int]]:
    """The statements a trace ran, as (file, line, column)."""
    statements = set()
    for path, lines in trace.items():
        if path not in texts:
            texts[path] = Path(path if Path(path).is_absolute() else ROOT / path).read_text()
        statements |= {(path, *at) for at in source.executed(texts[path], set(lines))}
    return statements


def backward_pass(phases: dict, texts: dict[str, str]) -> set[tuple[str, int, int]]:
    """The statements `gradients` runs that `forward` does not: the backward pass (module docstring)."""
    return ran(phases["gradients"], texts) - ran(phases["forward"], texts)


def compare(default: dict, changed: dict, autograd: bool) -> dict:
    """Statements new in the changed run's training, and new in its backward pass (None: autograd's);
    by hand when its backward pass gained a statement or lost one (a derivative replaced)."""
    texts = {}
    new = ran(changed["train"], texts) - ran(default["train"], texts)
    if autograd:
        return {"statements": len(new), "derived statements": None, "by hand": False}
    gained = backward_pass(changed, texts) - ran(default["gradients"], texts)
    lost = backward_pass(default, texts) - ran(changed["gradients"], texts)
    return {"statements": len(new), "derived statements": len(gained), "by hand": bool(gained or lost)}


def source_matrix(names: list[str] | None = None) -> pd.DataFrame:
    """One row per (change, backend): statements, derived statements, by hand, gradient error,
    and `unsupported` with its reason where the backend refuses or fails the change."""
    return measured_source_matrix(tuple(matrix_backends() if names is None else names)).copy()


@cache
def measured_source_matrix(names: tuple[str, ...]) -> pd.DataFrame:
    """`source_matrix`, measured once per process: about half a minute of traces and gradient checks."""
    classes = implementations()
    refused = {
        (label, name): reason
        for label, change in CHANGES.items()
        for name in names
        if (reason := refusal(classes[name], change))
    }
    requests = [[name, backend_options(name), {}] for name in names] + [
        [name, backend_options(name), change]
        for label, change in CHANGES.items()
        for name in names
        if (label, name) not in refused
    ]
    # The traces run in their own process while this one checks the gradients.
    with ThreadPoolExecutor(1) as pool:
        tracing = pool.submit(source.traced_training, json.dumps(requests))
        errors = {
            (label, name): source.gradient_error(classes[name], backend_options(name), change)
            for label, change in CHANGES.items()
            for name in names
            if (label, name) not in refused
        }
        traces = tracing.result()
    rows = []
    for label, change in CHANGES.items():
        for name in names:
            options = backend_options(name)
            default = traces[source.request_key(name, options, {})]
            changed = traces.get(source.request_key(name, options, change))
            reason = refused.get((label, name)) or next(
                (t for t in (changed, default) if isinstance(t, str)), None
            )
            row = {"change": label, "backend": name, "unsupported": reason}
            if reason is None:
                row |= compare(default, changed, source.uses_autograd(classes[name]))
                row["relative error"] = errors[label, name]
            rows.append(row)
    return pd.DataFrame(rows)


def with_chapter1(runs: pd.DataFrame) -> pd.DataFrame:
    """Rows written before chapter 3's settings were recorded ran chapter 1's network: say so."""
    base = defaults()
    runs = runs.astype({key: object for key in [*base, "hidden_layers"] if key in runs})
    runs = runs.fillna({key: base[key] for key in base if key in runs})
    return runs.assign(hidden_layers=runs.hidden_layers.fillna(runs.hidden.astype(str)))


def run_change(runs: pd.DataFrame) -> pd.Series:
    """Each row's change: "defaults" at chapter 1's settings, a CHANGES label when exactly that one
    setting differs, else None. A softmax output's cost is recorded as the log-likelihood: not a change."""
    base = defaults()
    runs = with_chapter1(runs)
    layers = runs.hidden_layers.astype(str)
    differing = {
        "cost": (runs.cost != base["cost"]) & (runs.output != "softmax"),
        "output": runs.output != base["output"],
        "lmbda": runs.lmbda != base["lmbda"],
        "init": runs.init != base["init"],
        "activation": runs.activation != base["activation"],
        "hidden": layers.str.contains(","),
        "momentum": runs.momentum != base["momentum"],
    }
    labels = {
        key: (layers.str.split(",") if key == "hidden" else runs[key]).map(
            lambda v, k=key: change_label(k, v)
        )
        for key in differing
    }
    count = sum(d.astype(int) for d in differing.values())
    change = pd.Series("defaults", index=runs.index, dtype=object).where(count == 0, None)
    for key, differs in differing.items():
        change = change.mask(differs & (count == 1), labels[key])
    return change.where(change.isin(["defaults", *CHANGES]), None)


# What a change is compared at: everything but the change the same.
SAME = [
    "backend",
    "backend_options",
    "device",
    "dtype",
    "batch_size",
    "hidden",
    "eta",
    "epochs",
    "threads",
    "background_load",
    "parallel_jobs",
]


def speed_ratios(runs: pd.DataFrame) -> pd.DataFrame:
    """(change, backend, speed ratio, run status): the median timed epoch with the change over the
    median at the defaults, from runs at Nielsen's batch size and width on the CPU, at the same other
    settings; the median over such pairs where there are several. `unsupported` where the runs say so."""
    runs = runs[
        (runs.device == "cpu")
        & (runs.batch_size == NIELSEN["batch_size"])
        & (runs.hidden == NIELSEN["hidden"])
    ]
    runs = runs.assign(change=run_change(runs)).dropna(subset=["change"])
    medians = timed(runs).groupby([*SAME, "change"], observed=True, dropna=False).train_s.median()
    medians = medians.unstack("change")
    rows = []
    if "defaults" in medians:
        ratios = medians.drop(columns="defaults").div(medians["defaults"], axis=0)
        per_backend = ratios.groupby(level="backend", observed=True).median()
        for backend, row in per_backend.iterrows():
            rows += [{"change": c, "backend": backend, "speed ratio": r} for c, r in row.dropna().items()]
    refused = runs[runs.status == UNSUPPORTED].drop_duplicates(["change", "backend"])
    rows += [{"change": c, "backend": b, "run": UNSUPPORTED} for c, b in zip(refused.change, refused.backend)]
    columns = ["change", "backend", "speed ratio", "run"]
    return pd.DataFrame(rows, columns=columns).groupby(["change", "backend"], as_index=False).first()


def flexibility_matrix(runs: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
    """The source matrix with each cell's speed ratio (NaN where the runs hold none)."""
    matrix = source_matrix(names)
    speed = speed_ratios(runs)
    matrix = matrix.merge(speed, on=["change", "backend"], how="left")
    refused_in_runs = (matrix["run"] == UNSUPPORTED) & matrix.unsupported.isna()
    return matrix.assign(unsupported=matrix.unsupported.mask(refused_in_runs, "refused in its runs")).drop(
        columns="run"
    )


def chapter3_accuracy(runs: pd.DataFrame) -> pd.DataFrame:
    """Per backend and width, at chapter 3's settings (CHAPTER3, the rest chapter 1's): epochs, seeds,
    and the median over seeds of the final and of the best test accuracy."""
    ok = with_chapter1(runs[runs.status == "ok"])
    ok = ok.assign(change=run_change(ok.assign(cost="quadratic", lmbda=0.0)))
    at = ok[
        (ok.cost == CHAPTER3["cost"])
        & (ok.eta == CHAPTER3["eta"])
        & (ok.lmbda == CHAPTER3["lmbda"])
        & (ok.change == "defaults")
    ]
    if at.empty:
        return pd.DataFrame(
            columns=["backend", "hidden", "epochs", "seeds", "final test acc", "best test acc"]
        )
    per_run = (
        at.sort_values("epoch").groupby(["backend", "hidden", "epochs", "run_id"], observed=True).test_acc
    )
    per_run = pd.DataFrame({"final": per_run.last(), "best": per_run.max()}).reset_index()
    table = per_run.groupby(["backend", "hidden", "epochs"], observed=True).agg(
        seeds=("run_id", "nunique"), final=("final", "median"), best=("best", "median")
    )
    table = table.reset_index().rename(columns={"final": "final test acc", "best": "best test acc"})
    for column in ("final test acc", "best test acc"):
        table[column] = table[column].map("{:.2%}".format)
    return table


def cell_text(row) -> str:
    """'3 stmts · by hand (2) · grad ok · 1.12×', or the refusal."""
    if isinstance(row.unsupported, str):
        return f"{UNSUPPORTED}: {row.unsupported}"
    if pd.isna(row["derived statements"]):
        derived = "autograd"
    else:
        derived = f"by hand ({row['derived statements']:.0f})" if row["by hand"] else "no new backprop"
    if pd.isna(row["relative error"]):
        check = "grad not checked"
    else:
        check = (
            "grad ok" if row["relative error"] < GRADIENT_OK else f"grad WRONG ({row['relative error']:.1g})"
        )
    speed = "not timed" if pd.isna(row["speed ratio"]) else f"{row['speed ratio']:.2f}×"
    return f"{row.statements:.0f} stmt{'' if row.statements == 1 else 's'} · {derived} · {check} · {speed}"


def matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """Rows the changes, columns the backends, each cell as `cell_text` writes it."""
    cells = matrix.assign(cell=[cell_text(row) for _, row in matrix.iterrows()])
    table = cells.pivot(index="change", columns="backend", values="cell")
    table = table.reindex([c for c in CHANGES if c in table.index])
    return table.reset_index().rename_axis(columns=None)


def draw_heatmap(matrix: pd.DataFrame, out: Path, name: str = "flexibility.png") -> str:
    """Statements each change took per backend; `unsupported` cells grey, hand-derived ones starred."""
    counts = matrix.pivot(index="change", columns="backend", values="statements").astype(float)
    counts = counts.reindex([c for c in CHANGES if c in counts.index])
    notes = (
        matrix.assign(
            note=[
                UNSUPPORTED
                if isinstance(r.unsupported, str)
                else f"{r.statements:.0f}{'*' if r['by hand'] else ''}"
                for _, r in matrix.iterrows()
            ]
        )
        .pivot(index="change", columns="backend", values="note")
        .reindex(counts.index)[counts.columns]
    )
    fig, ax = plt.subplots(figsize=(1.2 * len(counts.columns) + 2.5, 0.5 * len(counts) + 1.8))
    ax.set_facecolor("0.85")  # the colour behind the masked, unsupported cells
    sns.heatmap(
        counts,
        mask=counts.isna(),
        annot=notes,
        fmt="",
        cmap="rocket_r",
        cbar_kws={"label": "statements"},
        linewidths=0.5,
        ax=ax,
        annot_kws={"fontsize": 8},
    )
    for (i, j), note in np.ndenumerate(notes.to_numpy()):
        if note == UNSUPPORTED:
            ax.text(j + 0.5, i + 0.5, note, ha="center", va="center", fontsize=7, color="0.3")
    ax.set(
        xlabel="backend",
        ylabel="change",
        title="Statements each change took (* a hand-derived gradient; grey: unsupported)",
    )
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def heatmap_caption(matrix: pd.DataFrame) -> str:
    """Statements per change, summed over the changes each side took: autograd against by hand."""
    ran_cells = matrix[matrix.unsupported.isna()]
    autograd = ran_cells["derived statements"].isna()
    sides = {"autograd": ran_cells[autograd], "backprop by hand": ran_cells[~autograd]}
    parts = [
        f"{side} {cells.statements.mean():.1f} statements per change ({cells['by hand'].sum():.0f} of "
        f"{len(cells)} cells with a re-derived gradient)"
        for side, cells in sides.items()
        if not cells.empty
    ]
    refused = matrix.unsupported.notna().sum()
    return "On average, " + "; ".join(parts) + f"; {refused} cell{'' if refused == 1 else 's'} unsupported."


def report_blocks(runs: pd.DataFrame, matrix: pd.DataFrame, out: Path) -> list:
    """The Flexibility section's matrix, heatmap and chapter-3 accuracy; what is missing, and its command."""
    blocks = [
        Heading(3, "Chapter 3's changes, backend by backend"),
        Text(
            "Each change made on its own, against the same backend at chapter 1's settings. `stmts`: the "
            "statements that run with the change on and not without it, traced as in Ease of use. `by hand "
            "(n)`: the change took new backprop, n new statements, read from the trace (the statements "
            "`gradients` runs and `forward` does not); `autograd`: the framework derives it. `grad ok`: the "
            f"gradient check (float64, central differences) agrees to {GRADIENT_OK:.0e} with the change on. "
            "The ratio: epoch time with the change over epoch time at the defaults, run side by side."
        ),
        Table(matrix_table(matrix)),
        Figure(draw_heatmap(matrix, out), "Statements each change took", heatmap_caption(matrix)),
    ]
    if matrix["speed ratio"].isna().all():
        blocks.append(
            Missing(
                f"No speed ratios: they need chapter 3's changes timed beside the defaults: {SPEED_COMMAND}."
            )
        )
    accuracy = chapter3_accuracy(runs)
    blocks.append(Heading(3, "Accuracy under chapter 3's settings"))
    if accuracy.empty:
        blocks.append(
            Missing(f"No runs at chapter 3's settings (cross-entropy, eta 0.5, lmbda 5): {ACCURACY_COMMAND}.")
        )
    else:
        blocks += [
            Text(
                "Median over seeds of each run's final and best test accuracy, at cross-entropy, eta 0.5, "
                "lmbda 5."
            ),
            Table(accuracy),
        ]
    return blocks

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
  same backend at the same sizes, epochs and machine conditions (the `flexibility` preset runs them
  side by side). Each change runs at a learning rate at which it learns (conf/change/); the rate and
  the initial weights change the numbers trained, not the work timed, so they may differ.
- accuracy: final and best test accuracy of runs at chapter 3's settings (CHAPTER3), per backend.

A backend refuses a change with its static `unsupported(**settings)`; one without that method whose
constructor has no parameter for the option "does not take the option"; one that raises while built
or trained with the change is shown with its error. Those cells are `unsupported` in every column.
"""

import inspect
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..configuration import CHAPTER_1, NIELSEN, spelled
from ..fairness import layer_sizes
from ..registry import ROOT, backend_configs, implementations
from . import source
from .answers import GRADIENT_OK
from .figures import kept_figures
from .render import Figure, Heading, Missing, Table, Text
from .summary import accuracy_text, learning_note, timed

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
    and `unsupported` with its reason where the backend refuses or fails the change; from the traces
    and gradient checks kept for the code as it is (`source.traced_training`, `source.checked_gradients`),
    measured again where it changed: half a minute for every backend."""
    names = matrix_backends() if names is None else names
    classes = implementations()
    refused = {
        (label, name): reason
        for label, change in CHANGES.items()
        for name in names
        if (reason := refusal(classes[name], change))
    }
    requests = {
        (label, name): [name, source.conf_options(name), change]
        for label, change in CHANGES.items()
        for name in names
        if (label, name) not in refused
    }
    at_defaults = [[name, source.conf_options(name), {}] for name in names]
    # The traces run in their own process while this one checks the gradients.
    with ThreadPoolExecutor(1) as pool:
        tracing = pool.submit(source.traced_training, at_defaults + list(requests.values()))
        errors = dict(zip(requests, source.checked_gradients(list(requests.values())), strict=True))
        traces = tracing.result()
    rows = []
    for label, change in CHANGES.items():
        for name in names:
            options = source.conf_options(name)
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
    setting differs, else None. A softmax output's cost is recorded as the log-likelihood: not a change.
    Scaled weights beside another change are part of how that change is run, so that it learns
    (conf/change/relu.yaml): the change is the other one."""
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
    besides_init = count - differing["init"].astype(int)
    change = pd.Series("defaults", index=runs.index, dtype=object).where(count == 0, None)
    for key, differs in differing.items():
        alone = count == 1 if key == "init" else besides_init == 1
        change = change.mask(differs & alone, labels[key])
    return change.where(change.isin(["defaults", *CHANGES]), None)


# What a change is compared at: the same work on the same machine, everything but the change the same.
# The learning rate is not among them: each change runs at its own (conf/change/), with the same work.
SAME = [
    "backend",
    "backend_options",
    "device",
    "dtype",
    "batch_size",
    "hidden",
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


def at_chapter3(runs: pd.DataFrame) -> pd.Series:
    """Whether each row ran at chapter 3's settings (CHAPTER3), every other setting chapter 1's."""
    runs = with_chapter1(runs)
    defaults_otherwise = run_change(runs.assign(cost="quadratic", lmbda=0.0)) == "defaults"
    return (
        (runs.cost == CHAPTER3["cost"])
        & (runs.eta == CHAPTER3["eta"])
        & (runs.lmbda == CHAPTER3["lmbda"])
        & defaults_otherwise
    )


def chapter3_accuracy(runs: pd.DataFrame) -> pd.DataFrame:
    """Per backend and width, at chapter 3's settings (CHAPTER3, the rest chapter 1's): epochs, seeds,
    and the median over seeds of the final and of the best test accuracy, marked where the runs did
    not learn (summary.learning_note); the runs' status where none of them trained."""
    columns = ["backend", "hidden", "epochs", "seeds", "final test acc", "best test acc"]
    at = runs[at_chapter3(runs).to_numpy()]
    rows = []
    for (backend, hidden, epochs), group in at.groupby(["backend", "hidden", "epochs"], observed=True):
        per_run = group[group.status == "ok"].sort_values("epoch").groupby("run_id").test_acc
        note = learning_note(group)
        absent = ", ".join(sorted(group.status.unique()))
        rows.append(
            {
                "backend": backend,
                "hidden": hidden,
                "epochs": epochs,
                "seeds": group.seed.nunique(),
                "final test acc": accuracy_text(per_run.last().median(), note) or absent,
                "best test acc": accuracy_text(per_run.max().median(), note) or absent,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def backprop_text(row) -> str:
    """'by hand (2)', 'no new backprop', 'autograd' or 'unsupported'; the gradient check only when it
    fails or did not run ('autograd · grad WRONG (0.3)')."""
    if isinstance(row.unsupported, str):
        return UNSUPPORTED
    if pd.isna(row["derived statements"]):
        derived = "autograd"
    else:
        derived = f"by hand ({row['derived statements']:.0f})" if row["by hand"] else "no new backprop"
    if pd.isna(row["relative error"]):
        return f"{derived} · grad not checked"
    if row["relative error"] >= GRADIENT_OK:
        return f"{derived} · grad WRONG ({row['relative error']:.1g})"
    return derived


def speed_text(row) -> str:
    """'1.12×', 'not timed' or 'unsupported'."""
    if isinstance(row.unsupported, str):
        return UNSUPPORTED
    return "not timed" if pd.isna(row["speed ratio"]) else f"{row['speed ratio']:.2f}×"


def unsupported_reasons(matrix: pd.DataFrame) -> list[str]:
    """'numba, hidden=[30,30]: its compiled loop nests have one hidden layer, not 2', per refused cell."""
    refused = matrix[matrix.unsupported.map(lambda reason: isinstance(reason, str))]
    return [f"{r.backend}, {r.change}: {r.unsupported}" for r in refused.itertuples()]


def matrix_table(matrix: pd.DataFrame, cell=backprop_text) -> pd.DataFrame:
    """Rows the changes, columns the backends, each cell as `cell` writes it (a few words: the
    statement counts are in the heatmap, the refusals' reasons in `unsupported_reasons`)."""
    cells = matrix.assign(cell=[cell(row) for _, row in matrix.iterrows()])
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


def kept_heatmap(matrix: pd.DataFrame, out: Path, name: str = "flexibility.png") -> str:
    """`draw_heatmap`, kept for this matrix and this code (benchmarks.report.figures)."""
    drawn = kept_figures(
        "flexibility", __name__, [matrix], [name], out, lambda f: {name: draw_heatmap(matrix, f)}
    )
    return drawn[name]


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
            "Each change made on its own, against the same backend at chapter 1's settings. The heatmap "
            "counts the statements that run with the change on and not without it, traced as in Ease of "
            "use."
        ),
        Figure(kept_heatmap(matrix, out), "Statements each change took", heatmap_caption(matrix)),
        Text(
            "What each change took of the backward pass. `by hand (n)`: new backprop, n new statements, "
            "read from the trace (the statements `gradients` runs and `forward` does not); `autograd`: "
            "the framework derives it. Every gradient passes the check (float64, central differences, "
            f"to {GRADIENT_OK:.0e}) unless marked `grad WRONG`."
        ),
        Table(matrix_table(matrix, backprop_text)),
        Text(
            "Epoch time with the change over epoch time at chapter 1's settings, run side by side at the "
            "same sizes and epochs. The learning rate and the initial weights a change trains with "
            "(conf/change/, named in its label in the summary) change the numbers, not the work an epoch "
            "does."
        ),
        Table(matrix_table(matrix, speed_text)),
    ]
    if reasons := unsupported_reasons(matrix):
        blocks.append(Text("Unsupported: " + "; ".join(reasons) + "."))
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

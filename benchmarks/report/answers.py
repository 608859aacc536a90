"""The learner's seven claims about NumPy from scratch against PyTorch, judged from the data.

Each verdict is computed from the runs being reported and from what the
implementations show of themselves (benchmarks.report.source), never written by hand:
"holds", "does not hold", "holds only ..." or "not measured", with the figures
behind it. Backends are told apart by what they declare, not by name: their
`framework` (numpy or torch), whether they use autograd, and the `style` in
their conf file (idiomatic: the code its framework teaches; tuned: written for
speed; learner: someone's own file).
"""

from dataclasses import dataclass

import pandas as pd

from benchmarks.configuration import NIELSEN
from benchmarks.report.summary import standard, timed

SAME = 1.05  # ratios within 5% count as "about as fast"
SIGNIFICANT = 2.0  # "significantly faster" means at least twice as fast
GRADIENT_OK = 1e-6
NO_TIMED_EPOCHS = (
    "No run here has a timed epoch (the first is warm-up): run at least 2 epochs, as `make bench` does."
)


@dataclass(frozen=True)
class Answer:
    question: str
    claim: str
    verdict: str
    evidence: str


@dataclass(frozen=True)
class Backend:
    framework: str
    autograd: bool
    style: str


def times_by_backend(runs: pd.DataFrame) -> pd.DataFrame:
    """Median epoch seconds per (backend, device, hidden, batch) at the usual threads, idle, alone:
    each configuration's own median (never pooled), the fastest configuration of each backend."""
    keys = ["backend", "device", "hidden", "batch_size"]
    medians = timed(standard(runs)).groupby([*keys, "config_key"], observed=True).train_s.median()
    return medians.groupby(level=keys).min().reset_index()


def of_kind(names, kinds: dict[str, Backend], **wanted) -> list[str]:
    return sorted(
        n for n in names if n in kinds and all(getattr(kinds[n], k) == v for k, v in wanted.items())
    )


def fastest_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"the faster of {', '.join(names)}"


def times(x: float) -> str:
    return f"{x:.1f}×" if x < 10 else f"{x:.0f}×"


def fastest(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per (hidden, batch): the fastest of `names` and its time."""
    part = table[table.backend.isin(names)]
    best = part.loc[part.groupby(["hidden", "batch_size"]).train_s.idxmin()]
    return best.set_index(["hidden", "batch_size"])[["backend", "train_s"]]


def claim_less_code(ease: pd.DataFrame, kinds: dict[str, Backend], present: set[str]) -> Answer:
    claim = "PyTorch needs less code than a from-scratch network."
    rows = ease[ease.name.isin(present)].set_index("backend")
    scratch = rows[rows.name.isin(of_kind(present, kinds, framework="numpy", autograd=False))]
    torch = rows[rows.name.isin(of_kind(present, kinds, framework="torch", autograd=True))]
    if scratch.empty or torch.empty:
        return Answer(
            "Ease of use",
            claim,
            "not measured",
            "It needs runs of a NumPy and an autograd PyTorch backend: `make bench`.",
        )
    shortest_torch = torch["statements run to train"].idxmin()
    shortest_scratch = scratch["statements run to train"].idxmin()
    n_torch, n_scratch = (
        torch.loc[shortest_torch, "statements run to train"],
        scratch.loc[shortest_scratch, "statements run to train"],
    )
    by_hand_torch = rows[rows.name.isin(of_kind(present, kinds, framework="torch", autograd=False))]
    extra = ""
    if not by_hand_torch.empty:
        longest = by_hand_torch["statements run to train"].idxmax()
        n_longest = by_hand_torch.loc[longest, "statements run to train"]
        extra = f" Backprop written by hand in torch ({longest}) takes {n_longest}."
    verdict = "holds" if n_torch < n_scratch else "does not hold"
    return Answer(
        "Ease of use",
        claim,
        verdict,
        f"The shortest autograd PyTorch version here ({shortest_torch}) runs {n_torch} statements to train, "
        f"the shortest from-scratch NumPy one ({shortest_scratch}) {n_scratch}.{extra}",
    )


def claim_error_prone(gradients: pd.DataFrame, kinds: dict[str, Backend], present: set[str]) -> Answer:
    claim = "Hand-written backprop is error-prone; autograd removes a class of errors."
    rows = gradients[gradients.name.isin(present)]
    by_hand = rows[~rows.name.map(lambda n: kinds[n].autograd if n in kinds else False)]
    auto = rows[rows.name.map(lambda n: kinds[n].autograd if n in kinds else False)]
    if by_hand.empty:
        return Answer("Ease of use", claim, "not measured", "No backend with hand-written backprop ran.")
    unchecked = by_hand[by_hand["relative error"].isna()]
    by_hand = by_hand[by_hand["relative error"].notna()]
    if by_hand.empty:
        return Answer("Ease of use", claim, "not measured", "No hand-written backprop here could be run.")
    failing = by_hand[by_hand["relative error"] >= GRADIENT_OK]
    auto_text = (
        f"; every autograd backend agrees to {auto['relative error'].max():.0e}" if not auto.empty else ""
    )
    if not unchecked.empty:
        auto_text += f" ({', '.join(unchecked.backend)} could not be built to be checked)"
    if not failing.empty:
        worst = failing.iloc[0]
        return Answer(
            "Ease of use",
            claim,
            "holds",
            f"The hand-written backprop of {worst.backend} disagrees with central finite differences "
            f"(relative error {worst['relative error']:.2g}){auto_text}. "
            "`make check FILE=...` says which array is wrong.",
        )
    return Answer(
        "Ease of use",
        claim,
        "holds only in part",
        f"Every hand-written backprop here ({', '.join(by_hand.backend)}) matches central finite differences "
        f"(worst relative error {by_hand['relative error'].max():.0e}), so none is wrong, but each had to be "
        "checked: `make check` catches six kinds of planted mistakes (a flipped sign, a missing σ', a wrong "
        "bias gradient, ...) that autograd, deriving the gradient from the forward pass, cannot make"
        f"{auto_text}.",
    )


def compare_sides(table: pd.DataFrame, numpy_names, torch_names, hidden: int) -> list[tuple[int, float]]:
    """(batch, numpy seconds / torch seconds) at each batch both sides ran on the CPU at this hidden size."""
    cpu = table[(table.device == "cpu") & (table.hidden == hidden)]
    numpy_best, torch_best = fastest(cpu, numpy_names), fastest(cpu, torch_names)
    both = numpy_best.merge(torch_best, left_index=True, right_index=True, suffixes=("_numpy", "_torch"))
    return [(b, row.train_s_numpy / row.train_s_torch) for (_, b), row in both.sort_index().iterrows()]


def verdict_over_batches(ratios: list[tuple[int, float]], faster_at: float = SAME) -> str:
    wins = [b for b, r in ratios if r > faster_at]
    if len(wins) == len(ratios):
        return "holds"
    if not wins:
        return "does not hold"
    if wins == [b for b, _ in ratios][len(ratios) - len(wins) :]:
        return f"holds only from batch {wins[0]} up"
    return f"holds only at batch {', '.join(map(str, wins))}"


def ratio_text(ratios) -> str:
    parts = []
    for batch, r in ratios:
        if r > SAME:
            parts.append(f"torch faster {times(r)} at batch {batch}")
        elif r < 1 / SAME:
            parts.append(f"NumPy faster {times(1 / r)} at batch {batch}")
        else:
            parts.append(f"about as fast at batch {batch}")
    return ", ".join(parts)


def claim_faster(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    claim = "PyTorch's optimised operations make it faster than NumPy written by hand."
    table = times_by_backend(runs)
    if table.empty:
        return Answer("Performance", claim, "not measured", NO_TIMED_EPOCHS)
    present = set(table.backend)
    hidden = NIELSEN["hidden"] if (table.hidden == NIELSEN["hidden"]).any() else int(table.hidden.min())
    pairs = {
        "hand-written": (
            of_kind(present, kinds, framework="numpy", style="tuned"),
            of_kind(present, kinds, framework="torch", style="tuned"),
        ),
        "idiomatic": (
            of_kind(present, kinds, framework="numpy", style="idiomatic"),
            of_kind(present, kinds, framework="torch", style="idiomatic"),
        ),
    }
    verdicts, texts = {}, []
    for kind, (numpy_names, torch_names) in pairs.items():
        ratios = compare_sides(table, numpy_names, torch_names, hidden) if numpy_names and torch_names else []
        if ratios:
            verdicts[kind] = verdict_over_batches(ratios)
            sides = f"{fastest_of(torch_names)} against {fastest_of(numpy_names)}"
            texts.append(f"{kind} code ({sides}): {ratio_text(ratios)}")
    if not verdicts:
        return Answer(
            "Performance", claim, "not measured", "It needs NumPy and torch runs on the CPU: `make bench`."
        )
    if len(set(verdicts.values())) == 1:
        verdict = next(iter(verdicts.values()))
    else:
        verdict = "; ".join(f"{v} for {k} code" for k, v in verdicts.items())
    evidence = f"At hidden {hidden}, " + "; ".join(texts) + "." + compiled_text(table, kinds, hidden)
    return Answer("Performance", claim, verdict, evidence)


def compiled_text(table: pd.DataFrame, kinds: dict[str, Backend], hidden: int) -> str:
    """A sentence on the backends of other frameworks (compiled ones), against the fastest NumPy,
    at the smallest batch: what compiling the whole epoch gives beside both."""
    others = [n for n in set(table.backend) if n in kinds and kinds[n].framework not in ("numpy", "torch")]
    cpu = table[(table.device == "cpu") & (table.hidden == hidden)]
    numpy_best = fastest(cpu, of_kind(set(cpu.backend), kinds, framework="numpy"))
    if not others or numpy_best.empty:
        return ""
    batch = int(numpy_best.index.get_level_values("batch_size").min())
    base = numpy_best.loc[(hidden, batch)]
    parts = []
    for name in sorted(others):
        row = cpu[(cpu.backend == name) & (cpu.batch_size == batch)]
        if not row.empty:
            seconds = float(row.train_s.iloc[0])
            parts.append(
                f"{name} {seconds:.3g} s per epoch ({times(base.train_s / seconds)} {base.backend}'s speed)"
            )
    if not parts:
        return ""
    return f" Compiling the whole epoch goes further, at batch {batch}: " + ", ".join(parts) + "."


def claim_gpu(runs: pd.DataFrame) -> Answer:
    claim = "GPU acceleration makes training significantly faster."
    table = times_by_backend(runs)
    if not (table.device == "cuda").any():
        return Answer(
            "Performance",
            claim,
            "not measured",
            "No GPU runs in this data; `make gpu` on a CUDA machine measures it.",
        )
    hidden = NIELSEN["hidden"] if (table.hidden == NIELSEN["hidden"]).any() else int(table.hidden.min())
    at = table[table.hidden == hidden]
    cpu = fastest(at[at.device == "cpu"], list(at.backend.unique()))
    gpu = fastest(at[at.device == "cuda"], list(at.backend.unique()))
    both = cpu.merge(gpu, left_index=True, right_index=True, suffixes=("_cpu", "_gpu"))
    if both.empty:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "GPU and CPU runs share no batch size; run both sweeps into one results folder.",
        )
    ratios = [(b, row.train_s_cpu / row.train_s_gpu) for (_, b), row in both.sort_index().iterrows()]
    parts = [
        f"{times(r)} at batch {b}" if r >= 1 else f"{times(1 / r)} slower at batch {b}" for b, r in ratios
    ]
    return Answer(
        "Performance",
        claim,
        verdict_over_batches(ratios, faster_at=SIGNIFICANT),
        f"Fastest GPU run against fastest CPU run, hidden {hidden} (at least {SIGNIFICANT:.0f}× counts as "
        f"significant): " + ", ".join(parts) + ".",
    )


def claim_parallelism(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    claim = "Hand-written NumPy has no parallelism; frameworks use the hardware better."
    data = timed(runs)
    data = data[data.threads.isin([1, 2]) & (data.parallel_jobs == 1)]
    medians = data.groupby(
        ["backend", "batch_size", "hidden", "background_load", "threads"], observed=True
    ).train_s.median()
    cells = medians.unstack("threads").dropna()
    if cells.empty or 2 not in cells.columns:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "It needs runs at 1 and 2 threads: the `pitfalls` preset "
            "(`python run.py -m +sweep=pitfalls`, part of `make bench`).",
        )
    gains = (cells[1] / cells[2]).rename("gain").reset_index()
    gains["framework"] = gains.backend.map(lambda n: kinds[n].framework if n in kinds else "?")
    idle = gains[gains.background_load == 0]
    best = idle.loc[idle.groupby("framework").gain.idxmax()].set_index("framework")
    if "numpy" not in best.index:
        return Answer("Performance", claim, "not measured", "No NumPy backend ran at 2 threads.")
    numpy_gain = best.loc["numpy"]
    text = (
        f"Idle, a second thread makes {numpy_gain.backend} {times(numpy_gain.gain)} as fast "
        f"at batch {numpy_gain.batch_size}"
    )
    if "torch" in best.index:
        torch_gain = best.loc["torch"]
        text += f", {torch_gain.backend} {times(torch_gain.gain)} at batch {torch_gain.batch_size}"
    busy = gains[gains.background_load > 0]
    if not busy.empty:
        worst = busy.loc[busy.gain.idxmin()]
        text += (
            f"; with the other core busy, 2 threads make {worst.backend} {times(1 / worst.gain)} slower "
            f"at batch {worst.batch_size}"
        )
    numpy_parallel = numpy_gain.gain > SAME
    # "Better" is judged by what the second core gives each, not by which is faster anyway.
    torch_better = "torch" in best.index and best.loc["torch"].gain > max(SAME, numpy_gain.gain * SAME)
    if numpy_parallel and torch_better:
        verdict = "holds only in part"
        text = (
            "NumPy's BLAS multiplies on several threads too, but torch makes more of a second core. " + text
        )
    elif numpy_parallel:
        verdict = "does not hold"
        text = "NumPy's BLAS multiplies on several threads too, and gains as much from a second core. " + text
    elif torch_better:
        verdict = "holds"
    else:
        verdict = "does not hold"
        text = "Neither gains much from a second thread at these sizes. " + text
    return Answer("Performance", claim, verdict, text + ".")


def claim_customise(flexibility: pd.DataFrame, kinds: dict[str, Backend], present: set[str]) -> Answer:
    claim = "From scratch, anything can be customised without restrictions."
    scratch = flexibility[
        flexibility.backend.isin(of_kind(present, kinds, framework="numpy", autograd=False))
    ]
    if scratch.empty:
        return Answer("Flexibility", claim, "not measured", "No from-scratch NumPy backend ran.")
    dtypes = sorted(set.intersection(*(set(d.split(", ")) for d in scratch["dtypes"])))
    gpu = (scratch.GPU == "yes").all()
    all_dtypes = set(dtypes) >= {"float16", "float32", "float64", "bfloat16"}
    limits = []
    if not gpu:
        limits.append("runs on the CPU only")
    if not all_dtypes:
        limits.append(f"trains only in {', '.join(dtypes)}")
    cost = "every change of layer, activation or cost means re-deriving backprop by hand"
    if not limits:
        return Answer(
            "Flexibility",
            claim,
            "holds",
            f"The from-scratch code runs on a GPU and in every dtype tried; but {cost}.",
        )
    return Answer(
        "Flexibility",
        claim,
        "holds only in part",
        f"Anything in the maths can be changed, but {cost}, and from-scratch NumPy "
        f"({', '.join(scratch.backend)}) " + " and ".join(limits) + ".",
    )


def claim_builtins(
    flexibility: pd.DataFrame, ease: pd.DataFrame, kinds: dict[str, Backend], present: set[str]
) -> Answer:
    claim = "PyTorch brings built-in optimisers, losses, layers, devices and dtypes."
    names = of_kind(present, kinds, framework="torch", autograd=True)
    if not names:
        return Answer("Flexibility", claim, "not measured", "No autograd PyTorch backend ran.")
    flex = flexibility[flexibility.backend.isin(names)]
    used = ease[ease.name.isin(names)]
    uses = {
        "autograd": (flex.autograd == "yes").any(),
        "torch.optim": (used.optimiser == "torch.optim").any(),
        "nn.Linear layers": (used.layers == "nn.Linear").any(),
        "a built-in loss": (used.loss == "built-in").any(),
        "a DataLoader": (used.batching == "DataLoader").any(),
    }
    can = {
        "run on a GPU": (flex.GPU == "yes").any(),
        "train in bfloat16": flex["dtypes"].str.contains("bfloat16").any(),
    }
    used_names = [k for k, v in uses.items() if v] or ["none of these"]
    text = f"The autograd PyTorch backends here ({', '.join(names)}) use {', '.join(used_names)}"
    able = [k for k, v in can.items() if v]
    text += f", and can {' and '.join(able)}" if able else ""
    unused = [k for k, v in uses.items() if not v]
    text += f"; they write by hand what they do not use: {', '.join(unused)}." if unused else "."
    verdict = (
        "holds" if uses["autograd"] and uses["torch.optim"] and can["run on a GPU"] else "holds only in part"
    )
    return Answer("Flexibility", claim, verdict, text)


def kinds_of(backends: dict[str, tuple[str, bool, str]]) -> dict[str, Backend]:
    return {name: Backend(*props) for name, props in backends.items()}


def judge(runs, ease, flexibility, gradients, backends: dict[str, tuple[str, bool, str]]) -> list[Answer]:
    """Every claim's answer. `backends`: name -> (framework, uses autograd, style)."""
    kinds = kinds_of(backends)
    present = set(runs[runs.status == "ok"].backend)
    return [
        claim_less_code(ease, kinds, present),
        claim_error_prone(gradients, kinds, present),
        claim_faster(runs, kinds),
        claim_gpu(runs),
        claim_parallelism(runs, kinds),
        claim_customise(flexibility, kinds, present),
        claim_builtins(flexibility, ease, kinds, present),
    ]

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


def faster_verdict(table: pd.DataFrame, kinds: dict[str, Backend], hidden: int) -> tuple[str | None, str]:
    """(verdict, evidence) of the claim at one hidden size, per pair of NumPy and torch code of one
    style, each ratio at one batch size; (None, "") where no pair ran there."""
    present = set(table[table.hidden == hidden].backend)
    verdicts, texts = {}, []
    for kind, style in (("hand-written", "tuned"), ("idiomatic", "idiomatic")):
        numpy_names = of_kind(present, kinds, framework="numpy", style=style)
        torch_names = of_kind(present, kinds, framework="torch", style=style)
        ratios = compare_sides(table, numpy_names, torch_names, hidden) if numpy_names and torch_names else []
        if ratios:
            verdicts[kind] = verdict_over_batches(ratios)
            sides = f"{fastest_of(torch_names)} against {fastest_of(numpy_names)}"
            texts.append(f"{kind} code ({sides}): {ratio_text(ratios)}")
    if not verdicts:
        return None, ""
    if len(set(verdicts.values())) == 1:
        verdict = next(iter(verdicts.values()))
    else:
        verdict = "; ".join(f"{v} for {k} code" for k, v in verdicts.items())
    return verdict, f"At hidden {hidden}, " + "; ".join(texts) + "." + compiled_text(table, kinds, hidden)


def claim_faster(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    """Judged at Nielsen's hidden size (else the smallest), and again at the largest measured when the
    runs go further: the verdict names each size where the two differ."""
    claim = "PyTorch's optimised operations make it faster than NumPy written by hand."
    table = times_by_backend(runs)
    if table.empty:
        return Answer("Performance", claim, "not measured", NO_TIMED_EPOCHS)
    hidden = NIELSEN["hidden"] if (table.hidden == NIELSEN["hidden"]).any() else int(table.hidden.min())
    judged = [(h, *faster_verdict(table, kinds, h)) for h in dict.fromkeys([hidden, int(table.hidden.max())])]
    judged = [(h, verdict, text) for h, verdict, text in judged if verdict]
    if not judged:
        return Answer(
            "Performance", claim, "not measured", "It needs NumPy and torch runs on the CPU: `make bench`."
        )
    if len({verdict for _, verdict, _ in judged}) == 1:
        verdict = judged[0][1]
    else:
        verdict = "; ".join(f"{v} at hidden {h}" for h, v, _ in judged)
    return Answer("Performance", claim, verdict, " ".join(text for _, _, text in judged))


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


def thread_gains(runs: pd.DataFrame, by: str = "backend", background_load: int = 0) -> pd.DataFrame:
    """1-thread over 2-thread median epoch time (how many times as fast a second thread makes it) per
    (`by`, backend, device, batch, hidden) measured at both, at this background load, one run at a time."""
    data = timed(runs)
    data = data[
        data.threads.isin([1, 2]) & (data.parallel_jobs == 1) & (data.background_load == background_load)
    ]
    keys = list(dict.fromkeys([by, "backend", "device", "batch_size", "hidden"]))
    cells = data.groupby([*keys, "threads"], observed=True).train_s.median().unstack("threads")
    if 1 not in cells.columns or 2 not in cells.columns:
        return pd.DataFrame(columns=[*keys, "gain"])
    return (cells[1] / cells[2]).dropna().rename("gain").reset_index()


def pays_off_from(line: pd.DataFrame) -> int | None:
    """The smallest hidden size from which a second thread gains more than SAME at every larger size
    measured, in one variant's gains at one batch size; None where it never does."""
    start = None
    for hidden, gain in line.sort_values("hidden", ascending=False)[["hidden", "gain"]].itertuples(
        index=False
    ):
        if gain <= SAME:
            break
        start = int(hidden)
    return start


def claim_parallelism(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    """Each framework's best gain from a second thread, compared cell by cell (same batch and hidden
    size), told at the largest cell both ran; with where it starts to pay off and, at that cell,
    what share of its library's peak each reaches on one thread."""
    claim = "Hand-written NumPy has no parallelism; frameworks use the hardware better."
    gains = thread_gains(runs)
    gains = gains[gains.device == "cpu"].assign(
        framework=lambda g: g.backend.map(lambda n: kinds[n].framework if n in kinds else "?")
    )
    if gains.empty:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "It needs runs at 1 and 2 threads: the `pitfalls` preset (`python run.py -m +sweep=pitfalls`, "
            "part of `make bench`), or the `scale` preset (`make scale`).",
        )
    best = gains.loc[gains.groupby(["framework", "hidden", "batch_size"]).gain.idxmax()]
    best = best.set_index(["hidden", "batch_size", "framework"])[["backend", "gain"]].unstack("framework")
    if ("gain", "numpy") not in best.columns:
        return Answer("Performance", claim, "not measured", "No NumPy backend ran at 1 and 2 threads.")
    sides = [f for f in ("numpy", "torch") if ("gain", f) in best.columns]
    shared = best[best["gain"][sides].notna().all(axis=1)]
    if shared.empty:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "NumPy and torch never ran at 1 and 2 threads at the same batch and hidden size: run both in "
            "one preset (`pitfalls`, `scale`).",
        )
    hidden, batch = max(shared.index)
    cell = shared.loc[(hidden, batch)]
    framework_order = ["numpy", "torch", *sorted(set(gains.framework) - {"numpy", "torch"})]
    parts = [
        gain_text(cell["backend"][f], cell["gain"][f])
        for f in framework_order
        if ("gain", f) in cell.index and pd.notna(cell["gain"][f])
    ]
    text = f"Idle, at hidden {hidden}, batch {batch}, a second thread makes " + ", ".join(parts)
    text += pays_off_text(gains, batch) + peak_share_text(runs, hidden, batch)
    busy = thread_gains(runs, background_load=1)
    if not busy.empty:
        worst = busy.loc[busy.gain.idxmin()]
        text += (
            f"; with the other core busy, 2 threads make {worst.backend} {times(1 / worst.gain)} slower "
            f"at batch {worst.batch_size}, hidden {worst.hidden}"
        )
    numpy_parallel = (best["gain"]["numpy"] > SAME).any()
    if "torch" in sides:
        # "Better" is judged by what the second core gives each at the same sizes, not by which is faster.
        better = shared["gain"]["torch"] > (shared["gain"]["numpy"] * SAME).clip(lower=SAME)
    else:
        better = pd.Series(False, index=shared.index)
    where = "" if better.all() or not better.any() else f" (at {len(better[better])} of {len(better)} sizes)"
    if numpy_parallel and better.any():
        verdict = "holds only in part"
        text = (
            f"NumPy's BLAS multiplies on several threads too, but torch makes more of a second core{where}. "
            + text
        )
    elif numpy_parallel:
        verdict = "does not hold"
        text = "NumPy's BLAS multiplies on several threads too, and gains as much from a second core. " + text
    elif better.any():
        verdict = "holds" if better.all() else "holds only in part"
        text = f"Only torch gains from a second thread{where}. " + text
    else:
        verdict = "does not hold"
        text = "Neither gains much from a second thread at these sizes. " + text
    return Answer("Performance", claim, verdict, text + ".")


def gain_text(name: str, gain: float) -> str:
    return f"{name} {times(gain)} as fast" if gain >= 1 else f"{name} {times(1 / gain)} slower"


def pays_off_text(gains: pd.DataFrame, batch: int) -> str:
    """Where a second thread starts to pay off for each backend, at this batch, over 3+ hidden sizes."""
    at = gains[gains.batch_size == batch]
    parts = []
    for name, line in at.groupby("backend"):
        if line.hidden.nunique() >= 3:
            start = pays_off_from(line)
            parts.append(f"{name} from hidden {start}" if start is not None else f"{name} at no size")
    if not parts:
        return ""
    return f"; at batch {batch} it pays off (more than {SAME:.2f}×) for " + ", ".join(parts)


def peak_share_text(runs: pd.DataFrame, hidden: int, batch: int) -> str:
    """What share of its library's measured GEMM peak each backend reaches on one thread at this cell."""
    data = timed(runs)
    data = data[
        (data.threads == 1) & (data.hidden == hidden) & (data.batch_size == batch) & (data.device == "cpu")
        & (data.background_load == 0) & (data.parallel_jobs == 1) & data.peak_gflops.notna()
    ]  # fmt: skip
    if data.empty or "gflops" not in data:
        return ""
    share = (data.gflops / data.peak_gflops).groupby(data.backend).median().sort_values(ascending=False)
    parts = ", ".join(f"{name} {value:.0%}" for name, value in share.items())
    return f"; on one thread there, of its library's measured matrix-product peak: {parts}"


def supported_cells(matrix: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The flexibility matrix's cells of these backends that ran their change."""
    return matrix[matrix.backend.isin(names) & matrix.unsupported.isna()]


def statements_text(n: int) -> str:
    return f"{n:.0f} statement{'' if n == 1 else 's'}"


def took(cells: pd.DataFrame, change: str) -> str:
    """What the change took the backend of `cells` that needed the fewest statements for it:
    'numpy 3 statements and a re-derived gradient (2 backprop statements)'."""
    of_change = cells[cells.change == change].sort_values(["statements", "backend"])
    if of_change.empty:
        return "none of them ran it"
    best = of_change.iloc[0]
    if pd.isna(best["derived statements"]):
        derivation = "no derivation (autograd)"
    elif best["by hand"]:
        derivation = f"a re-derived gradient ({statements_text(best['derived statements'])} of backprop)"
    else:
        derivation = "no new backprop"
    return f"{best.backend} {statements_text(best.statements)} and {derivation}"


def fewest(cells: pd.DataFrame, change: str) -> str:
    """'3* (numpy)': the fewest statements a backend of `cells` took for the change, starred when it
    re-derived the gradient."""
    best = cells[cells.change == change].sort_values(["statements", "backend"]).iloc[0]
    return f"{best.statements:.0f}{'*' if best['by hand'] else ''} ({best.backend})"


def claim_customise(matrix: pd.DataFrame, kinds: dict[str, Backend], present: set[str]) -> Answer:
    """Judged from the flexibility matrix: did from-scratch NumPy take every change, correctly, and
    at what price in code and hand-derived gradients."""
    claim = "From scratch, anything can be customised without restrictions."
    names = of_kind(present, kinds, framework="numpy", autograd=False)
    cells = matrix[matrix.backend.isin(names)]
    if cells.empty:
        return Answer("Flexibility", claim, "not measured", "No from-scratch NumPy backend ran.")
    changes = list(dict.fromkeys(cells.change))
    ok = supported_cells(cells, names)
    ok = ok[ok["relative error"] < GRADIENT_OK]
    taken = [c for c in changes if c in set(ok.change)]
    everywhere = len(ok) == len(cells)
    lacking = cells[
        ~cells.set_index(["change", "backend"]).index.isin(ok.set_index(["change", "backend"]).index)
    ]
    derived = [c for c in taken if ok[ok.change == c]["by hand"].all()]
    text = (
        f"From-scratch NumPy ({', '.join(names)}) took {len(taken)} of {len(changes)} of chapter 3's changes "
        f"with a gradient that passes the check; {len(derived)} of them needed backprop re-derived by hand"
    )
    if derived:
        autograd = supported_cells(matrix, of_kind(present, kinds, autograd=True))
        example = derived[0]
        text += f": {example} took {took(ok, example)}"
        text += f"; {took(autograd, example)}" if example in set(autograd.change) else ""
    text += "."
    if not lacking.empty:
        reasons = [
            f"{row.backend} {row.change}: "
            + (row.unsupported if isinstance(row.unsupported, str) else "wrong gradient")
            for _, row in lacking.iterrows()
        ]
        text += " Not taken: " + "; ".join(reasons) + "."
    if everywhere:
        verdict = "holds"
    elif len(taken) == len(changes):
        verdict = "holds only in part"
    else:
        verdict = "does not hold"
    return Answer("Flexibility", claim, verdict, text)


def claim_builtins(
    matrix: pd.DataFrame,
    flexibility: pd.DataFrame,
    ease: pd.DataFrame,
    kinds: dict[str, Backend],
    present: set[str],
) -> Answer:
    """Judged from the flexibility matrix (each change in autograd PyTorch against from scratch) and
    from what the autograd PyTorch backends use and can do (optimiser, layers, devices, dtypes)."""
    claim = "PyTorch brings built-in optimisers, losses, layers, devices and dtypes."
    names = of_kind(present, kinds, framework="torch", autograd=True)
    cells = matrix[matrix.backend.isin(names)]
    if not names or cells.empty:
        return Answer("Flexibility", claim, "not measured", "No autograd PyTorch backend ran.")
    torch = supported_cells(matrix, names)
    scratch = supported_cells(matrix, of_kind(present, kinds, framework="numpy", autograd=False))
    changes = list(dict.fromkeys(cells.change))
    missing = [c for c in changes if c not in set(torch.change)]
    fewer = [
        c
        for c in changes
        if c in set(torch.change)
        and (
            c not in set(scratch.change)
            or torch[torch.change == c].statements.min() <= scratch[scratch.change == c].statements.min()
        )
    ]
    per_change = ", ".join(
        f"{c} {fewest(torch, c)}" + (f" against {fewest(scratch, c)}" if c in set(scratch.change) else "")
        for c in changes
        if c in set(torch.change)
    )
    flex = flexibility[flexibility.backend.isin(names)]
    used = ease[ease.name.isin(names)]
    builtins = {
        "torch.optim": (used.optimiser == "torch.optim").any(),
        "nn.Linear layers": (used.layers == "nn.Linear").any(),
        "a built-in loss": (used.loss == "built-in").any(),
        "a GPU": (flex.GPU == "yes").any(),
        "bfloat16": flex["dtypes"].str.contains("bfloat16").any(),
    }
    text = (
        f"Autograd PyTorch ({', '.join(names)}) took {len(changes) - len(missing)} of {len(changes)} of "
        f"chapter 3's changes without deriving a gradient, {len(fewer)} of them in no more statements than "
        f"from scratch (the fewest statements each side took; * a re-derived gradient): {per_change}. "
        "They use " + ", ".join(k for k, v in builtins.items() if v)
    )
    unused = [k for k, v in builtins.items() if not v]
    text += f"; not {', '.join(unused)}." if unused else "."
    if not missing and len(fewer) == len(changes) and builtins["torch.optim"] and builtins["a GPU"]:
        verdict = "holds"
    elif len(missing) == len(changes):
        verdict = "does not hold"
    else:
        verdict = "holds only in part"
    return Answer("Flexibility", claim, verdict, text)


def kinds_of(backends: dict[str, tuple[str, bool, str]]) -> dict[str, Backend]:
    return {name: Backend(*props) for name, props in backends.items()}


def judge(
    runs, ease, flexibility, gradients, backends: dict[str, tuple[str, bool, str]], matrix
) -> list[Answer]:
    """Every claim's answer. `backends`: name -> (framework, uses autograd, style); `matrix`:
    chapter 3's changes in every backend (benchmarks.report.flexibility.flexibility_matrix)."""
    kinds = kinds_of(backends)
    present = set(runs[runs.status == "ok"].backend)
    return [
        claim_less_code(ease, kinds, present),
        claim_error_prone(gradients, kinds, present),
        claim_faster(runs, kinds),
        claim_gpu(runs),
        claim_parallelism(runs, kinds),
        claim_customise(matrix, kinds, present),
        claim_builtins(matrix, flexibility, ease, kinds, present),
    ]

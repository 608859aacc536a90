"""The learner's seven claims about NumPy from scratch against PyTorch, judged from the data.

Each verdict is computed from the runs being reported and from what the
implementations show of themselves (benchmarks.report.source), never written by hand:
"holds", "holds where the data decide", "holds only in part", "does not hold where the
data decide", "does not hold", "undecided" (with its reason) or "not measured", with the
figures behind it. A speed claim is tallied from comparisons (benchmarks.stats): each
names a faster side only beyond the noise, with its interval; a claim never holds or
fails from comparisons that decide nothing (docs/fairness.md, "Each claim's rule").
Lines of the learner's comparison that no measurement here can judge are listed, with
why, in NOT_JUDGED.
Backends are told apart by what they declare, not by name: their `framework` (numpy
or torch), whether they use autograd, and the `style` in their conf file (idiomatic:
the code its framework teaches; tuned: written for speed; learner: someone's own file).
"""

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .. import stats
from ..configuration import NIELSEN
from ..stats import Comparison
from . import paired
from .summary import standard, standard_threads, timed, usual_network

UNDECIDED = "undecided: no clear difference"
TOO_FEW = f"undecided: too few runs (under {stats.MIN_RUNS} a side)"
LARGE_HIDDEN = 1000  # from this hidden size on, "the large size" of claims 3 and 5
SIGNIFICANT = 2.0  # "significantly faster" means at least twice as fast
GRADIENT_OK = 1e-6
NO_TIMED_EPOCHS = (
    "No run here has a timed epoch (the first is warm-up): run at least 2 epochs, as `make bench` does."
)


@dataclass(frozen=True)
class Answer:
    """A claim's verdict, the sentence behind it, and the comparisons of speed it was built from."""

    question: str
    claim: str
    verdict: str
    evidence: str
    comparisons: list[Comparison] = field(default_factory=list)


@dataclass(frozen=True)
class NotJudged:
    """A line of the learner's comparison that no measurement here judges, and why."""

    question: str
    line: str
    why: str


# The learner's comparison, line by line, each with the claim (its number in `judge`) that judges it,
# or None where NOT_JUDGED says why nothing here can.
LEARNERS_COMPARISON = (
    ("Ease of use", "PyTorch: far less code than a network written from scratch.", 1),
    ("Ease of use", "NumPy: backpropagation derived and written by hand; PyTorch: autograd computes it.", 2),
    ("Ease of use", "NumPy: development and debugging can be significantly time-consuming.", None),
    ("Performance", "NumPy: can be slower compared to optimized libraries.", 3),
    ("Performance", "PyTorch: GPU acceleration makes training significantly faster.", 4),
    (
        "Performance",
        "NumPy: lack of built-in support for GPU acceleration means computations are typically performed "
        "on the CPU, which can be a bottleneck for large models or datasets.",
        5,
    ),
    ("Flexibility", "NumPy: complete control; anything can be customised.", 6),
    ("Flexibility", "PyTorch: built-in optimisers, losses, layers, devices and dtypes.", 7),
    ("Flexibility", "PyTorch benefits from a large community and extensive ecosystem.", None),
)
NOT_JUDGED = (
    NotJudged(
        "Ease of use",
        "NumPy: development and debugging can be significantly time-consuming.",
        "Time spent debugging is a person's, and no run here measures it. What can be measured is "
        "claim 2: whether each hand-written backprop is right, and which planted mistakes (a flipped "
        "sign, a missing σ', ...) only a gradient check catches; how many of those still train to a "
        "plausible accuracy, so that nothing but the check shows them, is not measured yet.",
    ),
    NotJudged(
        "Flexibility",
        "PyTorch benefits from a large community and extensive ecosystem.",
        "A community and an ecosystem cannot be measured offline, from runs and source on one machine; "
        "backprop-bench measures what PyTorch brings built in instead (claim 7).",
    ),
)


@dataclass(frozen=True)
class Backend:
    framework: str
    autograd: bool
    style: str


def run_table(runs: pd.DataFrame) -> tuple[pd.DataFrame, tuple[int, int]]:
    """One row per run the speed answers read (the usual network and threads, no background load,
    alone, finished ok, busy runs left out where idle ones exist) with `seconds`, its median timed
    epoch; and (busy runs left out, configurations judged from busy runs)."""
    data = standard(runs)
    data, *busy = stats.without_busy(data[data.status == "ok"])
    keys = ["backend", "device", "hidden", "batch_size", "threads", "background_load", "config_key"]
    per_run = data.groupby("run_id", observed=True)[keys].first()
    return per_run.join(stats.run_seconds(data).rename("seconds"), how="inner").reset_index(), tuple(busy)


def times_by_backend(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (backend, device, hidden, batch): the backend's fastest configuration there (never pooled
    with another), with `train_s`, the median of its runs' seconds, and `seconds`, those runs'."""
    keys = ["backend", "device", "hidden", "batch_size"]
    per_run, _ = run_table(runs)
    if per_run.empty:
        return pd.DataFrame(columns=[*keys, "train_s", "seconds"])
    configs = per_run.groupby([*keys, "config_key"], observed=True).seconds.agg(["median", list])
    configs = configs.rename(columns={"median": "train_s", "list": "seconds"}).reset_index()
    best = configs.loc[configs.groupby(keys, observed=True).train_s.idxmin()]
    return best.drop(columns="config_key").reset_index(drop=True)


def of_kind(names, kinds: dict[str, Backend], **wanted) -> list[str]:
    return sorted(
        n for n in names if n in kinds and all(getattr(kinds[n], k) == v for k, v in wanted.items())
    )


def fastest(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per (hidden, batch): the fastest of `names`, its median time and its runs' seconds."""
    part = table[table.backend.isin(names)]
    best = part.loc[part.groupby(["hidden", "batch_size"]).train_s.idxmin()]
    return best.set_index(["hidden", "batch_size"])[["backend", "train_s", "seconds"]]


def verdict_of(outcomes: list[bool | None], too_few: bool = False) -> str:
    """A claim's verdict from what each comparison says of it: bears it out (True), refutes it (False)
    or cannot tell (None). Only decided outcomes count: none decided is "undecided", with its reason
    (`too_few`: some comparison has too few runs for an interval)."""
    decided = [o for o in outcomes if o is not None]
    if not decided:
        return TOO_FEW if too_few else UNDECIDED
    whole = len(decided) == len(outcomes)
    if all(decided):
        return "holds" if whole else "holds where the data decide"
    if not any(decided):
        return "does not hold" if whole else "does not hold where the data decide"
    return "holds only in part"


def tally(comparisons: list[Comparison], claimed: Callable[[Comparison], bool | None]) -> str:
    """The verdict of a claim from its comparisons: `claimed` says of each whether it bears the claim
    out (True), refutes it (False) or cannot tell (None)."""
    return verdict_of([claimed(c) for c in comparisons], any(math.isnan(c.low) for c in comparisons))


def size_name(hidden: int) -> str:
    """'the book's size (hidden 30)', 'the large size (hidden 1000)' or 'hidden 100'."""
    if hidden == NIELSEN["hidden"]:
        return f"the book's size (hidden {hidden})"
    return f"the large size (hidden {hidden})" if hidden >= LARGE_HIDDEN else f"hidden {hidden}"


def count_text(comparisons: list[Comparison], side_name: Callable[[str], str]) -> str:
    """'torch faster in 4 of 12 comparisons, NumPy in 6, no clear difference in 2'."""
    counts = Counter(side_name(c.faster) if c.decided else None for c in comparisons)
    parts = [f"{name} faster in {n}" for name, n in counts.items() if name is not None]
    if counts[None]:
        parts.append(f"no clear difference in {counts[None]}")
    return f"of {len(comparisons)} comparisons, " + ", ".join(parts)


def busy_text(busy: tuple[int, int]) -> str:
    """What the answer did with runs made while other work took the machine."""
    left_out, busy_only = busy
    said = []
    if left_out:
        said.append(f"busy runs left out: {left_out}")
    if busy_only:
        said.append(f"configurations with no idle run, judged from busy ones: {busy_only}")
    if not said:
        return ""
    text = "; ".join(said)
    return (
        f" {text[:1].upper()}{text[1:]} (busy: other work took over {stats.BUSY_CORES} cores, or the "
        f"hypervisor stole over {stats.BUSY_STEAL:.0%} of the time)."
    )


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


def compare_sides(
    table, kind: str, numpy_names, torch_names, hidden: int, sides, threads: int
) -> list[Comparison]:
    """NumPy's fastest against torch's fastest at each batch both sides ran on the CPU at this hidden
    size, for code of one kind; from pairs of the two where they were timed."""
    cpu = table[(table.device == "cpu") & (table.hidden == hidden)]
    numpy_best, torch_best = fastest(cpu, numpy_names), fastest(cpu, torch_names)
    both = numpy_best.merge(
        torch_best, left_index=True, right_index=True, suffixes=("_numpy", "_torch")
    ).sort_index()
    return [
        paired.paired_instead(
            stats.compare(
                f"{kind}, hidden={hidden}, batch={batch}",
                row.backend_numpy,
                row.seconds_numpy,
                row.backend_torch,
                row.seconds_torch,
            ),
            sides,
            (row.backend_numpy, threads),
            (row.backend_torch, threads),
            hidden,
            batch,
        )  # fmt: skip
        for (_, batch), row in both.iterrows()
    ]


def framework_of(kinds: dict[str, Backend]) -> Callable[[str], str]:
    return lambda name: {"numpy": "NumPy", "torch": "torch"}.get(kinds[name].framework, name)


def claim_faster(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    """Judged per pair of NumPy and torch code of one style (hand-written: tuned; idiomatic), at each
    batch, at Nielsen's hidden size (else the smallest) and at every larger size both ran, each size
    with its own verdict: the learner names no size, and the answer changes with it."""
    claim = "PyTorch's optimised operations make it faster than NumPy written by hand."
    runs, pairs = paired.split(runs)
    sides = paired.sides_seconds(pairs)
    table = times_by_backend(runs)
    if table.empty:
        return Answer("Performance", claim, "not measured", NO_TIMED_EPOCHS)
    hidden = NIELSEN["hidden"] if (table.hidden == NIELSEN["hidden"]).any() else int(table.hidden.min())
    threads = standard_threads(runs)
    by_size = {}
    for h in sorted(int(h) for h in table.hidden.unique() if h >= hidden):
        present = set(table[table.hidden == h].backend)
        for kind, style in (("hand-written", "tuned"), ("idiomatic", "idiomatic")):
            numpy_names = of_kind(present, kinds, framework="numpy", style=style)
            torch_names = of_kind(present, kinds, framework="torch", style=style)
            if numpy_names and torch_names:
                found = compare_sides(table, kind, numpy_names, torch_names, h, sides, threads)
                by_size.setdefault(h, []).extend(found)
    comparisons = [c for at_size in by_size.values() for c in at_size]
    if not comparisons:
        return Answer(
            "Performance", claim, "not measured", "It needs NumPy and torch runs on the CPU: `make bench`."
        )
    framework = framework_of(kinds)

    def torch_faster(c: Comparison) -> bool | None:
        return None if not c.decided else framework(c.faster) == "torch"

    verdict = tally(comparisons, torch_faster)
    parts = []
    for h, at_size in by_size.items():
        part = tally(at_size, torch_faster)
        torch_wins = [c.key for c in at_size if torch_faster(c)]
        parts.append(
            f"At {size_name(h)}: {part}; "
            + count_text(at_size, framework)
            + (f"; torch is faster at {'; '.join(torch_wins)}" if torch_wins and part != "holds" else "")
            + "."
        )
    text = "The fastest NumPy against the fastest torch code of each style. " + " ".join(parts)
    _, busy = run_table(runs)
    compiled = compiled_comparisons(table, kinds, hidden, sides, threads)
    if compiled:
        text += (
            f" Compiling the whole epoch, at batch {compiled[0].key.rsplit('=', 1)[1]}: "
            + "; ".join(compiled_text(c) for c in compiled)
            + "."
        )
    return Answer("Performance", claim, verdict, text + busy_text(busy), comparisons + compiled)


def compiled_text(comparison: Comparison) -> str:
    """'numba 3.1× (2.9–3.3×) as fast as numpy', or 'jax against numpy: no clear difference (jax ahead
    1.01×, 0.97–1.05×)'."""
    compiled, numpy_side = comparison.sides
    if not comparison.decided:
        return f"{compiled} against {numpy_side}: {stats.undecided_text(comparison)}"
    relation = "as fast as" if comparison.faster == compiled else "slower than"
    return f"{compiled} {stats.interval_text(comparison)} {relation} {numpy_side}"


def compiled_comparisons(
    table: pd.DataFrame, kinds: dict[str, Backend], hidden: int, sides: pd.DataFrame, threads: int
) -> list[Comparison]:
    """The backends of other frameworks (compiled ones) against the fastest NumPy at the smallest
    batch: what compiling the whole epoch gives beside both."""
    others = sorted(
        n for n in set(table.backend) if n in kinds and kinds[n].framework not in ("numpy", "torch")
    )
    cpu = table[(table.device == "cpu") & (table.hidden == hidden)]
    numpy_best = fastest(cpu, of_kind(set(cpu.backend), kinds, framework="numpy"))
    if not others or numpy_best.empty:
        return []
    batch = int(numpy_best.index.get_level_values("batch_size").min())
    base = numpy_best.loc[(hidden, batch)]
    found = []
    for name in others:
        row = cpu[(cpu.backend == name) & (cpu.batch_size == batch)]
        if not row.empty:
            key = f"compiled {name}, hidden={hidden}, batch={batch}"
            whole = stats.compare(key, name, row.seconds.iloc[0], base.backend, base.seconds)
            found.append(
                paired.paired_instead(whole, sides, (name, threads), (base.backend, threads), hidden, batch)
            )
    return found


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
    both = cpu.merge(gpu, left_index=True, right_index=True, suffixes=("_cpu", "_gpu")).sort_index()
    if both.empty:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "GPU and CPU runs share no batch size; run both sweeps into one results folder.",
        )
    comparisons = [
        stats.compare(
            f"hidden={hidden}, batch={batch}",
            f"{row.backend_cpu} (cpu)",
            row.seconds_cpu,
            f"{row.backend_gpu} (cuda)",
            row.seconds_gpu,
        )  # fmt: skip
        for (_, batch), row in both.iterrows()
    ]

    def significant(c: Comparison) -> bool | None:
        """The GPU at least SIGNIFICANT times as fast, beyond doubt (True), or surely not (False)."""
        if c.decided and c.faster == c.sides[1]:
            return True if c.low >= SIGNIFICANT else (False if c.high < SIGNIFICANT else None)
        return False if c.decided else None

    return Answer(
        "Performance",
        claim,
        tally(comparisons, significant),
        f"The fastest GPU run against the fastest CPU run, hidden {hidden}; at least {SIGNIFICANT:.0f}× "
        "over the whole interval counts as significant.",
        comparisons,
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
    """The smallest hidden size from which a second thread gains more than the noise band at every
    larger size measured, in one variant's gains at one batch size; None where it never does."""
    start = None
    for hidden, gain in line.sort_values("hidden", ascending=False)[["hidden", "gain"]].itertuples(
        index=False
    ):
        if gain <= stats.NOISE_BAND:
            break
        start = int(hidden)
    return start


@dataclass(frozen=True)
class Gain:
    """What a second thread makes of one backend at one size: its comparison, and how many times as
    fast (below 1: slower) 2 threads are, with that interval."""

    comparison: Comparison
    backend: str
    hidden: int
    batch: int
    gain: float
    low: float
    high: float


def second_thread_gains(runs: pd.DataFrame, sides: pd.DataFrame | None = None) -> list[Gain]:
    """Per (backend, hidden, batch) measured on the CPU at 1 and 2 threads, one run at a time, with no
    background load: 1 thread against 2 (busy runs left out), from pairs of the two where timed."""
    data = usual_network(runs)
    data = data[
        (data.status == "ok") & data.threads.isin([1, 2]) & (data.parallel_jobs == 1)
        & (data.background_load == 0) & (data.device == "cpu")
    ]  # fmt: skip
    data, *_ = stats.without_busy(data)
    keys = ["backend", "hidden", "batch_size", "threads"]
    per_run = data.groupby("run_id", observed=True)[keys].first().join(stats.run_seconds(data))
    found = []
    for (backend, hidden, batch), cell in per_run.groupby(keys[:3], observed=True):
        one, two = cell[cell.threads == 1].train_s, cell[cell.threads == 2].train_s
        if len(one) and len(two):
            where = f"{backend}, hidden={hidden}, batch={batch}"
            c = stats.compare(where, f"{backend} 1 thread", one, f"{backend} 2 threads", two)
            c = paired.paired_instead(c, sides, (backend, 1), (backend, 2), hidden, batch)
            found.append(Gain(c, backend, int(hidden), int(batch), *c.speed_of(c.sides[1])))
    return found


def numpy_has_no_parallelism(g: Gain) -> bool | None:
    """What one NumPy comparison of 1 against 2 threads says of "hand-written NumPy has no
    parallelism": refuted where 2 threads are decided faster, borne out where 1 thread is (a second
    core only costs it), None where it is undecided."""
    if not g.comparison.decided:
        return None
    return g.comparison.faster == g.comparison.sides[0]


def torch_uses_it_better(numpy: Gain, torch: Gain) -> bool | None:
    """What one cell says of "frameworks use the hardware better": borne out where torch is decided
    faster on 2 threads with its whole interval of that gain above NumPy's; refuted where its whole
    interval lies below NumPy's, or where 2 threads are decided slower for torch; None otherwise."""
    torch_gains = torch.comparison.decided and torch.comparison.faster == torch.comparison.sides[1]
    if torch_gains and torch.low > numpy.high:
        return True
    torch_loses = torch.comparison.decided and not torch_gains
    return False if torch.high < numpy.low or torch_loses else None


def cells_text(cells: list[tuple[int, int]]) -> str:
    return "; ".join(f"hidden {h}, batch {b}" for h, b in cells)


def claim_parallelism(runs: pd.DataFrame, kinds: dict[str, Backend]) -> Answer:
    """Each framework's best gain from a second thread, idle, compared cell by cell (same batch and
    hidden size): at the book's size and at the large size apart, each with its own verdict, NumPy's
    own gain stated at the largest cell; with where it starts to pay off and, at that cell, what share
    of its library's peak each reaches on one thread. A busy machine's runs are a pitfall of their own
    (docs/fairness.md), not evidence for the claim."""
    claim = "Hand-written NumPy has no parallelism; frameworks use the hardware better."
    runs, pairs = paired.split(runs)
    gains = [g for g in second_thread_gains(runs, paired.sides_seconds(pairs)) if g.backend in kinds]
    if not gains:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "It needs runs at 1 and 2 threads: the `pitfalls` and `large` presets (`make bench`), or the "
            "`scale` preset (`make scale`).",
        )
    best = {}  # (hidden, batch) -> framework -> the backend of that framework that gains most there
    for g in gains:
        cell = best.setdefault((g.hidden, g.batch), {})
        framework = kinds[g.backend].framework
        if framework not in cell or g.gain > cell[framework].gain:
            cell[framework] = g
    if not any("numpy" in cell for cell in best.values()):
        return Answer("Performance", claim, "not measured", "No NumPy backend ran at 1 and 2 threads.")
    shared = {size: cell for size, cell in sorted(best.items()) if {"numpy", "torch"} <= set(cell)}
    if not shared:
        return Answer(
            "Performance",
            claim,
            "not measured",
            "NumPy and torch never ran at 1 and 2 threads at the same batch and hidden size: run both in "
            "one preset (`pitfalls`, `large`, `scale`).",
        )
    outcomes = {  # (hidden, batch) -> what the cell says of each half of the claim
        size: (numpy_has_no_parallelism(cell["numpy"]), torch_uses_it_better(cell["numpy"], cell["torch"]))
        for size, cell in shared.items()
    }
    too_few = any(math.isnan(g.low) for cell in shared.values() for g in cell.values())
    verdict = verdict_of([o for pair in outcomes.values() for o in pair], too_few)
    parts = []
    for hidden in dict.fromkeys(h for h, _ in shared):
        cells = [size for size in shared if size[0] == hidden]
        at_size = verdict_of([o for size in cells for o in outcomes[size]], too_few)
        said = "; ".join(
            f"batch {batch}: " + ", ".join(gain_text(g) for g in ordered(shared[(hidden, batch)]))
            for _, batch in cells
        )
        parts.append(f"At {size_name(hidden)}, idle: {at_size}; a second thread makes, at {said}")
    hidden, batch = max(shared)
    text = f"{halves_text(outcomes, shared)} {'. '.join(parts)}"
    text += pays_off_text(gains, batch) + peak_share_text(runs, hidden, batch) + "."
    comparisons = [g.comparison for cell in shared.values() for g in ordered(cell)]
    return Answer("Performance", claim, verdict, text, comparisons)


def ordered(cell: dict[str, Gain]) -> list[Gain]:
    return [cell[f] for f in ["numpy", "torch", *sorted(set(cell) - {"numpy", "torch"})] if f in cell]


def halves_text(outcomes: dict, shared: dict) -> str:
    """What the decided cells say of each half of the claim, NumPy's own gain first, with where."""
    refuted = [size for size, (no_parallelism, _) in outcomes.items() if no_parallelism is False]
    if refuted:
        largest = shared[max(refuted)]["numpy"]
        first = (
            f"NumPy's BLAS multiplies on a second core too: at hidden {largest.hidden}, batch "
            f"{largest.batch}, {gain_text(largest)} with 2 threads."
        )
    elif all(no_parallelism for no_parallelism, _ in outcomes.values()):
        first = "A second core makes NumPy slower wherever measured."
    else:
        first = "Whether NumPy gains from a second core is undecided where no interval clears the noise."
    better = [size for size, (_, b) in outcomes.items() if b is True]
    worse = [size for size, (_, b) in outcomes.items() if b is False]
    open_ = [size for size, (_, b) in outcomes.items() if b is None]
    second = []
    if better:
        second.append(f"torch makes more of a second core than NumPy at {cells_text(better)}")
    if worse:
        second.append(f"no more at {cells_text(worse)}")
    if open_:
        second.append(f"the intervals leave it undecided at {cells_text(open_)}")
    said = "; ".join(second)
    return f"{first} {said[:1].upper()}{said[1:]}."


def gain_text(g: Gain) -> str:
    """'numpy 1.62× (1.51–1.70×) as fast', 'torch 3.10× (2.80–3.40×) slower', or 'numpy no clear
    difference (numpy 2 threads ahead 1.02×, 0.99–1.05×)'."""
    c = g.comparison
    if not c.decided:
        return f"{g.backend} {stats.undecided_text(c)}"
    relation = "as fast" if c.faster == c.sides[1] else "slower"
    return f"{g.backend} {stats.interval_text(c)} {relation}"


def pays_off_text(gains: list[Gain], batch: int) -> str:
    """Where a second thread starts to pay off for each backend, at this batch, over 3+ hidden sizes."""
    at = pd.DataFrame(
        [{"backend": g.backend, "hidden": g.hidden, "gain": g.low} for g in gains if g.batch == batch]
    )
    parts = []
    for name, line in at.groupby("backend") if not at.empty else []:
        if line.hidden.nunique() >= 3:
            start = pays_off_from(line)
            parts.append(f"{name} from hidden {start}" if start is not None else f"{name} at no size")
    if not parts:
        return ""
    return (
        f"; at batch {batch} it pays off (beyond {stats.NOISE_BAND:.2f}× over the whole interval) for "
        + ", ".join(parts)
    )


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
    whole, _ = paired.split(runs)
    present = set(whole[whole.status == "ok"].backend)
    return [
        claim_less_code(ease, kinds, present),
        claim_error_prone(gradients, kinds, present),
        claim_faster(runs, kinds),
        claim_gpu(whole),
        claim_parallelism(runs, kinds),
        claim_customise(matrix, kinds, present),
        claim_builtins(matrix, flexibility, ease, kinds, present),
    ]

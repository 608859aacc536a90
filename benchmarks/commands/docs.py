"""python -m benchmarks.commands.docs [--check] [--samples DIR]: the figures the README and the guides
quote from the committed samples, written into them (`make docs`).

A page marks each such passage `<!-- generated: NAME -->...<!-- /generated -->`, and this command
rewrites every marked passage from the samples under docs/: report/ (runs.parquet, answers.json,
peers.parquet), report-scale/ (runs.parquet, profile.txt) and report-machines/ (answers.json). Each
figure names the machine its sample recorded. `--check` writes nothing, lists the passages that differ
from what it would write, and exits 1 if any do; the tests run it, so a sample regenerated without
`make docs` fails them. `--samples DIR` reads the samples from DIR instead of docs/.
"""

import argparse
import json
import math
import re
import statistics
import sys
from functools import cached_property
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from .. import stats
from ..errors import UserError, command
from ..registry import CONF
from ..report import machines, paired, summary
from ..report.__main__ import printed
from ..report.answers import thread_gains
from ..report.document import answers_text, claims_from_json, load

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["README.md", "docs/*.md"]
BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->)(.*?)(<!-- /generated -->)", re.S)
EXAMPLES = 50_000  # the training set: an epoch's examples


def pages(root: Path) -> list[Path]:
    return [path for pattern in PAGES for path in sorted(root.glob(pattern))]


def machine_text(described: dict) -> str:
    """'Zen 4, 2 cores, OpenBLAS SkylakeX (it calls itself "AMD EPYC"; AuthenticAMD family 25 ...; KVM)'."""
    identity = described["identity"]
    said = [f'it calls itself "{identity["cpu_model"]}"']
    said += [identity[key] for key in ("cpu_identity", "hypervisor") if identity.get(key)]
    if not identity.get("cpu_identity"):
        said.append("its rows predate the recorded CPU identity")
    return f"{described['label']} ({'; '.join(said)})"


def seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def about(value: float) -> str:
    """Two significant figures, for a figure the text calls "about"."""
    return f"{float(f'{value:.2g}'):g}"


class Samples:
    """The committed samples under one folder, read once each."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, name: str) -> Path:
        path = self.folder / name
        if not path.exists():
            raise UserError(f"{path}: no such sample")
        return path

    @cached_property
    def answers(self) -> dict:
        return json.loads(self.path("report/answers.json").read_text())

    @cached_property
    def everything(self) -> pd.DataFrame:
        """The sample's rows: its separate runs and the sides of its pairs."""
        return load([self.path("report/runs.parquet")])[0]

    @cached_property
    def runs(self) -> pd.DataFrame:
        return paired.split(self.everything)[0]

    @cached_property
    def usual(self) -> pd.DataFrame:
        """The runs of the usual network (summary.usual_network)."""
        return summary.usual_network(self.runs)

    @cached_property
    def idle(self) -> pd.DataFrame:
        """Timed epochs of the usual network at 1 thread on an idle machine, as the report plots them."""
        return summary.timed(summary.standard(self.runs))[lambda r: r.threads == 1]

    @cached_property
    def scale(self) -> pd.DataFrame:
        return load([self.path("report-scale/runs.parquet")])[0]

    @cached_property
    def peers(self) -> pd.DataFrame:
        return pd.read_parquet(self.path("report/peers.parquet"))

    @cached_property
    def profile(self) -> str:
        return self.path("report-scale/profile.txt").read_text()

    @cached_property
    def several(self) -> dict:
        return json.loads(self.path("report-machines/answers.json").read_text())


# --- the report sample: runs.parquet and answers.json ---------------------------------------------


def run_seconds(runs: pd.DataFrame, **where) -> pd.Series:
    """Each run's median timed epoch, of the runs alone on the machine that match `where`."""
    chosen = summary.timed(runs)[lambda r: r.parallel_jobs == 1]
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    return stats.run_seconds(chosen)


def epoch_s(samples: Samples, backend: str, batch: int, hidden: int = 30) -> float:
    epochs = samples.idle
    chosen = epochs[(epochs.backend == backend) & (epochs.batch_size == batch) & (epochs.hidden == hidden)]
    if chosen.empty:
        raise UserError(
            f"the report sample has no timed epoch of {backend} at batch {batch}, hidden {hidden}"
        )
    return chosen.train_s.median()


def peak(samples: Samples, backend: str) -> float:
    return samples.idle[lambda r: r.backend == backend].peak_gflops.median()


def share(samples: Samples, backend: str, batch: int) -> float:
    achieved = summary.flops_per_example(30) * EXAMPLES / epoch_s(samples, backend, batch) / 1e9
    return achieved / peak(samples, backend)


def step_us(samples: Samples, backend: str, batch: int) -> float:
    return epoch_s(samples, backend, batch) / (EXAMPLES / batch) * 1e6


def readme_answers(samples: Samples) -> str:
    """What `python -m benchmarks.report docs/report/runs.parquet --out docs/report` prints."""
    text = answers_text(samples.answers)
    shown = printed(samples.everything, ["docs/report/runs.parquet"], text, Path("docs/report"))
    return "\n```\n" + shown + "\n```\n"


def load_spread(samples: Samples) -> str:
    runs, idle = samples.runs, samples.idle
    per_run = idle.groupby(["config_key", "run_id"], observed=True).train_s.median()
    per = per_run.groupby(level=0).agg(["min", "max", "size"])
    per = per[per["size"] >= stats.MIN_RUNS]
    spread = per["max"] / per["min"] - 1
    numpy = idle[(idle.backend == "numpy") & (idle.batch_size == 10) & (idle.hidden == 30)]
    example = numpy.groupby("run_id").train_s.median()
    compared = [c for claim in samples.answers["claims"] for c in claim["comparisons"] if c["ratio"]]
    narrowest = min(c["ratio"] for c in compared if c["faster"])
    widest = max(c["ratio"] for c in compared if not c["faster"])
    return (
        f"`others_cores` at most {runs.others_cores.max():.3f}, `steal_share` at most "
        f"{runs.steal_share.max():.1%} in every run): the runs of one configuration, at 1 thread on the "
        f"idle machine, still spread by {spread.min():.0%} to {spread.max():.0%}, slowest over fastest "
        f"(`numpy` at batch 10, hidden 30: {example.min():.2f} to {example.max():.2f} s per epoch over "
        f"{len(example)} runs); the narrowest difference its answers decide is "
        f"{stats.times_text(narrowest)}, the widest they leave undecided {stats.times_text(widest)}"
    )


def half_width(low: float, high: float) -> float:
    """An interval's half-width on the ratio's scale, √(high/low) − 1."""
    return math.sqrt(high / low) - 1


def pairs_outcome(samples: Samples) -> str:
    claims = claims_from_json(samples.answers["claims"])
    compared = [c for answer in claims for c in answer.comparisons if c.design == "pairs"]
    from_pairs = [half_width(c.low, c.high) for c in compared if not math.isnan(c.low)]
    from_runs = [
        half_width(*c.whole_runs[1:]) for c in compared if c.whole_runs and not math.isnan(c.whole_runs[1])
    ]
    overlap = sum(c.agrees is True for c in compared)
    same = [
        f"`{c.sides[0].split()[0]}` {c.a_over_b[0]:.3f} ({c.a_over_b[1]:.3f}–{c.a_over_b[2]:.3f})"
        for c in paired.a_a(paired.sides_seconds(paired.split(samples.everything)[1]))
    ]
    return (
        f"in the sample, the {len(compared)} speed comparisons the answers read have a median interval "
        f"half-width of {statistics.median(from_pairs):.1%} from pairs, against "
        f"{statistics.median(from_runs):.1%} from the same sample's separate runs; {overlap} of "
        f"{len(compared)} pairs of intervals overlap, and the A/A pairs give {' and '.join(same)}"
    )


PITFALL_CONDITIONS = [(1, 0), (2, 0), (1, 1), (2, 1)]


def pitfall_seconds(samples: Samples, backend: str, batch: int, threads: int, load_: int) -> float:
    return run_seconds(
        samples.usual,
        backend=backend,
        batch_size=batch,
        hidden=30,
        threads=threads,
        background_load=load_,
    ).median()


def pitfalls(samples: Samples) -> str:
    rows = [
        "| backend, batch | 1 thread, idle | 2 threads, idle | 1 thread, other core busy | "
        "2 threads, other core busy |",
        "|---|---|---|---|---|",
    ]
    for backend in ("torch", "numpy"):
        for batch in (10, 100):
            measured = [pitfall_seconds(samples, backend, batch, *c) for c in PITFALL_CONDITIONS]
            cells = ["not run" if math.isnan(s) else seconds(s) for s in measured]
            rows.append(f"| `{backend}`, {batch} | " + " | ".join(cells) + " |")
    return "\n" + "\n".join(rows) + "\n"


PARALLELISM_CLAIM = 5  # claim_parallelism's number in answers.judge, as answers.json records it


def threads(samples: Samples) -> str:
    saved = next(c for c in samples.answers["claims"] if c["number"] == PARALLELISM_CLAIM)
    (claim,) = claims_from_json([saved])
    busy = thread_gains(samples.usual, background_load=1)
    busy = busy[busy.hidden == 30]
    slower = "; ".join(
        f"`{row.backend}` at batch {row.batch_size} {1 / row.gain:.2f}×" for row in busy.itertuples()
    )
    erratic = run_seconds(
        samples.usual,
        backend="torch",
        batch_size=10,
        hidden=30,
        threads=2,
        background_load=1,
    )
    listed = "; ".join(f"{c.key}: {stats.decision_text(c)}" for c in claim.comparisons)
    return (
        f"In the sample, 1 thread against 2 (claim 5's comparisons), idle: {listed}. With the other core "
        f"busy, 2 threads took this many times as long as 1 (medians of the pitfall runs, too few "
        f"for an interval): {slower}. Busy runs vary: `torch` at batch 10 on 2 threads with the other core "
        f"busy took "
        f"{erratic.min():.2f} to {erratic.max():.2f} s per epoch over its {len(erratic)} runs"
    )


def saturation(samples: Samples) -> str:
    runs = samples.usual
    runs = runs[(runs.status == "ok") & (runs.threads == 1) & (runs.background_load == 0)]
    final = runs[runs.epoch == runs.epochs]
    wide = final[final.hidden == 100]
    if wide.empty:
        raise UserError("the report sample has no run at hidden 100")
    at10 = wide[wide.batch_size == 10].groupby("seed").test_acc.agg(["min", "max"])
    narrow = final[
        (final.hidden == 30) & (final.batch_size == 10) & final.backend.isin(wide.backend.unique())
    ]
    backends = ", ".join(f"`{b}`" for b in sorted(wide.backend.unique()))
    seeds = "; ".join(
        f"seed {seed} {row['min']:.1%}" + (f" to {row['max']:.1%}" if row["max"] != row["min"] else "")
        for seed, row in at10.iterrows()
    )
    return (
        f"in the sample ({backends} at hidden 100, {int(wide.epochs.max())} epochs), the final test "
        f"accuracy at batch 10 is, seed by seed over those backends: {seeds}; at hidden 30 the same "
        f"backends end between {narrow.test_acc.min():.1%} and {narrow.test_acc.max():.1%}"
    )


def float32_curves(samples: Samples) -> str:
    runs = samples.idle[lambda r: r.hidden == 30]
    same, differ = [], []
    for batch, rows in runs.groupby("batch_size"):
        curves = rows.pivot_table(index=["seed", "epoch"], columns="backend", values="test_acc")
        (same if curves.nunique(axis=1).max() == 1 else differ).append(str(batch))
    said = []
    if same:
        said.append(f"coincide exactly at batch {', '.join(same)}")
    if differ:
        said.append(f"differ at batch {', '.join(differ)}")
    return "In the sample, the backends' learning curves at hidden 30 " + " and ".join(said)


def batch10_peaks(samples: Samples) -> str:
    peaks = {b: peak(samples, b) for b in ("numpy", "jax", "torch")}
    gflop = summary.flops_per_example(30) * EXAMPLES / 1e9
    floors = {b: gflop / p for b, p in peaks.items()}
    return (
        f"An epoch at batch 10, hidden 30 is {gflop:.1f} GFLOP. Every run records the peak of its library's "
        f"own large matrix product, measured as it starts (`peak_gflops`, with its `peak_source`): on one "
        f"core of the report sample's machine ({samples.answers['machine']['label']}), "
        f"about {about(peaks['numpy'])} GFLOP/s in NumPy's "
        "`numpy.matmul`, "
        f"about {about(peaks['jax'])} GFLOP/s in `jax.numpy.dot` and about {about(peaks['torch'])} GFLOP/s "
        f"in `torch.mm`, so the floor is {floors['numpy']:.2f} s per epoch for NumPy, "
        f"{floors['jax']:.2f} s for JAX and {floors['torch']:.2f} s for torch"
    )


def batch10_shares(samples: Samples) -> str:
    big = ", ".join(
        f"`{b}` about {share(samples, b, 1000):.0%}" for b in ("numpy", "torch", "torch_autograd", "jax")
    )
    small = ", ".join(
        f"`{b}` about {share(samples, b, 10):.0%} (about {step_us(samples, b, 10):.0f} µs a step)"
        for b in ("numpy", "torch", "torch_autograd", "numba", "jax")
    )
    return f"at batch 1000, hidden 30: {big}; at batch 10, hidden 30: {small}"


def batch10_epochs(samples: Samples) -> str:
    values = [about(epoch_s(samples, b, 10)) for b in ("numpy", "torch", "torch_autograd")]
    return f"about {values[0]}, {values[1]} and {values[2]} s"


def numba_step(samples: Samples) -> str:
    return f"about {step_us(samples, 'numba', 10):.0f} µs a step"


def numba_share(samples: Samples) -> str:
    return f"about {share(samples, 'numba', 10):.0%}"


def numba_batches(samples: Samples) -> str:
    numba = [epoch_s(samples, "numba", b) for b in (10, 1000)]
    numpy = [epoch_s(samples, "numpy", b) for b in (10, 1000)]
    return (
        f"in the sample, `numba`'s epoch at batch 1000 is {numba[0] / numba[1]:.2f}× as fast as at batch 10 "
        f"({numba[1]:.3f} against {numba[0]:.3f} s), `numpy`'s {numpy[0] / numpy[1]:.2f}× ({numpy[1]:.3f} "
        f"against {numpy[0]:.3f} s)"
    )


def jax_step(samples: Samples) -> str:
    return f"about {step_us(samples, 'jax', 10):.0f} µs a step"


# --- make perf: peers.parquet -----------------------------------------------------------------------


def peer_medians(samples: Samples) -> pd.Series:
    return samples.peers.groupby(["background_load", "backend", "pinned"]).train_s.median()


def peers_machine(samples: Samples) -> str:
    first = samples.peers.sort_values("started_at").iloc[0]
    return (
        f"made on {first.started_at:%Y-%m-%d} on the host `{first.hostname}`, which it records only as "
        f'"{first.cpu_model}", not the CPU\'s identity'
    )


def perf(samples: Samples) -> str:
    m = peer_medians(samples)
    default = int(samples.peers[lambda p: (p.backend == "torch_naive") & ~p.pinned].threads.iloc[0])
    return (
        f"the tutorial loop (`torch_naive`) at torch's default {default} threads took "
        f"{seconds(m[0, 'torch_naive', False])} s per epoch on the idle machine and "
        f"{seconds(m[1, 'torch_naive', False])} s with the other core busy; pinned to 1 thread it took "
        f"{seconds(m[0, 'torch_naive', True])} and {seconds(m[1, 'torch_naive', True])} s, and the same "
        f"maths by hand (`torch`) on 1 thread {seconds(m[0, 'torch', True])} and "
        f"{seconds(m[1, 'torch', True])} s (docs/report/peers.parquet, {peers_machine(samples)})"
    )


def peers_overhead(samples: Samples) -> str:
    overhead = samples.peers.harness_overhead_s.dropna().median()
    share_ = overhead / peer_medians(samples).min()
    return f"{overhead * 1e3:.2f} ms per epoch, {share_:.2%} of the fastest epoch"


def peers_table(samples: Samples) -> str:
    m = peer_medians(samples)
    pairs = [(pair.backend, pair.peer) for pair in OmegaConf.load(CONF / "peers.yaml").pairs]
    rows = [
        "| backend | median s/epoch, idle | its peer, s/epoch idle | speed-up, idle "
        "| speed-up, other core busy |",
        "|---|---|---|---|---|",
    ]
    named = set()
    for backend, peer in pairs:
        # a peer left at its library's default threads (torch_naive) is timed pinned to 1 thread too
        ways = [(True, "1 thread")] + [(False, "its default threads")] * ((0, peer, False) in m.index)
        for i, (pinned, how) in enumerate(ways):
            label = f"`{peer}`, {how}"
            shown = "" if (peer, pinned) in named else f": {seconds(m[0, peer, pinned])}"
            named.add((peer, pinned))
            idle = m[0, peer, pinned] / m[0, backend, True]
            busy = m[1, peer, pinned] / m[1, backend, True]
            first = f"`{backend}` | {seconds(m[0, backend, True])}" if i == 0 else " |"
            rows.append(f"| {first} | {label}{shown} | {idle:.1f}× | {busy:.1f}× |")
    return "\n" + "\n".join(rows) + "\n"


# --- make scale and make profile: docs/report-scale -------------------------------------------------


def scale_machine(samples: Samples) -> str:
    return machine_text(machines.describe(samples.scale)[0])


def scale_threads(samples: Samples) -> str:
    runs = samples.scale
    hidden, batch = int(runs.hidden.max()), int(runs.batch_size.max())
    gains = []
    for backend in sorted(runs.backend.unique()):
        where = dict(backend=backend, hidden=hidden, batch_size=batch, background_load=0)
        one, two = (run_seconds(runs, threads=n, **where) for n in (1, 2))
        if len(one) and len(two):
            gains.append(f"`{backend}` {one.median() / two.median():.2f}×")
    return (
        f"[make scale](reading-the-report.md#the-samples), on {scale_machine(samples)}, "
        "measured what 2 threads "
        f"give against 1 at hidden {hidden}, batch {batch}: {', '.join(gains)} as fast"
    )


PROFILE_STEP = re.compile(r"^== (\w+): ([\d.]+) ms per step, (\d+)% of ([\d.]+) \(([^,]+),.*$", re.M)


def profile_kinds(profile: str, backend: str) -> dict[str, int]:
    table = profile.partition(f"== {backend}:")[2].partition("\n\n")[0]
    return {kind: int(s) for kind, s in re.findall(r"^(\w[\w ]*?)\s+[\d.]+\s+(\d+)%$", table, re.M)}


def profile_machine(samples: Samples) -> str:
    """The scale sample's machine where profile.txt's numpy peak is within the fingerprint gap of it."""
    numpy = next(float(m[3]) for m in PROFILE_STEP.findall(samples.profile) if m[0] == "numpy")
    fingerprint = machines.describe(samples.scale)[0]["identity"]["fingerprint_gflops"]
    if machines.within_gap(numpy, fingerprint):
        return (
            "on the machine of the scale sample: profile.txt records no machine, but its "
            f"`numpy.matmul` peak, "
            f"{numpy:.0f} GFLOP/s, is that sample's fingerprint ({fingerprint:.0f}) within "
            f"{machines.FINGERPRINT_GAP}×"
        )
    return (
        f"on a machine profile.txt does not name: its `numpy.matmul` peak, {numpy:.0f} GFLOP/s, is not the "
        f"scale sample's ({fingerprint:.0f})"
    )


def profile(samples: Samples) -> str:
    first = samples.profile.splitlines()[0]
    rows = [
        "| backend | ms per step | share of its library's measured GEMM peak | the step's time by kind |",
        "|---|---|---|---|",
    ]
    for backend, ms, pct, gflops, source in PROFILE_STEP.findall(samples.profile):
        kinds = profile_kinds(samples.profile, backend)
        by_kind = (
            ", ".join(f"{kind} {s}%" for kind, s in kinds.items() if s) or "one compiled call: not split"
        )
        peak_ = f"{pct}% of {float(gflops):.0f} GFLOP/s (`{source.split()[0]}`)"
        rows.append(f"| {backend} | {ms} | {peak_} | {by_kind} |")
    return f"\n{first.rstrip('.')}; `make profile`, {profile_machine(samples)}:\n\n" + "\n".join(rows) + "\n"


# --- several machines: docs/report-machines ----------------------------------------------------------


def fingerprints(samples: Samples) -> str:
    measured = [
        f"{m['identity']['fingerprint_gflops']:.0f} GFLOP/s ({m['label']})"
        for m in samples.several["machines"]
    ]
    sample = "the [several-machines sample](report-machines/report.md)"
    return f"{sample}'s machines measured {' and '.join(measured)}"


def sample_machine(samples: Samples) -> str:
    return machine_text(samples.answers["machine"])


BLOCKS = {
    "sample-machine": sample_machine,
    "readme-answers": readme_answers,
    "load-spread": load_spread,
    "pairs": pairs_outcome,
    "pitfalls": pitfalls,
    "perf": perf,
    "threads": threads,
    "scale-threads": scale_threads,
    "saturation": saturation,
    "float32-curves": float32_curves,
    "fingerprints": fingerprints,
    "scale-machine": scale_machine,
    "profile": profile,
    "peers-machine": peers_machine,
    "peers-table": peers_table,
    "peers-overhead": peers_overhead,
    "batch10-peaks": batch10_peaks,
    "batch10-shares": batch10_shares,
    "batch10-epochs": batch10_epochs,
    "numba-step": numba_step,
    "numba-share": numba_share,
    "numba-batches": numba_batches,
    "jax-step": jax_step,
}


def regenerated(text: str, samples: Samples, where: str) -> tuple[str, list[str]]:
    """(the page with every block rewritten, the names of the blocks that changed)."""
    changed = []

    def block(match: re.Match) -> str:
        start, name, old, end = match.groups()
        if name not in BLOCKS:
            raise UserError(f"{where}: no generator for the block `{name}` (known: {', '.join(BLOCKS)})")
        new = BLOCKS[name](samples)
        if new != old:
            changed.append(name)
        return f"{start}{new}{end}"

    return BLOCK.sub(block, text), changed


def stale(root: Path, samples: Samples) -> list[str]:
    """'page: block' for each block that differs from what the samples give, writing nothing."""
    found = []
    for page in pages(root):
        _, changed = regenerated(page.read_text(), samples, str(page.relative_to(root)))
        found += [f"{page.relative_to(root)}: {name}" for name in changed]
    return found


def write(root: Path, samples: Samples) -> list[str]:
    """Rewrite every stale block under `root` from the samples; 'page: block, ...' for each page changed."""
    written = []
    for page in pages(root):
        new, changed = regenerated(page.read_text(), samples, str(page.relative_to(root)))
        if changed:
            page.write_text(new)
            written.append(f"{page.relative_to(root)}: {', '.join(changed)}")
    return written


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the samples' figures into the README and the guides")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block is stale")
    parser.add_argument("--samples", type=Path, default=ROOT / "docs", help="the folder of the samples")
    args = parser.parse_args(argv)
    samples = Samples(args.samples)
    if args.check:
        found = stale(ROOT, samples)
        for entry in found:
            print(f"stale: {entry}")
        if found:
            print(f"{len(found)} blocks differ from the samples in {args.samples}: run `make docs`")
        return 1 if found else 0
    for line in write(ROOT, samples):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

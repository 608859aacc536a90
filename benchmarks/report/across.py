"""The answers across machines: each claim judged on each machine's own runs, side by side.

Runs from several machines (benchmarks.report.machines) are never pooled: every machine gets the
verdicts and comparisons its runs alone give, and each claim one sentence on where it holds and
what the machines that agree have in common that the others lack, where the identities show it.
"""

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import pandas as pd
import seaborn as sns

from ..stats import decision_text
from . import machines
from .answers import Answer
from .figures import kept_figures
from .plots import legend_below, save
from .render import Figure, Heading, Table, Text
from .summary import speedups

PLOTS = {
    "machines_numpy_torch.png": "NumPy's time over torch's, per machine",
    "machines_speedup.png": "Speed-up over Nielsen's loop, per machine",
}


def per_machine(
    runs: pd.DataFrame, judge: Callable[[pd.DataFrame], list[Answer]]
) -> list[tuple[dict, list[Answer]]]:
    """(machine, its answers) for each machine in the runs, newest first."""
    ids = machines.machine_of(runs)
    return [(m, judge(runs[ids == m["id"]])) for m in machines.describe(runs)]


def holds(verdict: str) -> bool | None:
    """Whether a verdict says the claim holds (wherever the data decide), does not, or neither."""
    if verdict in ("holds", "holds where the data decide"):
        return True
    if verdict.startswith("does not hold"):
        return False
    return None


def features(machine: dict) -> dict[str, str]:
    """What a machine has that can explain why a claim holds there: its BLAS kernel, AVX-512, its
    core count, its GPU and its CPU's microarchitecture."""
    identity = machine["identity"]
    blas = identity.get("blas") or ""
    found = {
        "BLAS kernel": blas.rsplit("(", 1)[1].rstrip(")") if "(" in blas else None,
        "cores": f"{identity.get('logical_cpus')} cores",
        "GPU": identity.get("cuda_device") or "no GPU",
        "CPU": identity.get("cpu_arch"),
    }
    if identity.get("cpu_isa") is not None:
        found["AVX-512"] = "AVX-512" if "avx512f" in identity["cpu_isa"] else "no AVX-512"
    return {k: v for k, v in found.items() if v}


def shared_text(agreeing: list[dict], others: list[dict]) -> str:
    """What every agreeing machine has and no other has, in words; the fingerprint where it splits
    them; '' where nothing recorded does."""
    said = []
    for name in ("BLAS kernel", "AVX-512", "cores", "GPU", "CPU"):
        values = {features(m).get(name) for m in agreeing}
        if len(values) == 1 and None not in values:
            value = values.pop()
            if all(features(m).get(name) not in (value, None) for m in others):
                said.append(value)
    prints = [m["identity"].get("fingerprint_gflops") for m in agreeing + others]
    if None not in prints:
        mine, theirs = prints[: len(agreeing)], prints[len(agreeing) :]
        peaks = f"{min(mine) if min(mine) > max(theirs) else max(mine):.0f} GFLOP/s on one core"
        if min(mine) > max(theirs):
            said.append(f"a faster matrix product ({peaks} against {max(theirs):.0f})")
        elif max(mine) < min(theirs):
            said.append(f"a slower matrix product ({peaks} against {min(theirs):.0f})")
    return ", ".join(said)


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def across_sentence(judged: list[tuple[dict, Answer]]) -> str:
    """'Holds on 1 of 2 machines (Zen 5, ...); does not hold on Zen 4, ...; where it holds, the
    machines share ...'."""
    said = {"holds": [], "does not hold": [], "holds in part or is undecided": [], "not measured": []}
    for machine, answer in judged:
        outcome = holds(answer.verdict)
        kind = {True: "holds", False: "does not hold"}.get(outcome, "holds in part or is undecided")
        said["not measured" if answer.verdict == "not measured" else kind].append(machine["label"])
    n = len(judged)
    if len(said["holds"]) == n:
        return sentence(f"holds on all {n} machines")
    if len(said["does not hold"]) == n:
        return sentence(f"does not hold on any of the {n} machines")
    parts = [f"holds on {len(said['holds'])} of {n} machines"]
    parts += [f"{kind} on {'; '.join(labels)}" for kind, labels in said.items() if labels]
    agreeing = [m for m, a in judged if holds(a.verdict)]
    others = [m for m, a in judged if not holds(a.verdict)]
    if agreeing:
        common = shared_text(agreeing, others)
        parts.append(
            f"where it holds, the machines share {common}"
            if common
            else "no recorded feature sets apart the machines where it holds"
        )
    return sentence("; ".join(parts))


def claim_table(judged: list[tuple[dict, Answer]]) -> pd.DataFrame:
    """A row per machine: its verdict, then each comparison's decision (a column per comparison)."""
    rows = []
    for machine, answer in judged:
        row = {"machine": machine["label"], "verdict": answer.verdict}
        row |= {c.key: decision_text(c) for c in answer.comparisons}
        rows.append(row)
    return pd.DataFrame(rows).set_index("machine").T.reset_index(names="")


def blocks(results: list[tuple[dict, list[Answer]]]) -> list:
    """The Answers section's body for several machines: per claim, the sentence and the table."""
    found = [
        Text(
            f"These runs come from {len(results)} machines, told apart by their exact CPU, libraries, GPU "
            "and matrix-product fingerprint (Environment). Each claim is judged on each machine's runs "
            "alone; the table gives each machine's verdict and the comparisons behind it, with their 95% "
            "intervals."
        )
    ]
    for number, claim in enumerate(results[0][1], start=1):
        judged = [(machine, answers[number - 1]) for machine, answers in results]
        found += [
            Heading(3, f"{number}. {claim.claim}"),
            Text(across_sentence(judged)),
            Table(claim_table(judged)),
        ]
    return found


def answers_json(results: list[tuple[dict, list[Answer]]]) -> dict:
    """answers.json for several machines: the machines, and per claim its verdict on each."""
    claims = []
    for number, claim in enumerate(results[0][1], start=1):
        judged = [(machine, answers[number - 1]) for machine, answers in results]
        claims.append(
            {
                "number": number,
                "question": claim.question,
                "claim": claim.claim,
                "verdict": across_sentence(judged),
                "per_machine": [
                    {
                        "machine": machine["id"],
                        "verdict": answer.verdict,
                        "evidence": answer.evidence,
                        "comparisons": [c.as_dict() for c in answer.comparisons],
                    }
                    for machine, answer in judged
                ],
            }
        )
    return {"machines": [m for m, _ in results], "claims": claims}


def numpy_torch_frame(results: list[tuple[dict, list[Answer]]]) -> pd.DataFrame:
    """Claim 3's comparisons per machine as NumPy's time over torch's, with the interval."""
    rows = []
    for machine, answers in results:
        for c in answers[2].comparisons:
            if c.key.startswith(("hand-written", "idiomatic")):
                ratio, low, high = c.a_over_b
                kind, hidden, batch = c.key.split(", ")
                batch = int(batch.split("=")[1])
                rows.append(
                    {"machine": machine["label"], "code": kind, "hidden": hidden, "batch": batch}
                    | {"ratio": ratio, "low": low, "high": high}
                )
    return pd.DataFrame(rows)


def plot_numpy_torch(results, out: Path) -> str | None:
    frame = numpy_torch_frame(results)
    if frame.empty:
        return None
    panels = sorted(set(zip(frame.code, frame.hidden)))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4), squeeze=False, sharey=True)
    fig.suptitle(PLOTS["machines_numpy_torch.png"] + " (above 1: torch faster)")
    colours = dict(zip(sorted(frame.machine.unique()), sns.color_palette("tab10")))
    for ax, (code, hidden) in zip(axes[0], panels):
        part = frame[(frame.code == code) & (frame.hidden == hidden)]
        for offset, (name, line) in enumerate(part.groupby("machine")):
            x = line.batch * (1.08**offset)
            ax.errorbar(x, line.ratio, yerr=[line.ratio - line.low, line.high - line.ratio], fmt="o-",
                        capsize=3, color=colours[name], label=name)  # fmt: skip
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set(xscale="log", yscale="log", title=f"{code}, {hidden}", xlabel="mini-batch size")
    axes[0][0].set_ylabel("NumPy seconds / torch seconds")
    return save(fig, out, "machines_numpy_torch.png", legend_below(fig, axes[0], columns=1))


def plot_speedup(runs: pd.DataFrame, out: Path) -> str | None:
    ids = machines.machine_of(runs)
    labels = {m["id"]: m["label"] for m in machines.describe(runs)}
    frames = [speedups(runs[ids == machine]).assign(machine=label) for machine, label in labels.items()]
    frame = (
        pd.concat([f for f in frames if not f.empty], ignore_index=True)
        if any(not f.empty for f in frames)
        else None
    )
    if frame is None or frame.machine.nunique() < 2:
        return None
    frame = frame.assign(backend_batch=frame.backend + ", batch " + frame.batch_size.astype(str))
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * frame.backend_batch.nunique() + 2), 4.5))
    sns.barplot(frame, x="backend_batch", y="speedup", hue="machine", ax=ax, errorbar=None)
    ax.set(yscale="log", xlabel="", ylabel="times as fast as numpy_loop", title=PLOTS["machines_speedup.png"])
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g×"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.tick_params(axis="x", rotation=60)
    sns.move_legend(ax, "lower center", bbox_to_anchor=(0.5, 1.08), title=None, frameon=False)
    return save(fig, out, "machines_speedup.png")


def plot_blocks(runs: pd.DataFrame, results, out: Path) -> list:
    """The plots side by side, kept for these runs, their answers and this code
    (benchmarks.report.figures)."""

    def draw(folder: Path) -> dict[str, str | None]:
        return {
            "machines_numpy_torch.png": plot_numpy_torch(results, folder),
            "machines_speedup.png": plot_speedup(runs, folder),
        }

    drawn = kept_figures("machines", __name__, [runs, numpy_torch_frame(results)], PLOTS, out, draw)
    found = [Heading(2, "Machines side by side")]
    for name, title in PLOTS.items():
        if drawn[name]:
            found += [Heading(3, title), Figure(name, title)]
    return found


def environment_frame(results) -> pd.DataFrame:
    """A column per machine, a row per identity field."""
    table = {m["label"]: {"id": m["id"], **m["identity"]} for m, _ in results}
    return pd.DataFrame(table).reset_index(names="")


def as_text(results: list[tuple[dict, list[Answer]]]) -> str:
    """For the terminal: per claim, the sentence across machines and each machine's verdict."""
    lines = [f"Across {len(results)} machines:"]
    for number, claim in enumerate(results[0][1], start=1):
        judged = [(machine, answers[number - 1]) for machine, answers in results]
        lines += ["", f"  {number}. {claim.claim}", f"     {across_sentence(judged)}"]
        lines += [f"       {machine['label']}: {answer.verdict}" for machine, answer in judged]
    return "\n".join(lines)

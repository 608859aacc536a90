"""The report's Noise section on pairs (benchmarks.report.paired): the A/A pairs, whose ratio is 1 by
construction, and every paired comparison beside the same comparison of separate runs."""

import math

import pandas as pd

from .. import stats
from .paired import a_a
from .render import Missing, Table, Text


def interval_cell(ratio: float, low: float, high: float) -> str:
    return f"{ratio:.3f}" if math.isnan(low) else f"{ratio:.3f} ({low:.3f}–{high:.3f})"


def agreement_table(comparisons: list[stats.Comparison]) -> pd.DataFrame:
    """Each paired comparison's first side over its second, from pairs and from separate runs."""
    rows = []
    for c in comparisons:
        if c.design != "pairs":
            continue
        rows.append(
            {
                "comparison": c.key,
                "time ratio": " / ".join(c.sides),
                "rounds": c.runs[0],
                "from pairs": interval_cell(*c.a_over_b),
                "separate runs": "none" if c.whole_runs is None else interval_cell(*c.whole_runs),
                "intervals overlap": {True: "yes", False: "**no**", None: "no interval"}[c.agrees],
            }
        )
    return pd.DataFrame(rows)


def a_a_table(comparisons: list[stats.Comparison]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "A/A": c.key,
                "rounds": c.runs[0],
                "time ratio (a / b)": interval_cell(*c.a_over_b),
                "covers 1.00": "no interval"
                if math.isnan(c.low)
                else "yes"
                if c.low <= 1 <= c.high
                else "**no**",
            }
            for c in comparisons
        ]
    )


def noise_blocks(comparisons: list[stats.Comparison], sides: pd.DataFrame) -> list:
    """The Noise section's account of the pairs (paired.sides_seconds): the A/A pairs, and every paired
    comparison beside the separate runs' (docs/fairness.md, "Pairs")."""
    if sides.empty:
        return [
            Missing("No pairs: every speed comparison comes from separate runs (`make bench` times pairs).")
        ]
    shown = agreement_table(comparisons)
    same = a_a(sides)
    covering = sum(c.low <= 1 <= c.high for c in same if not math.isnan(c.low))
    overlap = int((shown["intervals overlap"] == "yes").sum()) if not shown.empty else 0
    busy = int(sides.busy.any(axis=1).sum())
    return [
        Text(
            "The answers' speed comparisons come from pairs: in one process a round, both sides built from "
            "the same parameters and timed in turn (A B or B A, alternately), an epoch that other work "
            "disturbed timed again. Each round gives one ratio, the geometric mean of its pairs' (a cell is "
            "timed from fresh builds twice a round); the interval is Student's t over the rounds' "
            f"logarithms. A backend against itself (A/A) should give 1.00: {covering} of {len(same)} "
            "intervals cover it."
            + (f" In {busy} pairs a side had only busy epochs, and was timed from them." if busy else "")
        ),
        Table(a_a_table(same)),
        Text(
            "The same comparisons from pairs and from separate runs (each run's median epoch, a bootstrap "
            f"interval): a pairing that biased a ratio would set them apart. {overlap} of {len(shown)} "
            "intervals overlap."
        ),
        Table(shown),
    ]

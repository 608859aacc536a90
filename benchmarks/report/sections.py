"""The summary per configuration, in the groups a reader looks for: the default sweep the answers read,
in full, and every other group (baselines, other machine conditions, chapter 3's changes, scale) in its
own section and fold. Each table tells its rows apart by what it shows: a condition its rows differ in
(threads, background load, parallel jobs, epochs, seeds) is a column, one they share is said above it."""

import numpy as np
import pandas as pd

from .. import registry
from .flexibility import at_chapter3, run_change
from .render import Collapsed, Heading, Table, Text
from .summary import FIRST, FLAT_COST, NEAR_CHANCE, standard, summary_table, usual_network

# Section key -> (heading, what its configurations are), in the order the report shows them.
SECTIONS = {
    "sweep": (
        "The default sweep",
        "What the answers and the plots read: the usual network at each configuration's usual epochs, "
        "run alone on an otherwise idle machine.",
    ),
    "baselines": (
        "Baselines",
        "The code every speed-up is measured against: the `baseline` preset's backends.",
    ),
    "conditions": (
        "Threads, background load and parallel jobs",
        "The same networks on other thread counts, beside background load (the `pitfalls` preset) or "
        "beside parallel jobs.",
    ),
    "chapter3": (
        "Chapter 3's changes",
        "Each change on its own and chapter 1's network beside it (the `flexibility` preset, timed in "
        "the Flexibility section), and chapter 3's own setting.",
    ),
    "other": (
        "Scale and other settings",
        "Every other network: the `scale` preset's sizes at chapter 3's setting, and any other setting.",
    ),
}
# Conditions shown as a column only where a table's rows differ in them.
CONDITIONS = ["threads", "background_load", "parallel_jobs", "epochs", "seeds"]


def section_of(runs: pd.DataFrame) -> pd.Series:
    """Each row's SECTIONS key. A run belongs to the default sweep when the plots and answers read it
    (summary.standard), unless its backend is one of the `baseline` preset's."""
    swept = runs.run_id.isin(standard(runs).run_id).to_numpy()
    usual = runs.run_id.isin(usual_network(runs).run_id).to_numpy()
    baseline = runs.backend.isin(registry.preset_backends("baseline")).to_numpy()
    flexibility = (run_change(runs).notna() | at_chapter3(runs)).to_numpy()
    conditions = [swept & baseline, swept, usual, flexibility]
    section = np.select(conditions, ["baselines", "sweep", "conditions", "chapter3"], "other")
    return pd.Series(section, index=runs.index)


def shared_conditions(table: pd.DataFrame) -> list[str]:
    """The conditions every row of the table shares, in words: ['1 thread', 'no background load', ...]."""
    words = {
        "threads": lambda n: f"{n} thread{'s' if n != 1 else ''}",
        "background_load": lambda n: "no background load" if n == 0 else f"background load {n}",
        "parallel_jobs": lambda n: "one job at a time" if n == 1 else f"{n} parallel jobs",
        "epochs": lambda n: f"{n} epoch{'s' if n != 1 else ''}",
        "seeds": lambda n: f"{n} seed{'s' if n != 1 else ''}",
    }
    return [words[c](table[c].iloc[0]) for c in CONDITIONS if table[c].nunique() == 1]


def shown(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Those columns of the table, with the conditions its rows differ in after `hidden`, and without
    a column that is empty in every row."""
    varying = [c for c in CONDITIONS if table[c].nunique() > 1 and c not in columns]
    at = columns.index("hidden") + 1
    frame = table[[*columns[:at], *varying, *columns[at:]]]
    return frame.loc[:, (frame.astype(str) != "").any()]


def blocks(runs: pd.DataFrame) -> list:
    """The Summary section: its explanation, then each group that has runs."""
    out = [
        Heading(2, "Summary per configuration"),
        Text(
            "Time to target is cumulative training time until the validation accuracy first reaches "
            "`target_accuracy`, without and with setup (compilation, graph capture); a seed that never "
            "reached it counts as never in the median, and `reached target` says how many did. "
            "`graphed steps` is the share of an epoch's steps replayed from CUDA graphs. An accuracy "
            f"under {NEAR_CHANCE:.0%} (three times a guess) is marked `saturated` when the training cost "
            f"also stayed flat (within {FLAT_COST:.0%}) from the first epoch to the last, as at a "
            "learning rate far too high, and "
            "`near chance` when it was still falling; `diverged` says how many of its runs diverged."
        ),
    ]
    if runs.empty:
        return out
    section = section_of(runs)
    for key, (title, about) in SECTIONS.items():
        part = runs[(section == key).to_numpy()]
        if part.empty:
            continue
        table = summary_table(part)
        conditions = shared_conditions(table)
        out += [
            Heading(3, title),
            Text(about + (f" Every row: {', '.join(conditions)}." if conditions else "")),
        ]
        every = shown(table, [c for c in table.columns if c not in (*CONDITIONS, "noisy")])
        if key == "sweep":
            out += [Table(shown(table, FIRST)), Collapsed("Every column", every)]
        else:
            out.append(Collapsed(f"{len(table)} configuration{'s' if len(table) != 1 else ''}", every))
    return out

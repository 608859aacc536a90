"""The answers' speed comparisons from pairs (benchmarks.pairs): a pair timed both sides in turn in
one process, a round's process times each comparison's pairs, and each round gives one ratio, the
geometric mean of its pairs'; the comparison is over the rounds' ratios (stats.compare_pairs). Where
no pairs were timed, the comparison of separate runs stands; where they
were, it is kept beside the paired one, and the Noise section shows that the two agree, together
with the A/A pairs (a backend against itself), whose ratio is 1 by construction."""

import numpy as np
import pandas as pd

from .. import results, stats

Side = tuple[str, int]  # (backend, threads)


def split(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(whole runs, sides of pairs)."""
    is_pair = results.paired(runs)
    return runs[~is_pair], runs[is_pair]


def sides_seconds(pairs: pd.DataFrame | None) -> pd.DataFrame:
    """Per pair: each side's backend, threads and seconds per example (the median of its idle timed
    epochs, or of all of them where every one was busy), with `busy` where one side had no idle one."""
    if pairs is None or pairs.empty:
        return pd.DataFrame()
    timed = pairs[(pairs.status == "ok") & ~pairs.warmup.astype(bool) & (pairs.device == "cpu")]
    if timed.empty:
        return pd.DataFrame()
    timed = timed.assign(idle=~stats.busy(timed), per_example=1 / timed.examples_per_s)
    any_idle = timed.groupby(["pair_id", "pair_side"]).idle.transform("any")
    kept = timed[timed.idle | ~any_idle]
    per_side = kept.groupby(["pair_id", "pair_side"]).agg(
        backend=("backend", "first"),
        threads=("threads", "first"),
        hidden=("hidden", "first"),
        batch_size=("batch_size", "first"),
        seed=("seed", "first"),
        per_example=("per_example", "median"),
        busy=("idle", lambda idle: not idle.any()),
    )
    wide = per_side.unstack("pair_side")
    return wide[wide.per_example.notna().all(axis=1)]


def ratios(sides: pd.DataFrame, a: Side, b: Side, hidden: int, batch: int) -> pd.Series:
    """Each round's `a` time over its `b` time, from the pairs (sides_seconds) of these two sides at
    this size (in either order; for a backend against itself, side 0 over side 1): the geometric mean
    of the round's pairs, as the round's process is the unit that is independent of the others."""
    if sides.empty:
        return pd.Series(dtype=float)
    wide = sides[(sides.hidden[0] == hidden) & (sides.batch_size[0] == batch)]
    side = [wide.backend[s].astype(str) + "|" + wide.threads[s].astype(str) for s in (0, 1)]
    a_key, b_key = (f"{name}|{threads}" for name, threads in (a, b))
    forward = (side[0] == a_key) & (side[1] == b_key)
    backward = (side[0] == b_key) & (side[1] == a_key) & (a_key != b_key)
    seconds = wide.per_example
    found = pd.concat([(seconds[0] / seconds[1])[forward], (seconds[1] / seconds[0])[backward]])
    return np.exp(np.log(found).groupby(wide.seed[0].loc[found.index]).mean())


def paired_instead(
    comparison: stats.Comparison, sides: pd.DataFrame | None, a: Side, b: Side, hidden: int, batch: int
) -> stats.Comparison:
    """The comparison from pairs (sides_seconds) of the same sides where any were timed, keeping the
    separate runs' beside it; otherwise the separate runs' comparison."""
    if sides is None:
        return comparison
    found = ratios(sides, a, b, hidden, batch)
    if found.empty:
        return comparison
    a_label, b_label = comparison.sides
    return stats.compare_pairs(comparison.key, a_label, b_label, found, whole_runs=comparison)


def a_a(sides: pd.DataFrame) -> list[stats.Comparison]:
    """Every backend timed against itself, at each size, from the pairs (sides_seconds): its two
    sides' ratio, which is 1 by construction, with its interval."""
    if sides.empty:
        return []
    same = (sides.backend[0] == sides.backend[1]) & (sides.threads[0] == sides.threads[1])
    keys = pd.DataFrame({"backend": sides.backend[0], "threads": sides.threads[0]})
    keys = keys.assign(hidden=sides.hidden[0], batch_size=sides.batch_size[0])[same]
    found = []
    for (backend, threads, hidden, batch), _ in keys.groupby(list(keys.columns)):
        side = (backend, int(threads))
        key = f"{backend} against itself, hidden={hidden}, batch={batch}"
        found.append(
            stats.compare_pairs(
                key, f"{backend} (a)", f"{backend} (b)", ratios(sides, side, side, hidden, batch)
            )
        )
    return found

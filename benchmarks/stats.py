"""How sure a speed ratio is, and when it decides which side is faster.

Two designs. Separate runs (`compare`): the unit of repetition is a run, its own round of an
interleaved sweep, its own construction and warm-up, giving one number, the median of its timed
epochs (epochs within a run share everything that makes runs differ, so they are not independent).
Two sides are compared by the ratio of the medians of those numbers, with a 95% percentile-bootstrap
interval over them (scipy.stats.bootstrap, runs resampled within each side, a fixed seed so that the
same runs always give the same interval), from MIN_RUNS runs a side. Pairs (`compare_pairs`,
benchmarks/pairs.py): the unit is a process that timed both sides in turn, giving one ratio; the
interval is Student's t on the logarithms of MIN_RUNS or more such ratios. docs/fairness.md says why
these methods and why that many: tests/test_stats.py simulates the noise this machine shows and
checks coverage, A/A pairs included.

A side is faster only when the whole interval lies beyond the noise band; otherwise there is no
clear difference, and the comparison says so instead of naming a winner.
"""

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .data import SPLITS

CONFIDENCE = 0.95
# A ratio within 3% of 1 is no difference worth a claim, however narrow its interval: run-to-run
# drift of one machine's state (frequency, cache placement) that repetitions in one sweep share.
NOISE_BAND = 1.03
# Fewer runs on a side leave the interval undefined: at 3 a side, the percentile bootstrap of a median
# ratio covers the truth in under 90% of trials with skewed or bimodal noise; at 5, in over 94%.
MIN_RUNS = 5
RESAMPLES = 2000
# A run is "busy" when, during its training, other processes took this many cores on average, or
# the hypervisor stole this share of the machine's time (docs/fairness.md, "Load").
BUSY_CORES = 0.25
BUSY_STEAL = 0.05
# /proc/stat counts in clock ticks (10 ms): over an epoch of a few ticks, one tick of another process
# reads as a large share, so other work must also have taken this many seconds of the block.
BUSY_SECONDS = 0.02
TRAINING_EXAMPLES = SPLITS["train"]  # a whole epoch's


@dataclass(frozen=True)
class Comparison:
    """Which of two sides is faster, by how much, and how sure: `faster` names a side, or is None
    where the data cannot decide; `ratio` >= 1 is how many times faster it is (the larger median
    time over the smaller where `faster` is None), with `low` <= `ratio` <= `high` its interval;
    `runs` counts each side's runs; `a_over_b` is the first side's median time over the second's,
    with its interval, whichever side is faster."""

    key: str
    sides: tuple[str, str]
    faster: str | None
    ratio: float
    low: float
    high: float
    runs: tuple[int, int]
    a_over_b: tuple[float, float, float]
    # "runs": separate runs a side; "pairs": both sides in one process, `runs` counting the pairs,
    # with `whole_runs` the same comparison's a_over_b from separate runs (None where too few)
    design: str = "runs"
    whole_runs: tuple[float, float, float] | None = None

    @property
    def decided(self) -> bool:
        return self.faster is not None

    @property
    def ahead(self) -> str | None:
        """The side with the lower median time, decided or not; None where the medians are equal."""
        a_over_b = self.a_over_b[0]
        return None if a_over_b == 1 else self.sides[1] if a_over_b > 1 else self.sides[0]

    @property
    def slower(self) -> str | None:
        return None if self.faster is None else next(s for s in self.sides if s != self.faster)

    def speed_of(self, side: str) -> tuple[float, float, float]:
        """How many times as fast `side` is as the other (below 1: slower), with the interval."""
        ratio, low, high = self.a_over_b
        return (ratio, low, high) if side == self.sides[1] else (1 / ratio, 1 / high, 1 / low)

    def as_dict(self) -> dict:
        row = asdict(self)
        del row["a_over_b"]  # said by `faster` (or `ahead`) and `ratio`
        row["sides"], row["runs"], row["ahead"] = list(self.sides), list(self.runs), self.ahead
        for field in ("ratio", "low", "high"):
            row[field] = None if math.isnan(row[field]) else round(row[field], 4)
        if self.whole_runs is None:
            del row["whole_runs"]
        else:
            row["whole_runs"] = [None if math.isnan(v) else round(v, 4) for v in self.whole_runs]
        return row

    @property
    def agrees(self) -> bool | None:
        """For a paired comparison, whether its interval and that of separate runs overlap (None where
        either has none): a pairing that biased the ratio would set them apart."""
        ratio, low, high = self.a_over_b
        if self.whole_runs is None or math.isnan(low) or math.isnan(self.whole_runs[1]):
            return None
        return low <= self.whole_runs[2] and self.whole_runs[1] <= high


def median_ratio_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(median(a) / median(b), low, high): the ratio and its percentile-bootstrap interval."""
    ratio = float(np.median(a) / np.median(b))
    if min(len(a), len(b)) < MIN_RUNS:
        return ratio, math.nan, math.nan
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return ratio, ratio, ratio
    from scipy import stats  # half a second to import: paid by what computes intervals, not by every command

    with warnings.catch_warnings():  # a degenerate resample distribution is handled by min/max below
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            (a, b),
            lambda x, y, axis=-1: np.median(x, axis=axis) / np.median(y, axis=axis),
            vectorized=True,
            n_resamples=RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            rng=np.random.default_rng(0),
        )
    low, high = result.confidence_interval
    return ratio, min(float(low), ratio), max(float(high), ratio)


def paired_ratio_interval(ratios: np.ndarray) -> tuple[float, float, float]:
    """(geometric mean of the pairs' ratios, low, high): Student's t interval on their logarithms.
    A pair's ratio is one process's, so pairs are independent where epochs of one run are not; the
    logarithm makes a ratio and its inverse symmetric, and the t interval holds its nominal rate
    from few pairs where a bootstrap does not (tests/test_stats.py)."""
    logs = np.log(ratios)
    ratio = float(np.exp(logs.mean()))
    if len(logs) < MIN_RUNS:
        return ratio, math.nan, math.nan
    from scipy import stats

    half = stats.t.ppf((1 + CONFIDENCE) / 2, len(logs) - 1) * logs.std(ddof=1) / math.sqrt(len(logs))
    return ratio, float(np.exp(logs.mean() - half)), float(np.exp(logs.mean() + half))


def decided(
    key: str, a: str, b: str, a_over_b: tuple[float, float, float], runs, band: float = NOISE_BAND, **how
) -> Comparison:
    """The comparison that `a`'s time over `b`'s, with its interval, makes: a side is faster only when
    the whole interval lies beyond `band`."""
    ratio, low, high = a_over_b
    if low > band:
        return Comparison(key, (a, b), b, ratio, low, high, runs, a_over_b, **how)
    if high < 1 / band:
        return Comparison(key, (a, b), a, 1 / ratio, 1 / high, 1 / low, runs, a_over_b, **how)
    if ratio >= 1 or math.isnan(low):
        return Comparison(key, (a, b), None, max(ratio, 1 / ratio), low, high, runs, a_over_b, **how)
    return Comparison(key, (a, b), None, 1 / ratio, 1 / high, 1 / low, runs, a_over_b, **how)


def compare(key: str, a: str, a_times, b: str, b_times, band: float = NOISE_BAND) -> Comparison:
    """Side `a` against side `b` from their separate runs' seconds (lower is faster)."""
    a_times, b_times = np.asarray(a_times, float), np.asarray(b_times, float)
    return decided(key, a, b, median_ratio_interval(a_times, b_times), (len(a_times), len(b_times)), band)


def compare_pairs(key: str, a: str, b: str, ratios, whole_runs: Comparison | None = None) -> Comparison:
    """Side `a` against side `b` from pairs: each pair's `a` time over its `b` time, one per process;
    `whole_runs`, the same sides compared by separate runs, is kept to show that the two agree."""
    ratios = np.asarray(ratios, float)
    return decided(
        key, a, b, paired_ratio_interval(ratios), (len(ratios), len(ratios)),
        design="pairs", whole_runs=None if whole_runs is None else whole_runs.a_over_b,
    )  # fmt: skip


def trained_seconds(runs: pd.DataFrame) -> pd.Series:
    """How long each row's epoch trained, whatever whole_epochs has made of its `train_s`."""
    if {"examples_per_s", "epoch_examples"} <= set(runs):
        examples = runs.epoch_examples.astype(float).fillna(TRAINING_EXAMPLES)
        return (examples / runs.examples_per_s).fillna(np.inf)
    return runs.get("train_s", pd.Series(np.inf, index=runs.index)).fillna(np.inf)


def busy(runs: pd.DataFrame) -> pd.Series:
    """Rows of runs during whose training other work took a share of the machine, for at least
    BUSY_SECONDS of the row's epoch (unknown: not busy)."""
    others = runs.get("others_cores", pd.Series(np.nan, index=runs.index)).fillna(0)
    steal = runs.get("steal_share", pd.Series(np.nan, index=runs.index)).fillna(0)
    share = (others > BUSY_CORES) | (steal > BUSY_STEAL)
    return share & ((others + steal) * trained_seconds(runs) > BUSY_SECONDS)


def without_busy(runs: pd.DataFrame, by: str = "config_key") -> tuple[pd.DataFrame, int, int]:
    """(rows, busy runs left out, groups judged from busy runs): each group of `by` keeps its idle
    runs; a group that has none keeps its busy ones, so that a machine never idle still gets answers."""
    is_busy = busy(runs)
    has_idle = runs[~is_busy].groupby(by, observed=True).size()
    idle_there = runs[by].isin(has_idle.index)
    kept = runs[~(is_busy & idle_there)]
    left_out = runs[is_busy & idle_there].run_id.nunique()
    return kept, left_out, runs[~idle_there][by].nunique()


def whole_epochs(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows with `train_s` of an epoch cut short (`epoch_examples`) scaled to the whole training
    set's examples at the rate it trained, so that runs that timed part of an epoch compare with runs
    that timed all of it; the same rows again when already scaled."""
    if "epoch_examples" not in runs or runs.epoch_examples.isna().all():
        return runs
    part = runs.epoch_examples.notna()
    return runs.assign(train_s=runs.train_s.mask(part, TRAINING_EXAMPLES / runs.examples_per_s))


def run_seconds(runs: pd.DataFrame) -> pd.Series:
    """Each run's median seconds per timed epoch (past warm-up, runs that finished ok), whole epochs
    (whole_epochs), by run_id."""
    timed = whole_epochs(runs[(runs.status == "ok") & ~runs.warmup.astype(bool)])
    return timed.groupby("run_id").train_s.median()


def times_text(ratio: float, digits: int | None = None) -> str:
    """'1.32×' below 10, '14.2×' from 10 on (or with `digits` decimals)."""
    digits = (2 if ratio < 10 else 1) if digits is None else digits
    return f"{ratio:.{digits}f}×"


def interval_range(comparison: Comparison) -> str:
    """'1.21–1.45×', or 'no interval: under 5 runs a side'."""
    if math.isnan(comparison.low):
        unit = "rounds of pairs" if comparison.design == "pairs" else "runs a side"
        return f"no interval: under {MIN_RUNS} {unit}"
    digits = 2 if comparison.ratio < 10 else 1
    return f"{comparison.low:.{digits}f}–{times_text(comparison.high, digits)}"


def interval_text(comparison: Comparison) -> str:
    """'1.32× (1.21–1.45×)', or '1.32× (no interval: under 5 runs a side)'."""
    return f"{times_text(comparison.ratio)} ({interval_range(comparison)})"


def undecided_text(comparison: Comparison) -> str:
    """'no clear difference (numpy ahead 1.14×, 1.02–1.18×)': the side whose median was lower, by how
    much, and the interval that leaves it undecided."""
    if comparison.ahead is None:
        return "no clear difference (equal medians)"
    return (
        f"no clear difference ({comparison.ahead} ahead {times_text(comparison.ratio)}, "
        f"{interval_range(comparison)})"
    )


def decision_text(comparison: Comparison) -> str:
    """'torch faster 1.32× (1.21–1.45×)' or 'no clear difference (numpy ahead 1.02×, 0.98–1.06×)'."""
    if comparison.decided:
        return f"{comparison.faster} faster {interval_text(comparison)}"
    return undecided_text(comparison)


def comparison_row(comparison: Comparison) -> dict:
    """A comparison as a table row: what was compared, the faster side, the ratio, its interval, runs."""
    undefined = math.isnan(comparison.low)
    return {
        "comparison": comparison.key,
        "faster": comparison.faster
        or (f"no clear difference ({comparison.ahead} ahead)" if comparison.ahead else "no clear difference"),
        "ratio": times_text(comparison.ratio),
        "95% interval": "" if undefined else interval_range(comparison),
        "runs": f"{comparison.runs[0]} rounds of pairs"
        if comparison.design == "pairs"
        else " / ".join(f"{n} {side}" for n, side in zip(comparison.runs, comparison.sides)),
    }

"""Do the answers hold still? Two result sets of the same sweeps, judged as the report judges them.

    python -m benchmarks.commands.steadiness A/runs.parquet B/runs.parquet

Each set is loaded as the report loads it (the newest set of runs of each configuration) and its speed
claims are judged by benchmarks.report.answers. Their comparisons are matched by claim number and
comparison key, and every one whose decision changed is printed: sides flipped (A names one side
faster, B the other) or decided in one set and "no clear difference" in the other; so are
comparisons found in one set only. The last line counts them. The exit code is 1 when a comparison
flipped sides, 0 otherwise: measurements that differ only by noise may move a decision to or from
"no clear difference", never to the other side. `make steady` runs the answer-bearing sweeps twice
and then this command.
"""

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import UserError, command
from ..report import answers, document, source
from ..report.answers import Answer, Backend
from ..stats import Comparison, decision_text

FLIPPED = "changed sides"
DECIDED_IN_ONE = "decided in one set only"
HELD = "held"
ONLY_IN_A, ONLY_IN_B = "only in A", "only in B"


def speed_answers(runs: pd.DataFrame, kinds: dict[str, Backend]) -> dict[int, Answer]:
    """The answers that compare speed, by claim number (their place in answers.judge), judged from the
    runs as the report judges them; the claims of code and flexibility compare no speed."""
    return {
        3: answers.claim_faster(runs, kinds),
        4: answers.claim_gpu(runs),
        5: answers.claim_parallelism(runs, kinds),
    }


def judge_file(path: Path, kinds: dict[str, Backend]) -> dict[int, Answer]:
    runs, _ = document.load(path)
    return speed_answers(runs, kinds)


def faster_place(comparison: Comparison) -> int | None:
    """Which of its sides is faster (0: the first, 1: the second), None where undecided. Sides are
    told by place: the fastest backend of one side may have another name in the other set."""
    return None if comparison.faster is None else comparison.sides.index(comparison.faster)


@dataclass(frozen=True)
class Change:
    """One comparison in sets A and B (None where a set does not make it)."""

    claim: int
    key: str
    a: Comparison | None
    b: Comparison | None

    @property
    def kind(self) -> str:
        if self.a is None:
            return ONLY_IN_B
        if self.b is None:
            return ONLY_IN_A
        place_a, place_b = faster_place(self.a), faster_place(self.b)
        if place_a == place_b:
            return HELD
        return DECIDED_IN_ONE if place_a is None or place_b is None else FLIPPED

    def text(self) -> str:
        """'claim 3, hand-written, hidden=30, batch=1000: A numpy faster 1.32× (1.21–1.45×);
        B torch faster 1.10× (1.04–1.16×): changed sides'."""
        said = "; ".join(
            f"{name} {decision_text(c)}" for name, c in (("A", self.a), ("B", self.b)) if c is not None
        )
        return f"claim {self.claim}, {self.key}: {said}: {self.kind}"


def changes(a: dict[int, Answer], b: dict[int, Answer]) -> list[Change]:
    """Every comparison of either set, matched by claim number and key, in A's order then B's."""
    found_a = {(n, c.key): c for n, answer in a.items() for c in answer.comparisons}
    found_b = {(n, c.key): c for n, answer in b.items() for c in answer.comparisons}
    keys = list(dict.fromkeys([*found_a, *found_b]))
    return [Change(n, key, found_a.get((n, key)), found_b.get((n, key))) for n, key in keys]


def count_line(found: list[Change]) -> str:
    """'12 comparisons in both sets: 9 held (7 decided, 2 undecided in both), 2 decided in one set
    only, 1 changed sides; 1 only in A, 0 only in B.'"""
    kinds = Counter(c.kind for c in found)
    both = sum(kinds[k] for k in (HELD, DECIDED_IN_ONE, FLIPPED))
    decided = sum(1 for c in found if c.kind == HELD and c.a.decided)
    return (
        f"{both} comparisons in both sets: {kinds[HELD]} held ({decided} decided, {kinds[HELD] - decided} "
        f"undecided in both), {kinds[DECIDED_IN_ONE]} {DECIDED_IN_ONE}, {kinds[FLIPPED]} {FLIPPED}; "
        f"{kinds[ONLY_IN_A]} {ONLY_IN_A}, {kinds[ONLY_IN_B]} {ONLY_IN_B}."
    )


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Judge two result sets of the same sweeps as the report does and print every speed "
        "comparison whose decision changed; exit 1 if one changed sides."
    )
    parser.add_argument("a", type=Path, help="the first set's runs.parquet")
    parser.add_argument("b", type=Path, help="the second set's runs.parquet")
    args = parser.parse_args(argv)
    kinds = answers.kinds_of(source.backend_kinds())
    found = changes(judge_file(args.a, kinds), judge_file(args.b, kinds))
    if not found:
        raise UserError(
            f"neither {args.a} nor {args.b} holds a speed comparison the answers make: run the "
            "answer-bearing sweeps into each (`make steady` does)"
        )
    for change in found:
        if change.kind != HELD:
            print(change.text())
    print(count_line(found))
    return 1 if any(c.kind == FLIPPED for c in found) else 0


if __name__ == "__main__":
    sys.exit(main())

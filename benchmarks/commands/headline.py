"""Nielsen's headline figure from a results parquet: best test accuracy per seed.

    make nielsen    # runs the `nielsen` sweep preset, then this

Nielsen reports 95.42% for 784-30-10, eta 3, m 10, 30 epochs, the best of three runs.
"""

import argparse
import sys
from pathlib import Path

from benchmarks import results
from benchmarks.configuration import NIELSEN
from benchmarks.errors import UserError, command

NIELSEN_BEST_OF_THREE = 0.9542


@command
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", type=Path)
    args = parser.parse_args(argv)
    runs = results.load(args.parquet, made_by="`make nielsen`")
    hidden, batch, eta = NIELSEN["hidden"], NIELSEN["batch_size"], NIELSEN["eta"]
    runs = runs[
        (runs.status == "ok") & (runs.hidden == hidden) & (runs.batch_size == batch) & (runs.eta == eta)
    ]
    if runs.empty:
        raise UserError(
            f"{args.parquet} holds no finished run at Nielsen's setting "
            f"(hidden {hidden}, batch {batch}, eta {eta:g})"
        )
    for (backend, seed), run in runs.groupby(["backend", "seed"]):
        best = run.loc[run.test_acc.idxmax()]
        print(
            f"{backend} seed {seed}: best test accuracy {best.test_acc:.2%} at epoch {best.epoch}"
            f" of {run.epoch.max()}, final {run.sort_values('epoch').test_acc.iloc[-1]:.2%}"
        )
    for backend, run in runs.groupby("backend"):
        bests = run.groupby("seed").test_acc.max()
        print(
            f"{backend}: median of best over {len(bests)} seeds {bests.median():.2%}, best {bests.max():.2%} "
            f"(Nielsen: {NIELSEN_BEST_OF_THREE:.2%}, best of three)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

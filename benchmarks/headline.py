"""Nielsen's headline figure from a results parquet: best test accuracy per seed.

    make nielsen    # runs the `nielsen` sweep preset, then this

Nielsen reports 95.42% for 784-30-10, eta 3, m 10, 30 epochs, the best of three runs.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

NIELSEN_BEST_OF_THREE = 0.9542


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", type=Path)
    args = parser.parse_args(argv)
    if not args.parquet.is_file():
        sys.exit(f"error: {args.parquet} does not exist; run `make nielsen` first")
    runs = pd.read_parquet(args.parquet)
    runs = runs[(runs.status == "ok") & (runs.hidden == 30) & (runs.batch_size == 10) & (runs.eta == 3.0)]
    if runs.empty:
        sys.exit(
            f"error: {args.parquet} holds no finished run at Nielsen's setting (hidden 30, batch 10, eta 3)"
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


if __name__ == "__main__":
    main()

"""Fetch Nielsen's mnist.pkl.gz, verify its sha256 and cache it (make data).

python -m benchmarks.commands.data
"""

import argparse
import sys

from ..data import SPLITS, fetch, load_mnist
from ..errors import command


@command
def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    path = fetch()
    data = load_mnist()
    sizes = ", ".join(f"{len(y):,} {s}" for s, y in zip(SPLITS, (data.train_y, data.val_y, data.test_y)))
    print(f"{path}: sha256 verified; {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

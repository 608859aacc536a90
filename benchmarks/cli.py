"""`backprop-bench`, the command that `pip install` puts on the PATH; in the checkout, `python -m benchmarks`.

    backprop-bench check PATH/network.py [options]     the checker, as `make check FILE=...`
    backprop-bench data                                fetch and verify MNIST, as `make data`

Each subcommand takes the options of its module's own `main` (`backprop-bench check --help`).
"""

import importlib
import sys

SUBCOMMANDS = {
    "check": ("learner.check", "is my backprop right, and how fast is my network.py?"),
    "data": ("commands.data", "fetch and verify MNIST into the user cache"),
}


def usage() -> str:
    lines = [f"  {name:<6} {words}" for name, (_, words) in SUBCOMMANDS.items()]
    return "usage: backprop-bench {" + ",".join(SUBCOMMANDS) + "} ...\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in SUBCOMMANDS:
        print(f"error: no subcommand {argv[0]!r}; one of: {', '.join(SUBCOMMANDS)}", file=sys.stderr)
        return 2
    module, _ = SUBCOMMANDS[argv[0]]
    sys.argv[0] = f"backprop-bench {argv[0]}"  # argparse's usage line
    return importlib.import_module(f".{module}", __package__).main(argv[1:])

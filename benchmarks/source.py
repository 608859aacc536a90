"""What each implementation asks of its user, read from its source and behaviour.

Nothing here is written by hand per backend: the backends are those in
conf/backend, their files are read with `ast` and `tokenize`, and their dtype
support is found by training a tiny network in each dtype.
"""

import ast
import inspect
import io
import tokenize
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.utils import get_class
from omegaconf import OmegaConf

from benchmarks.fairness import init_params

CONF = Path(__file__).resolve().parent.parent / "conf" / "backend"
TRIED_DTYPES = ("float16", "float32", "float64", "bfloat16")


@cache
def backend_configs() -> dict:
    """Backend name -> its conf/backend file, for every backend configured."""
    configs = (OmegaConf.load(path) for path in sorted(CONF.glob("*.yaml")))
    return {conf.name: conf for conf in configs}


@cache
def implementations() -> dict[str, type]:
    """Backend name -> implementation class, for every backend configured."""
    return {name: get_class(conf.net._target_) for name, conf in backend_configs().items()}


def backend_options(name: str) -> dict:
    """The constructor options that conf/backend sets beside the backend's `_target_`."""
    options = OmegaConf.to_container(backend_configs()[name].net)
    del options["_target_"]
    return options


def logical_lines(code: str) -> int:
    """Statements, leaving out comments, blank lines and docstrings."""
    tree = ast.parse(code)
    docstrings = {
        node.body[0].lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    statements, first_token_line = 0, None
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.NEWLINE:
            statements += first_token_line not in docstrings
            first_token_line = None
        elif first_token_line is None:
            first_token_line = token.start[0]
    return statements


def called_names(code: str) -> set[str]:
    """Every name or attribute the code calls or refers to, e.g. {'backward', 'SGD'}."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return names


def source_file(cls: type) -> Path:
    return Path(inspect.getsourcefile(cls))


def uses_autograd(cls: type) -> bool:
    return "backward" in called_names(source_file(cls).read_text())


def ease_of_use_table() -> pd.DataFrame:
    rows = []
    for name, cls in implementations().items():
        code = source_file(cls).read_text()
        names = called_names(code)
        rows.append(
            {
                "backend": name,
                "file": source_file(cls).name,
                "logical lines": logical_lines(code),
                "backprop": "autograd" if "backward" in names else "by hand",
                "optimiser": "torch.optim" if "optim" in names else "by hand",
                "device placement": "by hand (.to(device))" if "cuda" in cls.devices else "n/a: CPU only",
                "batching": "DataLoader" if "DataLoader" in names else "by hand (index slices)",
            }
        )
    return pd.DataFrame(rows)


def trains_in(cls: type, dtype: str) -> bool:
    """Whether the implementation builds and takes a finite SGD step in this dtype."""
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 784)).astype(np.float32), rng.integers(0, 10, 4)
    try:
        net = cls(init_params([784, 3, 10], seed=0), x, y, device="cpu", dtype=dtype)
        net.train_epoch(np.arange(4), 2, 0.1)
        return all(np.isfinite(p).all() for p in net.parameters())
    except (TypeError, ValueError, AttributeError, RuntimeError):
        return False


def flexibility_table() -> pd.DataFrame:
    rows = []
    for name, cls in implementations().items():
        autograd = uses_autograd(cls)
        rows.append(
            {
                "backend": name,
                "GPU": "yes" if "cuda" in cls.devices else "no",
                "autograd": "yes" if autograd else "no",
                "dtypes": ", ".join(d for d in TRIED_DTYPES if trains_in(cls, d)),
                "swap layer, activation or cost": "edit the forward pass"
                if autograd
                else "re-derive backprop",
            }
        )
    return pd.DataFrame(rows)

"""What each implementation asks of its user, read from its source and behaviour.

Nothing here is written by hand per backend: the backends are those in
conf/backend, their files are read with `ast` and `tokenize`, the statements
that run to train are found by tracing a short epoch, and dtype support is
found by training a tiny network in each dtype. Each measurement is kept by the hash of the code
it measured (benchmarks.report.kept), and measured again when that changes.

    python -m benchmarks.report.source ['[["yours", {"path": "me/network.py"}]]']   # traced lines, as JSON
"""

import ast
import inspect
import io
import json
import os
import subprocess
import sys
import tokenize
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..configuration import spelled
from ..fairness import N_IN, init_params, layer_sizes
from ..registry import ROOT, backend_configs, backend_options, implementations
from ..sources import source_text
from . import kept

IMPLS = ROOT / "impls"
TRIED_DTYPES = ("float16", "float32", "float64", "bfloat16")


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


AUTOGRAD = {"backward", "grad"}  # torch's loss.backward(), jax.grad


@cache
def uses_autograd(cls: type) -> bool:
    return bool(AUTOGRAD & called_names(source_file(cls).read_text()))


def statements(code: str) -> list[ast.stmt]:
    return [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.stmt)]


@cache
def statement_map(code: str) -> tuple[dict[int, ast.stmt], list[tuple[ast.stmt, frozenset[ast.stmt]]]]:
    """(line -> the innermost statement holding it, the first of them in `statements`' order where
    several are as short; [(function or class, the statements inside it)]), read once per text."""
    nodes = statements(code)
    innermost = {}
    for node in nodes:
        for line in range(node.lineno, node.end_lineno + 1):
            held = innermost.get(line)
            if held is None or node.end_lineno - node.lineno < held.end_lineno - held.lineno:
                innermost[line] = node
    definitions = [
        (node, frozenset(n for n in ast.walk(node) if isinstance(n, ast.stmt)) - {node})
        for node in nodes
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    ]
    return innermost, definitions


def executed(code: str, lines: set[int]) -> set[tuple[int, int]]:
    """The statements of `code` that ran, given the line numbers a trace saw, each as its (line,
    column): each executed line counts once, for the innermost statement holding it, and a function
    or class counts with its decorators when anything inside it ran (their headers ran at import,
    before the trace)."""
    innermost, definitions = statement_map(code)
    ran = {innermost[line] for line in lines if line in innermost}
    counted = {(n.lineno, n.col_offset) for n in ran}
    for node, inside in definitions:
        if node not in ran and inside & ran:
            counted |= {(n.lineno, n.col_offset) for n in [node, *node.decorator_list]}
    return counted


def executed_statements(code: str, lines: set[int]) -> int:
    """How many statements of `code` ran, given the line numbers a trace saw (see `executed`)."""
    return len(executed(code, lines))


def tracing(keep) -> tuple[dict[str, set[int]], object]:
    """(lines seen per file, a trace function) that records every line run in files for which
    `keep(path)` is true; install it with sys.settrace."""
    seen = {}

    def local(frame, event, arg):
        if event == "line":
            seen.setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
        return local

    def calls(frame, event, arg):
        return local if keep(frame.f_code.co_filename) else None

    return seen, calls


def traced(keep, action) -> dict[str, list[int]]:
    """File -> the lines run in files that `keep` accepts while `action()` runs."""
    seen, calls = tracing(keep)
    sys.settrace(calls)
    try:
        action()
    finally:
        sys.settrace(None)
    return {shown_path(path): sorted(lines) for path, lines in seen.items()}


def constructor_settings(settings: dict) -> dict:
    """Chapter 3's settings as the constructor takes them: `init` and `hidden` go into the parameters."""
    return {k: v for k, v in settings.items() if k not in ("init", "hidden")}


def settings_params(settings: dict, sizes: list[int], seed: int) -> list[np.ndarray]:
    """Parameters for layer widths `sizes` (input, hidden..., output), with as many hidden layers of
    the first hidden width as `settings`' `hidden` has, drawn with its `init`."""
    if "hidden" in settings:
        sizes = [sizes[0], *[sizes[1]] * len(layer_sizes(settings["hidden"])[1:-1]), sizes[-1]]
    return init_params(sizes, seed=seed, init=settings.get("init", "normal"))


def trace_training(name: str, options: dict, settings: dict | None = None) -> dict[str, list[int]]:
    """File -> the lines that run while backend `name` is built with `options`, prepared for
    training and trains a short epoch that ends in a partial mini-batch, on the CPU. Traced are
    the files of impls/, or, for a backend that runs someone's own file, the files it names as
    theirs (`source_files()`); adapter methods only the harness calls (evaluate, parameters,
    synchronize) stay out. `settings`: chapter 3's, as the harness passes them (only those that
    differ from chapter 1's)."""
    return trace_phases(name, options, settings or {}, phases=("train",), n_in=N_IN)["train"]


# The input width of the phases' traces: the statements run do not depend on it, and numba's loops,
# traced line by line, run 50 times faster than at MNIST's 784.
PHASE_INPUTS = 16


def trace_phases(
    name: str,
    options: dict,
    settings: dict,
    phases=("train", "gradients", "forward"),
    n_in: int = PHASE_INPUTS,
) -> dict:
    """Phase -> file -> lines run, for the phases asked: "train" as `trace_training` says,
    "gradients" one call of `gradients` and "forward" one of `forward`, on the same examples, of
    `n_in` inputs each."""
    cls = implementations()[name]
    rng = np.random.default_rng(0)
    x, y = rng.random((12, n_in)).astype(np.float32), rng.integers(0, 10, 12)
    params = settings_params(settings, [n_in, *layer_sizes(30)[1:]], seed=0)
    built = constructor_settings(settings)
    # Only a backend that names its user's files is built before the trace: building warms caches.
    theirs = (
        {str(p) for p in cls(params, x, y, **options, **built).source_files()}
        if hasattr(cls, "source_files")
        else None
    )

    def keep(path):
        return path in theirs if theirs else path.startswith(str(IMPLS))

    def train():
        net = cls(params, x, y, **options, **built)
        if hasattr(net, "prepare_training"):
            net.prepare_training(5, 3.0)
        net.train_epoch(np.arange(12), 5, 3.0)

    traces = {"train": traced(keep, train)} if "train" in phases else {}
    net = cls(params, x, y, **options, **built)
    placed = net.place(x, y)
    if "gradients" in phases:
        traces["gradients"] = traced(keep, lambda: net.gradients(*placed))
    if "forward" in phases:
        traces["forward"] = traced(keep, lambda: net.forward(placed[0]))
    return traces


def shown_path(path: str) -> str:
    """Relative to the project where it lies inside it, else absolute."""
    return str(Path(path).relative_to(ROOT)) if Path(path).is_relative_to(ROOT) else path


@cache
def merged_options(name: str) -> str:
    return json.dumps(backend_options(name))


def conf_options(name: str) -> dict:
    """registry.backend_options, merged once per backend as registry.backend_configs reads the conf
    once; a dict of its own to each caller."""
    return json.loads(merged_options(name))


def default_requests() -> list[list]:
    """[backend, options] of every backend that can run here, with its conf options."""
    return [[name, conf_options(name)] for name in implementations()]


# TorchScript and numba compile functions into code that no Python trace sees: off in the traces.
UNCOMPILED = {"PYTORCH_JIT": "0", "NUMBA_DISABLE_JIT": "1"}


def traced_training(requests: list[list] | None = None) -> dict[str, dict]:
    """Traced lines for each request (default: every backend with its conf options), keyed by
    `request_key`: those kept for the code as it is read back, the others traced (`traced_apart`).
    A request [backend, options] gives `trace_training`'s lines; [backend, options, settings] gives
    `trace_phases`' phases, or the one line of the error that building or running it raised."""
    requests = default_requests() if requests is None else requests
    traces = kept.measurements("trace", requests, traced_apart)
    return {request_key(*request): trace for request, trace in zip(requests, traces, strict=True)}


def traced_apart(requests: list[list]) -> list:
    """`traced_request` of each request, in order, from a fresh process in which TorchScript and
    numba's compiler are off (UNCOMPILED), so that their functions run as the Python they are written in."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report.source", json.dumps(requests)],
        cwd=ROOT,
        env=os.environ | UNCOMPILED,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    traces = json.loads(done.stdout)
    return [traces[request_key(*request)] for request in requests]


def request_key(name: str, options: dict, settings: dict | None = None) -> str:
    key = f"{name} {json.dumps(options, sort_keys=True)}"
    return key if settings is None else f"{key} {json.dumps(settings, sort_keys=True)}"


def ease_of_use_table(extra: list[tuple[str, dict]] = ()) -> pd.DataFrame:
    """One row per backend with its conf options, and one per (backend, options) in `extra`,
    such as a learner's file given by `path`."""
    requests = default_requests() + [list(e) for e in extra]
    traces = traced_training(requests)
    rows = []
    for name, options in requests:
        cls = implementations()[name]
        trace = traces[request_key(name, options)]
        # A learner's file is read as it runs: a notebook's cells joined, Python 2 rewritten.
        files = {
            path: (ROOT / path).read_text()
            if (ROOT / path).is_relative_to(IMPLS)
            else source_text(ROOT / path)
            for path in trace
        }
        names = set().union(*map(called_names, files.values()))
        label = request_label(name, options)
        rows.append(
            {
                "backend": label,
                "name": name,
                "statements run to train": sum(
                    executed_statements(text, set(trace[path])) for path, text in files.items()
                ),
                "logical lines in those files": sum(logical_lines(text) for text in files.values()),
                "files": ", ".join(Path(path).name for path in sorted(files)),
                "backprop": "autograd" if AUTOGRAD & names else "by hand",
                "optimiser": "torch.optim" if "optim" in names else "by hand",
                "layers": "nn.Linear" if "Linear" in names else "by hand",
                "loss": "built-in" if names & {"mse_loss", "MSELoss"} else "by hand",
                "device placement": "by hand (.to(device))" if "cuda" in cls.devices else "n/a: CPU only",
                "batching": "DataLoader" if "DataLoader" in names else "by hand (index slices)",
            }
        )
    return pd.DataFrame(rows)


def measured_code(extra: list[tuple[str, dict]] = ()) -> str:
    """Which code the source figures of every backend, and of the (backend, options) in `extra`,
    describe (benchmarks.report.kept.described)."""
    return kept.described(default_requests() + [list(e) for e in extra])


def options_note(options: dict) -> str:
    return ", ".join(f"{k}={spelled(k, v)}" for k, v in sorted(options.items()) if v is not None)


def gradient_error(cls: type, options: dict, settings: dict | None = None) -> float:
    """Worst relative error, over the parameter arrays, of the backend's gradients against central
    finite differences of its own cost, in float64 on a tiny network (NaN when it cannot be run),
    with chapter 3's `settings` on (those that differ from chapter 1's, as the harness passes them)."""
    settings = settings or {}
    rng = np.random.default_rng(7)
    m, h = 3, 1e-6
    params = settings_params(settings, [6, 5, 4], seed=3)
    x, y = rng.random((m, 6)), rng.integers(0, 4, m)
    built = options | constructor_settings(settings)

    def total_cost(values):
        net = cls(values, x, y, dtype="float64", **built)
        return m * net.cost(*net.place(x, y))

    try:
        net = cls(params, x, y, dtype="float64", **built)
        grads = net.gradients(*net.place(x, y))
        grads = [
            np.asarray(g.detach().cpu() if hasattr(g, "detach") else g).reshape(p.shape)
            for g, p in zip(grads, params)
        ]
        worst = 0.0
        for index, param in enumerate(params):
            numeric = np.zeros_like(param)
            for entry in np.ndindex(param.shape):
                plus, minus = [p.copy() for p in params], [p.copy() for p in params]
                plus[index][entry] += h
                minus[index][entry] -= h
                numeric[entry] = (total_cost(plus) - total_cost(minus)) / (2 * h)
            scale = max(np.linalg.norm(grads[index]), np.linalg.norm(numeric), 1e-300)
            worst = max(worst, float(np.linalg.norm(grads[index] - numeric) / scale))
        return worst
    except Exception:  # a learner's file can raise anything, or be gone: then it is not checked
        return float("nan")


def request_label(name: str, options: dict) -> str:
    """The backend's name, with its options where they differ from its conf: 'yours (path=me/network.py)'."""
    return name if options == conf_options(name) else f"{name} ({options_note(options)})"


def checked_gradients(requests: list[list]) -> list[float]:
    """`gradient_error` of each [backend, options, settings], in order, kept for the code as it is
    (benchmarks.report.kept)."""

    def check(missing):
        return [
            gradient_error(implementations()[name], options, settings) for name, options, settings in missing
        ]

    return kept.measurements("gradient error", requests, check)


def gradient_check_table(requests: list[tuple[str, dict]]) -> pd.DataFrame:
    """Each requested backend's gradient check, as a row: backend, name, backprop, relative error."""
    errors = checked_gradients([[name, options, {}] for name, options in requests])
    return pd.DataFrame(
        [
            {
                "backend": request_label(name, options),
                "name": name,
                "backprop": "autograd" if uses_autograd(implementations()[name]) else "by hand",
                "relative error": error,
            }
            for (name, options), error in zip(requests, errors, strict=True)
        ]
    )


def backend_kinds() -> dict[str, tuple[str, bool, str]]:
    """Backend name -> (framework, uses autograd, style), as the implementations and conf declare them."""
    return {
        name: (
            getattr(cls, "framework", "numpy"),
            uses_autograd(cls),
            backend_configs()[name].get("style", "tuned"),
        )
        for name, cls in implementations().items()
    }


def trains_in(cls: type, dtype: str) -> bool:
    """Whether the implementation builds and takes a finite SGD step in this dtype."""
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 784)).astype(np.float32), rng.integers(0, 10, 4)
    try:
        net = cls(init_params([784, 3, 10], seed=0), x, y, device="cpu", dtype=dtype)
        net.train_epoch(np.arange(4), 2, 0.1)
        return all(np.isfinite(p).all() for p in net.parameters())
    except Exception:  # any library's refusal of the dtype (numba's typing error among them)
        return False


def dtypes_trained(names: list[str]) -> list[list[str]]:
    """The dtypes of TRIED_DTYPES each backend trains in (`trains_in`), kept for the code as it is
    (benchmarks.report.kept)."""

    def tried(missing):
        return [[d for d in TRIED_DTYPES if trains_in(implementations()[name], d)] for name, _ in missing]

    return kept.measurements("dtypes", [[name, conf_options(name)] for name in names], tried)


def flexibility_table() -> pd.DataFrame:
    rows = []
    classes = implementations()
    for (name, cls), dtypes in zip(classes.items(), dtypes_trained(list(classes)), strict=True):
        autograd = uses_autograd(cls)
        rows.append(
            {
                "backend": name,
                "GPU": "yes" if "cuda" in cls.devices else "no",
                "autograd": "yes" if autograd else "no",
                "dtypes": ", ".join(dtypes),
                "swap layer, activation or cost": "edit the forward pass"
                if autograd
                else "re-derive backprop",
            }
        )
    return pd.DataFrame(rows)


def traced_request(name: str, options: dict, settings: dict | None = None):
    if settings is None:
        return trace_training(name, options)
    try:
        return trace_phases(name, options, settings)
    except Exception as e:  # a backend that cannot run the settings: its refusal is the result
        return f"{type(e).__name__}: {e}".splitlines()[0]


def main() -> None:
    requests = json.loads(sys.argv[1]) if len(sys.argv) > 1 else default_requests()
    print(json.dumps({request_key(*request): traced_request(*request) for request in requests}))


if __name__ == "__main__":
    main()

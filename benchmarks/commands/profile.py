"""Where one training step's time goes, per kind of operation, for each backend at one size, and how
much of its library's matrix-product peak that leaves.

    python -m benchmarks.commands.profile [--hidden 1000] [--batch 1000] [--threads 1]
        [--init scaled] [--backends numpy,torch,torch_autograd,jax,numba]  (make profile)

Kinds: GEMMs; elementwise (bias adds, sigmoid, sigma', the delta products, reductions); copies and
gathers (and allocations); the update; "outside operations" is the step's time that no operation
accounts for (dispatch, autograd's engine, Python).

- numpy: each operation numpy_batch runs in a step, timed alone on the step's own arrays, in-place
  ones from the values they had in the step (saturated sigmoids are slower).
- torch, torch_autograd: torch.profiler over real training steps, each operation's own time as its
  share of the profiled run (the profiler times by the wall clock).
  torch's update is fused into its gradient GEMMs (addmm_), so counts as GEMM.
- jax, numba: one compiled epoch, so the step only; for jax its five GEMMs timed alone as jitted
  products of the same shapes, the rest being what XLA fuses around them.

Then the library alone: the same five GEMM shapes as bare products of contiguous arrays
(numpy.matmul, torch.mm) against env.gemm_peak. A backend cannot beat its library on its own
shapes: what is left between the two is the backend's. On a busy machine, --clock cpu times by the
process's CPU time (peaks included), leaving out the time spent waiting for a core.
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd

from .. import env, registry
from ..data import load_mnist
from ..errors import UserError, command
from ..fairness import epoch_order, init_params, layer_sizes, prepare
from ..report.summary import flops_per_example

BACKENDS = ("numpy", "torch", "torch_autograd", "jax", "numba")
ETA = 3.0
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
KINDS = ("GEMM", "elementwise", "copies and gathers", "update", "outside operations")


def best_seconds(fn, repeats: int, reset=None, clock=time.perf_counter) -> float:
    """Best time of fn() over `repeats` (other work on the machine only ever adds time); with `reset`,
    of reset() then fn(), less reset()'s own best."""

    def timed(call):
        call()
        samples = []
        for _ in range(repeats):
            start = clock()
            call()
            samples.append(clock() - start)
        return min(samples)

    if reset is None:
        return timed(fn)
    return max(timed(lambda: (reset(), fn())) - timed(reset), 0.0)


def gemm_shapes(hidden: int, batch: int) -> list[tuple[str, int, int, int]]:
    """(what, m, k, n) of the five matrix products of a step of the 784-hidden-10 network."""
    return [
        ("forward, layer 1", batch, 784, hidden),
        ("forward, layer 2", batch, hidden, 10),
        ("delta sent back", batch, 10, hidden),
        ("weight gradient 2", 10, batch, hidden),
        ("weight gradient 1", hidden, batch, 784),
    ]


def step_seconds(net, order: np.ndarray, batch: int, repeats: int, clock) -> float:
    """Best seconds of one step, from runs of len(order) // batch steps through the backend's own
    train_epoch (a compiled epoch compiles for that length on the first run, which is not timed)."""

    def steps():
        net.train_epoch(order, batch, ETA)
        net.synchronize()

    return best_seconds(steps, repeats, clock=clock) / (len(order) // batch)


def numpy_operations(params, data, order, batch):
    """[(kind, operation, fn, buffer it updates in place or None)]: one step of numpy_batch, in its order."""
    w, b = [p.astype(np.float32) for p in params[0::2]], [p.astype(np.float32) for p in params[1::2]]
    train_x = np.ascontiguousarray(data.train_x, dtype=np.float32)
    train_y = np.eye(10, dtype=np.float32)[data.train_y]
    m, x, y = batch, np.empty((batch, 784), np.float32), np.empty((batch, 10), np.float32)
    a = [np.empty((m, w_.shape[0]), np.float32) for w_ in w]
    slope, delta = [np.empty_like(a_) for a_ in a], [np.empty_like(a_) for a_ in a]
    gw, gb, ones = [np.empty_like(w_) for w_ in w], [np.empty_like(b_) for b_ in b], np.ones(m, np.float32)
    rows, scale = order[:m], np.float32(-ETA / m)
    elementwise, gemm = "elementwise", "GEMM"
    ops = [
        ("copies and gathers", "x = train_x.take(batch)", lambda: train_x.take(rows, 0, x, "clip"), None),
        ("copies and gathers", "y = train_y.take(batch)", lambda: train_y.take(rows, 0, y, "clip"), None),
    ]
    for n, a_in in ((1, x), (2, a[0])):
        out, weights, bias = a[n - 1], w[n - 1], b[n - 1]
        ops += [
            (
                gemm,
                f"a{n} = a{n - 1} @ W{n}.T",
                lambda a_in=a_in, w_=weights, o=out: np.matmul(a_in, w_.T, o),
                None,
            ),
            (elementwise, f"a{n} += b{n}", lambda o=out, b_=bias: np.add(o, b_, o), out),
            (elementwise, f"sigmoid a{n}: negate", lambda o=out: np.negative(o, o), out),
            (elementwise, f"sigmoid a{n}: exp", lambda o=out: np.exp(o, o), out),
            (elementwise, f"sigmoid a{n}: + 1", lambda o=out: np.add(o, 1, o), out),
            (elementwise, f"sigmoid a{n}: reciprocal", lambda o=out: np.reciprocal(o, o), out),
        ]
    for n in (1, 2):
        out, s = a[n - 1], slope[n - 1]
        ops += [
            (elementwise, f"sigma'{n} = 1 - a{n}", lambda o=out, s=s: np.subtract(1, o, s), None),
            (elementwise, f"sigma'{n} *= a{n}", lambda o=out, s=s: np.multiply(s, o, s), s),
        ]
    d1, d2 = delta
    ops += [
        (elementwise, "delta2 = a2 - y", lambda: np.subtract(a[1], y, d2), None),
        (elementwise, "delta2 *= sigma'2", lambda: np.multiply(d2, slope[1], d2), d2),
        (elementwise, "delta2 *= -eta/m", lambda: np.multiply(d2, scale, d2), d2),
        (gemm, "delta1 = delta2 @ W2", lambda: np.matmul(d2, w[1], d1), None),
        (elementwise, "delta1 *= sigma'1", lambda: np.multiply(d1, slope[0], d1), d1),
        (gemm, "gW1 = delta1.T @ x", lambda: np.matmul(d1.T, x, gw[0]), None),
        (gemm, "gW2 = delta2.T @ a1", lambda: np.matmul(d2.T, a[0], gw[1]), None),
        (
            elementwise,
            "gb1, gb2 = ones @ delta",
            lambda: [np.matmul(ones, d, g) for d, g in zip(delta, gb)],
            None,
        ),
        ("update", "W1 += gW1", lambda: np.add(w[0], gw[0], w[0]), w[0]),
        (
            "update",
            "W2 += gW2, b += gb",
            lambda: [np.add(p, g, p) for p, g in zip([w[1], *b], [gw[1], *gb])],
            w[1],
        ),
    ]
    return ops


def profile_numpy(params, data, order, batch, repeats, clock) -> pd.DataFrame:
    """Each operation of a step timed alone, from the state it met in the step."""
    ops = numpy_operations(params, data, order, batch)
    before = []
    with np.errstate(over="ignore"):
        for _, _, fn, buffer in ops:  # one real step, keeping what each in-place operation overwrites
            before.append(None if buffer is None else buffer.copy())
            fn()
        rows = []
        for (kind, text, fn, buffer), saved in zip(ops, before):
            reset = None if buffer is None else lambda buffer=buffer, saved=saved: np.copyto(buffer, saved)
            rows.append({"kind": kind, "operation": text, "seconds": best_seconds(fn, repeats, reset, clock)})
    return pd.DataFrame(rows)


GEMM_OPS = {"aten::mm", "aten::addmm", "aten::addmm_", "aten::addmv", "aten::addmv_", "aten::bmm", "aten::mv"}
COPY_OPS = {
    "aten::index_select", "aten::copy_", "aten::clone", "aten::contiguous", "aten::_to_copy", "aten::to",
    "aten::index", "aten::gather", "aten::empty", "aten::empty_like", "aten::empty_strided", "aten::zeros",
    "aten::zeros_like", "aten::zero_", "aten::fill_", "aten::ones_like", "aten::resize_", "aten::t",
    "aten::transpose", "aten::as_strided", "aten::expand", "aten::view", "aten::reshape", "aten::slice",
    "aten::select", "aten::detach", "aten::alias", "aten::numpy_T", "aten::permute", "aten::unsqueeze",
}  # fmt: skip


def torch_kind(event) -> str:
    parent = event
    while parent is not None:
        if parent.name.startswith(("Optimizer.step", "Optimizer.zero_grad")):
            return "update"
        parent = parent.cpu_parent
    if event.name in GEMM_OPS:
        return "GEMM"
    return "copies and gathers" if event.name in COPY_OPS else "elementwise"


def profile_torch(net, order, batch, step: float) -> pd.DataFrame:
    """Each aten operation's own (self) time in a profiled run of real steps, as its share of that
    run's wall time applied to `step`, the step's unprofiled time by the chosen clock."""
    from torch.profiler import ProfilerActivity, profile

    net.train_epoch(order, batch, ETA)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        net.train_epoch(order, batch, ETA)
        profiled = time.perf_counter() - start
    rows = [
        {"kind": torch_kind(e), "operation": e.name.removeprefix("aten::"), "seconds": e.self_cpu_time_total}
        for e in prof.events()
        if e.name.startswith("aten::")
    ]
    table = pd.DataFrame(rows).groupby(["kind", "operation"], as_index=False).seconds.sum()
    return table.assign(seconds=table.seconds / 1e6 / profiled * step)  # the profiler counts microseconds


def profile_jax_gemms(hidden, batch, repeats, clock) -> pd.DataFrame:
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    rows = []
    dot = jax.jit(jnp.dot)
    for what, m, k, n in gemm_shapes(hidden, batch):
        a, b = (jnp.asarray(rng.random(shape, dtype=np.float32)) for shape in ((m, k), (k, n)))
        seconds = best_seconds(lambda a=a, b=b: dot(a, b).block_until_ready(), repeats, clock=clock)
        rows.append({"kind": "GEMM", "operation": f"{what} ({m}×{k} @ {k}×{n})", "seconds": seconds})
    return pd.DataFrame(rows)


def bare_gemms(framework: str, hidden: int, batch: int, peak: float, repeats: int, clock) -> pd.DataFrame:
    """The step's GEMM shapes as bare products of contiguous arrays in the library alone."""
    rng = np.random.default_rng(0)
    rows = []
    for what, m, k, n in gemm_shapes(hidden, batch):
        a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
        if framework == "torch":
            import torch

            ta, tb, out = torch.from_numpy(a), torch.from_numpy(b), torch.empty(m, n)
            seconds = best_seconds(
                lambda ta=ta, tb=tb, out=out: torch.mm(ta, tb, out=out), repeats, clock=clock
            )
        else:
            out = np.empty((m, n), np.float32)
            seconds = best_seconds(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), repeats, clock=clock)
        gflops = 2 * m * k * n / seconds / 1e9
        rows.append(
            {"product": what, "shape": f"{m}×{k} @ {k}×{n}", "ms": 1e3 * seconds, "GFLOP/s": gflops}
            | {"of peak": f"{gflops / peak:.0%}"}
        )
    return pd.DataFrame(rows)


def by_kind(ops: pd.DataFrame, step: float) -> pd.DataFrame:
    kinds = ops.groupby("kind").seconds.sum().reindex(KINDS, fill_value=0.0)
    kinds["outside operations"] = max(step - kinds.drop("outside operations").sum(), 0.0)
    return pd.DataFrame({"ms per step": 1e3 * kinds, "share of step": (kinds / step).map("{:.0%}".format)})


def framework_of(name: str) -> str:
    cls = registry.import_class(registry.backend_configs()[name].net._target_)
    return getattr(cls, "framework", "numpy")


def report_backend(name, data, args, order, flops) -> tuple[dict, list[str]]:
    """(summary row, lines of detail) of one backend."""
    params = init_params(layer_sizes(args.hidden), seed=0, init=args.init)
    framework = framework_of(name)
    peak, source = env.gemm_peak(framework, "float32", "cpu", args.threads, clock=CLOCKS[args.clock])
    net = registry.built(name, params, data)
    prepare(net, args.batch, ETA)
    step = step_seconds(net, order, args.batch, args.repeats, CLOCKS[args.clock])
    lines = []
    if name == "numpy":
        ops = profile_numpy(params, data, order, args.batch, args.repeats, CLOCKS[args.clock])
    elif framework == "torch":
        ops = profile_torch(net, order, args.batch, step)
    elif framework == "jax":
        ops = profile_jax_gemms(args.hidden, args.batch, args.repeats, CLOCKS[args.clock])
        rest = "the rest of the step, fused by XLA (elementwise, gathers, update)"
        fused = pd.DataFrame(
            [{"kind": "elementwise", "operation": rest, "seconds": step - ops.seconds.sum()}]
        )
        ops = pd.concat([ops, fused.assign(seconds=fused.seconds.clip(lower=0))])
    else:
        ops = None
    if ops is not None:
        lines += [by_kind(ops, step).to_string(), ""]
        top = ops.sort_values("seconds", ascending=False)
        lines += [top.assign(ms=1e3 * top.seconds).drop(columns="seconds").to_string(index=False), ""]
    else:
        lines += [f"{name} compiles the whole epoch into one call: only its step time is measured.", ""]
    row = {"backend": name, "ms per step": 1e3 * step, "GFLOP/s": flops / step / 1e9}
    return row | {"of peak": f"{flops / step / 1e9 / peak:.0%}", "peak": f"{peak:.0f} ({source})"}, lines


def parse(argv):
    parser = argparse.ArgumentParser(description="Per-operation profile of a training step, per backend")
    parser.add_argument("--hidden", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--init", choices=["normal", "scaled"], default="scaled")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, from conf/backend")
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="cpu: the process's CPU time, which leaves out waiting for a core on a busy machine",
    )
    parser.add_argument("--steps", type=int, default=10, help="mini-batches per timed run")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs; the best counts")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in args.backends if b not in registry.backend_configs()]
    if unknown:
        known = ", ".join(sorted(registry.backend_configs()))
        raise UserError(f"--backends: unknown backend {', '.join(unknown)}; choose from {known}")
    for option in ("hidden", "batch", "threads", "steps", "repeats"):
        if getattr(args, option) < 1:
            raise UserError(f"--{option}={getattr(args, option)}: must be at least 1")
    return args


@command
def main(argv=None) -> int:
    args = parse(argv)
    data = load_mnist()
    if args.steps * args.batch > len(data.train_y):
        raise UserError(f"--steps × --batch = {args.steps * args.batch}: must be at most {len(data.train_y)}")
    order = epoch_order(0, 1, len(data.train_y))[: args.steps * args.batch]
    flops = flops_per_example(args.hidden) * args.batch
    missing = registry.unavailable()
    print(
        f"One training step at hidden {args.hidden}, batch {args.batch}, {args.threads} thread(s), float32, "
        f"init={args.init}: {flops / 1e9:.3g} GFLOP; {args.clock} time, best of {args.repeats} runs of "
        f"{args.steps} steps.\n"
    )
    summary, frameworks = [], set()
    with env.pinned_threads(args.threads):
        for name in args.backends:
            if name in missing:
                print(f"== {name}: not installed ({missing[name]})\n")
                continue
            row, lines = report_backend(name, data, args, order, flops)
            summary.append(row)
            frameworks.add(framework_of(name))
            print(f"== {name}: {row['ms per step']:.1f} ms per step, {row['of peak']} of {row['peak']}")
            print("\n".join(lines))
        print("== Each backend against its library's measured GEMM peak")
        print(pd.DataFrame(summary).to_string(index=False, float_format="{:.1f}".format), "\n")
        for framework in sorted(frameworks & {"numpy", "torch"}):
            peak, source = env.gemm_peak(framework, "float32", "cpu", args.threads, clock=CLOCKS[args.clock])
            table = bare_gemms(framework, args.hidden, args.batch, peak, args.repeats, CLOCKS[args.clock])
            together = table.ms.sum()
            print(
                f"== The library alone: the step's GEMMs as bare {framework} products "
                f"(peak {peak:.0f}, {source})"
            )
            print(table.to_string(index=False, float_format="{:.2f}".format))
            share = flops / (together / 1e3) / 1e9 / peak
            print(f"Together {together:.2f} ms: a step of nothing but these reaches {share:.0%} of peak.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

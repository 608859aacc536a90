"""The backends: found in conf/backend, imported by their `_target_`, and their optional dependencies.

A backend is one YAML file in conf/backend naming its implementation's class in
impls/. Nothing here is written per backend; the harness, the report and the
commands all learn what exists from these functions.

In the checkout, impls/ and conf/ lie beside this package, `benchmarks`. Installed
with pip, this package is `backprop_bench`, and impls/ and conf/ lie inside it
(pyproject.toml's package-dir); `qualified` turns conf's names into that layout's.
"""

import importlib
import importlib.metadata
import re
import tomllib
from functools import cache
from pathlib import Path

from omegaconf import OmegaConf

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
CONF = PACKAGE / "conf" if (PACKAGE / "conf").is_dir() else ROOT / "conf"
BACKENDS = CONF / "backend"
DISTRIBUTION = "backprop-bench"
# Where conf's top-level package names are imported from: themselves in the checkout, this package inside it.
IMPLS = "impls" if __package__ == "benchmarks" else f"{__package__}.impls"
HOMES = {"benchmarks": __package__, "impls": IMPLS}


def qualified(target: str) -> str:
    """A dotted name as conf/ writes it (`impls.numpy_batch.NumpyBatch`), as this installation imports it."""
    top, dot, rest = target.partition(".")
    return HOMES.get(top, top) + dot + rest


@cache
def backend_configs() -> dict:
    """Backend name -> its conf/backend file, for every backend configured."""
    configs = [OmegaConf.load(path) for path in sorted(BACKENDS.glob("*.yaml"))]
    for conf in configs:
        conf.net._target_ = qualified(conf.net._target_)
    return {conf.name: conf for conf in configs}


@cache
def optional_extras() -> dict[str, str]:
    """Top-level module of each optional dependency -> the extra of pyproject.toml that installs it."""
    modules = {}
    for extra, requirements in extras_declared().items():
        for requirement in requirements:
            modules.setdefault(re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0].replace("-", "_"), extra)
    return modules


def extras_declared() -> dict[str, list[str]]:
    """Each extra's requirements: from pyproject.toml in the checkout, else from the installed metadata."""
    if (ROOT / "pyproject.toml").is_file():
        with open(ROOT / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"].get("optional-dependencies", {})
    extras = {}
    for requirement in importlib.metadata.requires(DISTRIBUTION) or []:
        if found := re.search(r"extra == \"([^\"]+)\"", requirement):
            extras.setdefault(found[1], []).append(requirement)
    return extras


def install_command(extra: str) -> str:
    """How to install an extra, in the checkout or where pip installed this package."""
    where = "." if (ROOT / "pyproject.toml").is_file() else DISTRIBUTION
    return f"pip install '{where}[{extra}]'"


def missing_dependency(error: ImportError) -> str | None:
    """'needs numba, ...: pip install '.[numba]'' when the error is an optional dependency missing."""
    module = (getattr(error, "name", None) or "").split(".")[0]
    extra = optional_extras().get(module)
    return f"needs {module}, which is not installed: {install_command(extra)}" if extra else None


def import_class(target: str) -> type:
    """The class (or any attribute) a dotted name of conf/ names."""
    module, _, name = qualified(target).rpartition(".")
    return getattr(importlib.import_module(module), name)


@cache
def unavailable() -> dict[str, str]:
    """Backend name -> why it cannot run here, for backends whose optional dependency is missing."""
    reasons = {}
    for name, conf in backend_configs().items():
        try:
            import_class(conf.net._target_)
        except ImportError as e:
            if (reason := missing_dependency(e)) is None:
                raise
            reasons[name] = f"backend {name} {reason}"
    return reasons


@cache
def implementations() -> dict[str, type]:
    """Backend name -> implementation class, for every backend configured that can run here."""
    return {
        name: import_class(conf.net._target_)
        for name, conf in backend_configs().items()
        if name not in unavailable()
    }


@cache
def preset_backends(preset: str) -> list[str]:
    """The backends conf/sweep/<preset>.yaml sweeps over."""
    params = OmegaConf.load(CONF / "sweep" / f"{preset}.yaml").hydra.sweeper.params
    return str(params.backend).split(",")


@cache
def run_settings():
    """conf/config.yaml's own settings (not its defaults list or Hydra's section)."""
    settings = OmegaConf.load(CONF / "config.yaml")
    return OmegaConf.create({k: v for k, v in settings.items() if k not in ("defaults", "hydra")})


def net_options(net) -> dict:
    """A backend's `net` settings but its `_target_`: the options its class is built with."""
    options = OmegaConf.to_container(net, resolve=True) if OmegaConf.is_config(net) else dict(net)
    options.pop("_target_", None)
    return options


def backend_options(name: str) -> dict:
    """The constructor options that conf/backend sets beside the backend's `_target_`, with the
    run settings they refer to (such as `${network}`) at their conf/config.yaml defaults."""
    return net_options(OmegaConf.merge(run_settings(), {"net": backend_configs()[name].net}).net)


def built(name: str, params, data, device: str = "cpu", dtype: str = "float32"):
    """The backend, on MNIST's training set, from `params`, with its conf/backend options."""
    cls = import_class(backend_configs()[name].net._target_)
    return cls(params, data.train_x, data.train_y, device=device, dtype=dtype, **backend_options(name))

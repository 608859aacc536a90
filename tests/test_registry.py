"""benchmarks.registry: the backends are the files in conf/backend, found and imported by their `_target_`."""

import ast

import pytest

from benchmarks import registry
from tests.conftest import ROOT


def test_every_file_in_conf_backend_is_a_backend_named_by_its_file():
    files = {path.stem for path in (ROOT / "conf" / "backend").glob("*.yaml")}
    assert set(registry.backend_configs()) == files


def test_each_backend_imports_to_a_class_with_the_networks_interface():
    for name, cls in registry.implementations().items():
        assert isinstance(cls, type), name
        assert set(cls.devices) <= {"cpu", "cuda"} and "cpu" in cls.devices, name
        for method in ("place", "train_epoch", "forward", "gradients", "evaluate", "cost", "parameters"):
            assert callable(getattr(cls, method, None)), f"{name} lacks {method}"


def test_an_optional_dependency_missing_names_the_extra_that_installs_it():
    assert registry.optional_extras()["numba"] == "numba" and registry.optional_extras()["jax"] == "jax"
    error = ModuleNotFoundError("No module named 'numba'", name="numba")
    assert registry.missing_dependency(error) == "needs numba, which is not installed: pip install '.[numba]'"
    assert registry.missing_dependency(ModuleNotFoundError("x", name="no_such_thing")) is None


def test_backend_options_resolve_the_run_settings_they_refer_to():
    assert registry.backend_options("yours")["path"] == registry.run_settings().network
    assert registry.backend_options("torch_eager") == {"torchscript": False, "cuda_graphs": False}


@pytest.mark.parametrize(
    "module", ["configuration", "harness", "config", "registry", "results", "fairness", "timing"]
)
def test_the_measuring_core_imports_nothing_from_the_report_or_the_commands(module):
    tree = ast.parse((ROOT / "benchmarks" / f"{module}.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    assert not {m for m in imported if m.startswith(("benchmarks.report", "benchmarks.commands"))}

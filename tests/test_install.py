"""`pip install` of the checkout into a fresh virtual environment: the command `backprop-bench` on its PATH,
run from another folder, says what `python -m benchmarks.learner.check` says in the checkout, and the
only package it installs is backprop_bench."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from benchmarks import cli
from tests.conftest import ROOT

# What a checkout's build reads; the copy keeps setuptools' build/ and egg-info out of the checkout.
SOURCES = ("pyproject.toml", "README.md", "benchmarks", "impls", "conf")
LEARNER = ROOT / "tests" / "learners" / "notebook.ipynb"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv that sees this environment's packages (a .pth line), with a copy of the checkout
    pip-installed into it without dependencies: of PyPI, only the build's setuptools is fetched."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "checkout"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    outer = [path for path in sys.path if path.endswith("site-packages")]
    (purelib / "outer.pth").write_text("\n".join(outer) + "\n")
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps"]
    done = subprocess.run([*pip, str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return venv, purelib


def test_the_wheel_installs_backprop_bench_alone(installed):
    _, purelib = installed
    (record,) = purelib.glob("backprop_bench-*.dist-info/RECORD")
    tops = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines()}
    assert {top for top in tops if not top.startswith(("backprop_bench", ".."))} == set()
    assert (purelib / "backprop_bench" / "impls" / "numpy_loop.py").is_file()
    assert (purelib / "backprop_bench" / "conf" / "backend" / "torch.yaml").is_file()


@pytest.mark.slow
@pytest.mark.mnist
def test_the_installed_command_run_from_another_folder_says_what_make_check_says(installed, tmp_path):
    venv, _ = installed
    theirs = subprocess.run(
        [venv / "bin" / "backprop-bench", "check", str(LEARNER), "--quick"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ours = subprocess.run(
        [sys.executable, "-m", "benchmarks.learner.check", str(LEARNER), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert theirs.returncode == ours.returncode == 0, theirs.stderr
    assert theirs.stdout == ours.stdout and theirs.stderr == ours.stderr == ""


def test_the_command_without_a_known_subcommand_answers_in_one_line(capsys):
    assert cli.main(["chekc", "network.py"]) == 2
    assert capsys.readouterr().err == "error: no subcommand 'chekc'; one of: check, data\n"
    assert cli.main([]) == 2
    assert capsys.readouterr().out.startswith("usage: backprop-bench {check,data} ...")

"""Machines told apart (benchmarks.report.machines, benchmarks.env), on real result sets from a Zen 4
and a Zen 5 guest that both call themselves "AMD EPYC" on a host named `vm`."""

import os
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import configuration, env, results
from benchmarks.report import machines

DATA = Path(__file__).parent / "data" / "machines"
ZEN4_IDENTITY = {
    "cpu_identity": "AuthenticAMD family 25 model 17 stepping 1",
    "cpu_arch": "Zen 4",
    "cpu_isa": "avx avx2 fma avx512f avx512_vnni avx512_bf16",
    "cpu_caches": "L1d 32 KiB, L2 1 MiB, L3 32 MiB",
    "hypervisor": "KVM",
}


def load(*names: str) -> pd.DataFrame:
    frames = [results.load(DATA / f"{name}.parquet") for name in names]
    return configuration.with_keys(pd.concat(frames, ignore_index=True))


def as_identified(runs: pd.DataFrame, identity: dict, fingerprint: float, commit: str) -> pd.DataFrame:
    """The runs as a schema-8 harness would record them on a machine of this identity."""
    new = runs.assign(**identity, fingerprint_gflops=fingerprint, git_commit=commit)
    return configuration.with_keys(new.assign(run_id=new.run_id + commit))


def test_two_real_machines_of_one_name_are_told_apart_by_their_fingerprint():
    runs = load("zen4", "zen5")
    ids = machines.identify(runs)
    assert ids.nunique() == 2
    assert runs.groupby(ids).git_commit.nunique().tolist() == [1, 1]
    labels = sorted(m["label"] for m in machines.describe(runs))
    assert labels == [
        "AMD EPYC, 2 cores, OpenBLAS SkylakeX, 234 GFLOP/s",
        "AMD EPYC, 2 cores, OpenBLAS SkylakeX, 93 GFLOP/s",
    ]


def test_one_machine_busy_and_idle_is_one_machine():
    assert machines.identify(load("zen4", "zen4-busy")).nunique() == 1


def test_runs_known_by_name_join_the_identified_machine_their_fingerprint_matches():
    old = load("zen4")
    new = as_identified(old, ZEN4_IDENTITY, 90.0, "f" * 40)
    zen5 = load("zen5")
    runs = pd.concat([old, new, zen5], ignore_index=True)
    ids = machines.identify(runs)
    assert ids.nunique() == 2
    assert ids[runs.git_commit == "f" * 40].iloc[0] == ids[runs.git_commit == old.git_commit.iloc[0]].iloc[0]
    described = {m["label"] for m in machines.describe(runs)}
    assert "Zen 4, 2 cores, OpenBLAS SkylakeX" in described


def test_runs_of_one_set_whose_fingerprints_fall_apart_are_two_machines():
    runs = as_identified(load("zen4"), ZEN4_IDENTITY, 93.0, "e" * 40)
    moved = runs.run_id.isin(runs.run_id.unique()[::2])
    runs.loc[moved, "fingerprint_gflops"] = 234.0  # the VM moved to another host mid-sweep
    ids = machines.identify(runs)
    assert ids.nunique() == 2 and ids[moved].nunique() == 1 and ids[~moved].nunique() == 1


def test_resume_never_reuses_a_run_from_another_cpu():
    zen4 = {"cpu_model": "AMD EPYC", "hostname": "vm", **ZEN4_IDENTITY}
    zen5 = zen4 | {"cpu_identity": "AuthenticAMD family 26 model 2 stepping 0", "cpu_arch": "Zen 5"}
    assert configuration.provenance_hash(zen4) != configuration.provenance_hash(zen5)
    assert "cpu_identity" in configuration.provenance_difference(zen4, zen5)


@pytest.mark.parametrize(
    ("vendor", "family", "model", "name"),
    [
        ("AuthenticAMD", 25, 17, "Zen 4"),
        ("AuthenticAMD", 25, 1, "Zen 3"),
        ("AuthenticAMD", 26, 2, "Zen 5"),
        ("GenuineIntel", 6, 0x8F, "Sapphire Rapids"),
        ("GenuineIntel", 6, 0x55, "Skylake-SP/Cascade Lake"),
        ("GenuineIntel", 6, 0x01, "GenuineIntel family 6 model 1"),
    ],
)
def test_microarchitecture_from_vendor_family_and_model(vendor, family, model, name):
    assert env.microarchitecture(vendor, family, model) == name


def test_this_machine_is_identified_in_every_field():
    found = env.machine()
    assert set(found) == {"cpu_identity", "cpu_arch", "cpu_isa", "cpu_caches", "hypervisor"}
    if Path("/proc/cpuinfo").exists():
        assert found["cpu_identity"] and found["cpu_arch"] and found["hypervisor"]


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_machine_load_counts_other_processes_and_stolen_time_but_not_its_own(monkeypatch):
    hz = os.sysconf("SC_CLK_TCK")
    clock, own, ticks = FakeClock(), [0.0], [(0, 0, 0)]
    monkeypatch.setattr(env.time, "perf_counter", clock)
    monkeypatch.setattr(env, "machine_times", lambda: ticks[0])
    monkeypatch.setattr(env.MachineLoad, "own_seconds", lambda self: own[0])
    with env.MachineLoad() as load:
        # 2 s on 2 cores: this process used 1.5 core-seconds, others 1.0; 10% of the time was stolen.
        clock.t, own[0] = 2.0, 1.5
        ticks[0] = (int(2.5 * hz), int(0.4 * hz), int(4.0 * hz))
    assert load.others_cores == pytest.approx(0.5, abs=0.01)
    assert load.steal_share == pytest.approx(0.1, abs=0.01)


def test_background_load_is_spinning_when_its_block_starts_and_gone_after_it():
    with env.background_load(2) as helpers:
        states = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] for pid in helpers]
    assert len(set(helpers)) == 2 and states == ["R", "R"]  # runnable: spinning, not asleep
    assert all(not Path(f"/proc/{pid}").exists() for pid in helpers)


def test_machine_load_is_unknown_without_proc_stat(monkeypatch):
    monkeypatch.setattr(env, "machine_times", lambda: None)
    with env.MachineLoad() as load:
        pass
    assert load.as_row() == {"others_cores": None, "steal_share": None}

"""Which machine each run was measured on, told apart even where two machines give the same name.

A machine is its exact CPU (vendor, family, model, stepping, kernel-choosing instruction sets,
caches, hypervisor: benchmarks.env.machine), its core count and its GPU. Rows written before the
CPU was identified (schema 8) know only the model name and the hostname, which two different VMs
can share. Every process also measures a fingerprint, NumPy's float32 matrix-product peak on one
core (older rows: the same measurement, recorded as the peak of NumPy backends at 1 thread); runs
under one name whose fingerprints differ by more than FINGERPRINT_GAP are two machines.
"""

import hashlib

import numpy as np
import pandas as pd

from ..configuration import ENVIRONMENT, plain

# A Zen 4 and a Zen 5 guest differ 2.5× in the fingerprint; a busy machine lowered one machine's by
# up to 1.4× (docs/fairness.md, "The machine").
FINGERPRINT_GAP = 1.5
FINGERPRINT_SOURCE = "numpy.matmul float32 cpu, 1 thread"
EXACT = ["cpu_identity", "cpu_isa", "cpu_caches", "hypervisor"]
NAMED = ["cpu_model", "hostname"]
SHARED = ["logical_cpus", "cuda_device", "python", "numpy", "torch", "blas"]


def fingerprints(runs: pd.DataFrame) -> pd.Series:
    """Each row's fingerprint in GFLOP/s: recorded, or the peak that measured the same; else NaN."""
    recorded = runs.get("fingerprint_gflops", pd.Series(np.nan, index=runs.index))
    same_measurement = runs.peak_gflops.where(runs.peak_source == FINGERPRINT_SOURCE)
    return recorded.fillna(same_measurement).astype(float)


def described(runs: pd.DataFrame, columns: list[str]) -> pd.Series:
    text = runs.reindex(columns=columns + SHARED).astype("string").fillna("?")
    return text[columns[0]].str.cat([text[c] for c in [*columns[1:], *SHARED]], sep=" | ")


def clusters(values: pd.Series) -> pd.Series:
    """0, 1, ... for values that lie within FINGERPRINT_GAP of their neighbours, by size."""
    order = values.sort_values()
    jumps = (order / order.shift()).fillna(1) > FINGERPRINT_GAP
    return jumps.cumsum().reindex(values.index)


def within_gap(a: float, b: float) -> bool:
    return max(a, b) / min(a, b) <= FINGERPRINT_GAP


def identify(runs: pd.DataFrame) -> pd.Series:
    """A machine id (12 hex digits) for each row.

    Runs are grouped by what they say of their machine (the exact CPU where recorded, else its
    model name and host), with its core count, GPU and libraries, and split where their
    fingerprints fall apart. A run with no fingerprint takes its provenance set's cluster where that
    set's fingerprints fall in one. A group known only by name joins the one exactly identified
    machine of the same name whose fingerprint it matches."""
    exact = runs.get("cpu_identity", pd.Series(pd.NA, index=runs.index)).notna()
    per_run = pd.DataFrame(
        {
            "run": runs.run_id,
            "named": described(runs, NAMED),
            "name": described(runs, EXACT).where(exact, "named: " + described(runs, NAMED)),
            "fp": fingerprints(runs),
            "set": runs.provenance_key,
        }
    )
    per_run = per_run.groupby("run", observed=True).agg(
        named=("named", "first"), name=("name", "first"), fp=("fp", "median"), set=("set", "first")
    )
    per_run["cluster"] = pd.Series(pd.NA, index=per_run.index, dtype="Int64")
    for _, group in per_run.groupby("name"):
        known = group.fp.dropna()
        if not known.empty:
            per_run.loc[known.index, "cluster"] = clusters(known).astype("Int64")
    set_cluster = (
        per_run.dropna(subset=["cluster"])
        .groupby("set")
        .cluster.agg(lambda c: c.iloc[0] if c.nunique() == 1 else pd.NA)
    )
    unknown = per_run.cluster.isna()
    per_run.loc[unknown, "cluster"] = per_run.loc[unknown, "set"].map(set_cluster).astype("Int64")
    per_run["machine"] = per_run.name + " # " + per_run.cluster.astype("string").fillna("?")
    machines = per_run.groupby("machine").agg(named=("named", "first"), fp=("fp", "median"))
    exact_machines = machines[~machines.index.str.startswith("named: ")]
    for machine, row in machines[machines.index.str.startswith("named: ")].iterrows():
        same_name = exact_machines[exact_machines.named == row.named].dropna(subset=["fp"])
        matches = [m for m, fp in same_name.fp.items() if pd.notna(row.fp) and within_gap(fp, row.fp)]
        if len(matches) == 1:
            per_run.loc[per_run.machine == machine, "machine"] = matches[0]
    ids = per_run.machine.map(lambda text: hashlib.sha256(text.encode()).hexdigest()[:12])
    return runs.run_id.map(ids).astype("string")


def label(rows: pd.DataFrame) -> str:
    """A short name a person can read: 'Zen 4, 2 cores, OpenBLAS SkylakeX' (', H100' with a GPU);
    with the fingerprint where only the model name is known: 'AMD EPYC, 2 cores, ..., 93 GFLOP/s'."""
    known = rows[rows.cpu_identity.notna()] if "cpu_identity" in rows else rows.iloc[:0]
    first = (known if not known.empty else rows).iloc[0]
    arch = first.get("cpu_arch")
    cpu = arch if isinstance(arch, str) and arch else first.cpu_model
    parts = [cpu, f"{int(first.logical_cpus)} cores"]
    blas = first.get("blas")
    if isinstance(blas, str) and "(" in blas:
        library, kernel = blas.split(" ")[0], blas.rsplit("(", 1)[1].rstrip(")")
        parts.append(f"{'OpenBLAS' if library == 'openblas' else library} {kernel}")
    if isinstance(first.get("cuda_device"), str):
        parts.append(first.cuda_device)
    if not isinstance(arch, str) and fingerprints(rows).notna().any():
        parts.append(f"{fingerprints(rows).median():.0f} GFLOP/s")
    return ", ".join(parts)


def machine_of(runs: pd.DataFrame) -> pd.Series:
    """Each row's machine: the `machine` column the report's loading adds over all the sets merged,
    else identified from these rows alone."""
    return runs["machine"] if "machine" in runs else identify(runs)


# What answers.json says of a machine: its environment but the variables, which are per run.
IDENTITY = [c for c in ENVIRONMENT if c != "speed_env"]


def describe(runs: pd.DataFrame) -> list[dict]:
    """One entry per machine in the runs, newest first: {"id", "label", "identity"}; labels that two
    machines share get the fingerprint to tell them apart."""
    found = []
    for machine, rows in runs.groupby(machine_of(runs), observed=True):
        newest = rows.sort_values("started_at").iloc[-1]
        identity = {c: plain(newest.get(c)) for c in IDENTITY if c in rows}
        identity["fingerprint_gflops"] = plain(round(fingerprints(rows).median(), 1))
        identity["hostname"] = plain(newest.get("hostname"))
        found.append({"id": machine, "label": label(rows), "identity": identity, "last": newest.started_at})
    labels = pd.Series([m["label"] for m in found])
    for m in found:
        if (labels == m["label"]).sum() > 1 and m["identity"]["fingerprint_gflops"] is not None:
            m["label"] += f" ({m['identity']['fingerprint_gflops']:.0f} GFLOP/s)"
    found.sort(key=lambda m: m.pop("last"), reverse=True)
    return found

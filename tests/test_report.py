"""The report from small synthetic result sets: every plot and table, and partial data."""

import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from benchmarks import env, results
from benchmarks.report import __main__ as report_command
from benchmarks.report import document as report
from benchmarks.report import plots, sections, summary
from benchmarks.report import render as render_module
from tests.conftest import ROOT, batches, render, synthetic_runs, timings


def images_in(markdown: str) -> set[str]:
    return set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown))


def test_full_report_has_every_plot_and_table(tmp_path):
    out = render(tmp_path, synthetic_runs())
    markdown = (out / "report.md").read_text()
    pngs = {p.name for p in out.glob("*.png")}
    assert pngs == set(plots.PLOTS) | {"flexibility.png"}
    assert images_in(markdown) == pngs
    for png in pngs:
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and min(image.shape[:2]) > 200
    for heading in (
        "Environment",
        "Summary per configuration",
        "Ease of use",
        "Flexibility",
        "What did not run",
        "Noise",
    ):
        assert f"## {heading}" in markdown
    assert "CUDA not available" in markdown and "diverged" in markdown
    assert "Test CPU" in markdown and "4·784·h + 6·10·h" in markdown


def test_diverged_runs_are_never_plotted_as_times(tmp_path):
    runs = synthetic_runs()
    stats = summary.timed(summary.prepare(runs))
    assert 99.0 not in stats.train_s.values


def test_speedup_uses_shared_settings(tmp_path):
    runs = summary.prepare(synthetic_runs())
    speed = summary.speedups(runs)
    numpy_fast = speed[
        (speed.backend == "numpy")
        & (speed.batch_size == 10)
        & (speed.threads == 1)
        & (speed.background_load == 0)
    ]
    assert numpy_fast.speedup.between(8, 12).all()


def test_single_backend_report_replaces_missing_plots_with_notes(tmp_path):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[(runs.backend == "numpy") & (runs.threads == 1) & (runs.status == "ok")]
    out = render(tmp_path, runs)
    markdown = (out / "report.md").read_text()
    pngs = {p.name for p in out.glob("*.png")}
    assert "speedup.png" not in pngs and "threads.png" not in pngs
    assert images_in(markdown) == pngs
    missing = [name for name in plots.PLOTS if name not in pngs]
    assert markdown.count("_Not drawn: these results hold no data for it.") == len(missing)
    for name in missing:
        assert plots.NEEDS[name] in markdown


def test_rerun_overwrites_only_its_own_files(tmp_path):
    out = render(tmp_path, synthetic_runs())
    (out / "notes.txt").write_text("mine")
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    render(tmp_path, runs[runs.threads == 1])
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "speedup.png").exists()


@pytest.mark.parametrize("content", [None, "empty"])
def test_missing_or_empty_parquet_gives_one_line(tmp_path, content):
    path = tmp_path / "runs.parquet"
    if content == "empty":
        results.to_frame([]).to_parquet(path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error:")


def test_flops_formula_matches_the_issue_figure():
    assert summary.flops_per_example(30) * 50_000 == pytest.approx(4.8e9, rel=0.01)


def test_results_of_schema_version_1_still_render(tmp_path):
    old = synthetic_runs().drop(columns=["launcher", "parallel_jobs"]).assign(schema_version=1)
    out = render(tmp_path, old)
    assert (out / "epoch_time.png").exists()
    upgraded = results.upgrade(old)
    assert (upgraded.launcher == "basic").all() and (upgraded.parallel_jobs == 1).all()


def test_results_from_a_newer_schema_give_one_line(tmp_path):
    path = tmp_path / "runs.parquet"
    synthetic_runs().assign(schema_version=results.SCHEMA_VERSION + 1).to_parquet(path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and "update backprop-bench" in done.stderr


def test_parallel_jobs_are_kept_out_of_the_plots(tmp_path):
    runs = summary.prepare(synthetic_runs())
    shared = runs.assign(parallel_jobs=2, run_id=runs.run_id + "-parallel", train_s=runs.train_s * 100)
    both = pd.concat([runs, shared])
    shown = summary.timed(summary.standard(both)).train_s.max()
    assert shown == summary.timed(summary.standard(runs)).train_s.max()


def test_a_peer_that_never_ran_at_the_usual_thread_count_is_plotted_at_its_own():
    runs = synthetic_runs(backends=("numpy", "torch"), devices=("cpu",))
    naive = runs[(runs.backend == "torch") & (runs.threads == 2) & (runs.seed == 0)].assign(
        backend="torch_naive", run_id=lambda f: f.run_id + "-naive"
    )
    runs = runs[(runs.threads == 1) | (runs.backend == "numpy")]  # torch ran at 1 thread only
    shown = summary.standard(summary.prepare(pd.concat([runs, naive])))
    assert (shown[shown.backend != "torch_naive"].threads == 1).all()
    assert set(shown[shown.backend == "torch_naive"].label) == {"torch_naive (cpu, 2 threads)"}
    assert not shown[shown.backend != "torch_naive"].label.str.contains("threads").any()


def torch_cuda_variants():
    """The gpu preset's shape: torch on CUDA with graphs on and off, and with TorchScript off."""
    runs = synthetic_runs(backends=("torch",), devices=("cuda",))
    runs = runs[(runs.status == "ok") & (runs.threads == 1) & (runs.background_load == 0)]
    graphs = runs.assign(
        backend_options='{"cuda_graphs": true, "graph_steps": 100, "torchscript": true}', graph_fraction=1.0
    )
    eager = runs.assign(
        backend_options='{"cuda_graphs": false, "graph_steps": 100, "torchscript": true}',
        graph_fraction=0.0,
        train_s=runs.train_s * 3,
        run_id=runs.run_id + "-eager",
    )
    unscripted = runs.assign(
        backend_options='{"cuda_graphs": true, "graph_steps": 100, "torchscript": false}',
        graph_fraction=0.4,
        train_s=runs.train_s * 2,
        run_id=runs.run_id + "-unscripted",
    )
    return pd.concat([graphs, eager, unscripted], ignore_index=True)


def test_backend_options_are_never_pooled_and_labels_say_which_ran(tmp_path):
    out = render(tmp_path, torch_cuda_variants())
    table = summary.summary_table(report.load(tmp_path / "runs.parquet")[0])
    at = table[(table.batch_size == 10) & (table.hidden == 30)].set_index("label")
    assert set(at.index) == {
        "torch (cuda, graphs)",
        "torch (cuda, cuda_graphs=false)",
        "torch (cuda, partly graphed (40%), torchscript=false)",
    }
    medians = at["median epoch s"].astype(float)
    assert medians["torch (cuda, cuda_graphs=false)"] == pytest.approx(
        3 * medians["torch (cuda, graphs)"], rel=0.1
    )
    assert at.loc["torch (cuda, graphs)", "graphed steps"] == "100%"
    assert at.loc["torch (cuda, cuda_graphs=false)", "graphed steps"] == ""
    markdown = (out / "report.md").read_text()
    assert "| torch (cuda, cuda_graphs=false) | 10 | 30 |" in markdown


def test_eta_and_epochs_are_part_of_the_configuration():
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    other = runs.assign(eta=0.5, run_id=runs.run_id + "-eta")
    longer = runs.assign(epochs=30, run_id=runs.run_id + "-long")
    longer = longer[longer.hidden == 30]  # fewer runs than the 3-epoch configuration
    labels = (
        summary.prepare(pd.concat([runs, other, longer])).drop_duplicates("run_id").set_index("run_id").label
    )
    assert set(labels) == {"numpy (cpu)", "numpy (cpu) [epochs=30]", "numpy (cpu, eta=0.5)"}
    assert labels[runs.run_id.iloc[0]] == "numpy (cpu)" and labels[longer.run_id.iloc[0]].endswith(
        "[epochs=30]"
    )


def two_commits():
    """The same configurations measured at two commits, the newer one twice as fast."""
    runs = synthetic_runs(backends=("numpy", "numpy_loop"), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    newer = runs.assign(
        git_commit="fedcba987654",
        started_at=pd.Timestamp("2026-11-29", tz="UTC"),
        train_s=runs.train_s / 2,
        run_id=runs.run_id + "-new",
    )
    return pd.concat([runs, newer], ignore_index=True)


def test_report_uses_the_newest_set_and_lists_what_it_left_out(tmp_path):
    out = render(tmp_path, two_commits())
    kept, left_out = report.load(tmp_path / "runs.parquet")
    assert set(kept.git_commit) == {"fedcba987654"} and set(left_out.git_commit) == {"abc123"}
    assert kept.run_id.str.endswith("-new").all()
    markdown = (out / "report.md").read_text()
    section = markdown.split("## Older sets left out")[1]
    assert "| numpy (cpu) |" in section and "made with git_commit abc123 (now fedcba9)" in section
    assert f"runs of older sets ({left_out.run_id.nunique()}) are left out" in markdown


def test_all_sets_shows_them_side_by_side_labelled(tmp_path):
    path = tmp_path / "runs.parquet"
    two_commits().to_parquet(path)
    report_command.main([str(path), "--all-sets"])
    kept, left_out = report.load(path, all_sets=True)
    assert left_out.empty
    labels = set(kept[kept.backend == "numpy"].label)
    assert labels == {"numpy (cpu) [git_commit=abc123]", "numpy (cpu) [git_commit=fedcba9]"}
    table = summary.summary_table(kept)
    assert len(table[table.label.str.startswith("numpy (cpu)")]) == 2 * len(
        table[table.label == "numpy_loop (cpu) [git_commit=abc123]"]
    )


def test_summary_says_how_many_seeds_reached_the_target():
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[runs.status == "ok"].copy()
    runs.loc[runs.seed == 1, ["time_to_target_s", "time_to_target_with_setup_s"]] = np.nan
    third = runs[runs.seed == 0].assign(seed=2, run_id=lambda f: f.run_id + "-2", time_to_target_s=5.0)
    table = summary.summary_table(summary.prepare(pd.concat([runs, third])))
    row = table[(table.batch_size == 10) & (table.hidden == 30) & (table.threads == 1)]
    row = row[row.background_load == 0].iloc[0]
    assert row["reached target"] == "2 of 3"
    # seed 0 takes about 0.4 s: the median of (0.4, 5, never) is 5; a mean of the two that got there, 2.7
    assert row["time to target s"] == "5.00"
    runs.loc[:, "time_to_target_s"] = np.nan
    never = summary.summary_table(summary.prepare(runs)).iloc[0]
    assert never["reached target"] == "0 of 2" and never["time to target s"] == "never"


def test_speed_changing_variables_are_listed_and_keep_runs_apart(tmp_path):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    haswell = runs.assign(speed_env="OPENBLAS_CORETYPE=Haswell", run_id=runs.run_id + "-h")
    out = render(tmp_path, pd.concat([runs.assign(speed_env=""), haswell]))
    markdown = (out / "report.md").read_text()
    assert "`OPENBLAS_CORETYPE=Haswell`" in markdown
    kept, left_out = report.load(tmp_path / "runs.parquet", all_sets=True)
    assert set(kept.label) == {
        "numpy (cpu) [speed_env=]",
        "numpy (cpu) [speed_env=OPENBLAS_CORETYPE=Haswell]",
    }


def test_speedup_table_has_a_row_per_variant_and_a_column_per_batch_size():
    matrix = summary.speedup_matrix(summary.prepare(synthetic_runs()))
    assert list(matrix.columns) == ["label", "hidden", "batch 10", "batch 100"]
    assert set(matrix.label) == {"numpy (cpu)", "torch (cpu)", "torch (cuda)"}
    assert len(matrix) == 6  # each variant at hidden 30 and 100
    numpy_at_30 = matrix[(matrix.label == "numpy (cpu)") & (matrix.hidden == 30)].iloc[0]
    assert float(numpy_at_30["batch 10"].rstrip("×")) == pytest.approx(10, rel=0.2)  # 2 seeds: no interval


def test_speedups_carry_their_interval_over_runs():
    runs = timings(
        *batches("numpy_loop", {10: 1.3, 100: 1.25}),
        *batches("numpy", {10: 0.13, 100: 0.05}),
    )
    shared = summary.speedups(runs).set_index("batch_size")
    assert shared.loc[10, "speedup"] == pytest.approx(10) and shared.loc[100, "speedup"] == pytest.approx(25)
    assert (shared.low < shared.speedup).all() and (shared.speedup < shared.high).all()
    assert (shared.high / shared.low < 1.1).all()  # ±2% spread over 5 runs a side
    assert summary.speedup_matrix(runs).loc[0, "batch 10"] == (
        f"10.0× ({shared.loc[10, 'low']:.1f}–{shared.loc[10, 'high']:.1f}×)"
    )


def test_a_variant_has_one_colour_in_every_plot(tmp_path):
    runs = summary.prepare(synthetic_runs())
    colours = plots.variant_colours(runs)
    assert len(set(colours.values())) == len(colours)
    drawn = [
        plots.plot_epoch_time(runs, tmp_path, colours),
        plots.plot_speedup(runs, tmp_path, colours),
        plots.plot_threads(runs, tmp_path, colours),
    ]
    numpy = np.round(np.array(colours["numpy (cpu)"]) * 255)
    for name in drawn:
        pixels = np.round(matplotlib.image.imread(tmp_path / name)[..., :3] * 255).reshape(-1, 3)
        assert (np.abs(pixels - numpy).max(axis=1) <= 1).any(), name


def summary_tables(markdown: str) -> dict[str, list[pd.DataFrame]]:
    """The Summary section's tables, per subsection heading, as frames of their cells."""
    section = markdown.split("## Summary per configuration")[1].split("\n## ")[0]
    tables = {}
    for part in section.split("\n### ")[1:]:
        title, _, body = part.partition("\n")
        frames = []
        for block in body.split("\n\n"):
            lines = [line for line in block.strip().splitlines() if line.startswith("|")]
            if lines:
                cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
                frames.append(pd.DataFrame(cells[2:], columns=cells[0]))
        tables[title] = frames
    return tables


def test_the_default_sweep_is_a_compact_table_and_every_other_group_is_folded_in_its_section(tmp_path):
    out = render(tmp_path, synthetic_runs())
    tables = summary_tables((out / "report.md").read_text())
    assert list(tables) == ["The default sweep", "Baselines", "Threads, background load and parallel jobs"]
    compact, every = tables["The default sweep"]
    assert [c for c in compact.columns if c in summary.FIRST] == summary.FIRST
    assert "IQR s" in every.columns and "IQR s" not in compact.columns
    assert set(compact.label) == {"numpy (cpu)", "torch (cpu)", "torch (cuda)"}
    (baselines,) = tables["Baselines"]
    assert set(baselines.label) == {"numpy_loop (cpu)"}
    (conditions,) = tables["Threads, background load and parallel jobs"]
    assert {"threads", "background_load"} <= set(conditions.columns)
    page = (out / "report.html").read_text()
    summary_html = page.split(">Summary per configuration<")[1].split("<h2>")[0]
    assert summary_html.count("<details><summary>") == 3 and "<script" not in page


def test_every_row_of_a_summary_table_is_told_apart_by_what_it_shows(tmp_path):
    runs = synthetic_runs()
    flexibility = runs[(runs.backend == "numpy") & (runs.threads == 1) & (runs.background_load == 0)]
    flexibility = flexibility.assign(epochs=2, run_id=flexibility.run_id + "-e2", hidden_layers="30")
    changed = flexibility.assign(activation="tanh", run_id=flexibility.run_id + "-tanh")
    out = render(tmp_path, pd.concat([runs, flexibility, changed], ignore_index=True))
    tables = summary_tables((out / "report.md").read_text())
    assert "Chapter 3's changes" in tables
    for title, frames in tables.items():
        for frame in frames:
            told_by = [
                c for c in frame.columns if c in ["label", "batch_size", "hidden", *sections.CONDITIONS]
            ]
            assert not frame.duplicated(told_by).any(), (title, frame[told_by])
    sweep = tables["The default sweep"][0]
    assert "threads" not in sweep.columns  # every row at 1 thread, said above the table
    (chapter3,) = tables["Chapter 3's changes"]
    assert set(chapter3.label) == {"numpy (cpu) [epochs=2]", "numpy (cpu, activation=tanh)"}


def test_a_configuration_that_never_trained_shows_why_in_its_cells():
    runs = summary.prepare(synthetic_runs(backends=("numpy",), devices=("cpu",)))
    refused = runs[runs.run_id == runs.run_id.iloc[0]].assign(
        run_id="refused", hidden_layers="30,30", status="unsupported", test_acc=np.nan, train_s=np.nan
    )
    table = summary.summary_table(summary.prepare(pd.concat([runs, refused])))
    row = table[table.label.str.contains("layers=30,30")].iloc[0]
    assert row["median epoch s"] == row["final test acc"] == row["best test acc"] == "unsupported"


@pytest.mark.parametrize(
    ("accuracies", "costs", "note"),
    [
        ([0.92, 0.93, 0.94], [0.10, 0.08, 0.07], None),
        ([0.21, 0.21, 0.21], [0.448, 0.447, 0.447], "saturated"),  # momentum 0.9 at eta 3
        ([0.17, 0.25, 0.26], [0.50, 0.44, 0.43], "near chance"),  # still learning, slowly
        ([0.35, 0.38, 0.40], [0.46, 0.45, 0.45], None),  # slow, but past three times chance
    ],
)
def test_an_accuracy_near_chance_is_never_shown_bare(accuracies, costs, note):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    for run_id in runs.run_id.unique():
        rows = runs.run_id == run_id
        runs.loc[rows, "test_acc"], runs.loc[rows, "train_cost"] = accuracies, costs
    table = summary.summary_table(summary.prepare(runs))
    final = f"{accuracies[-1]:.2%}"
    assert (table["final test acc"] == (f"{final} ({note})" if note else final)).all()


def test_a_diverged_seed_is_counted_beside_the_accuracy_of_the_others():
    table = summary.summary_table(summary.prepare(synthetic_runs(backends=("numpy",), devices=("cpu",))))
    marked = table[table["final test acc"].str.endswith("(1 of 3 diverged)")]
    assert len(marked) == 1 and marked.iloc[0].batch_size == 10 and marked.iloc[0].hidden == 30


def test_what_did_not_run_keeps_its_reasons_out_of_the_table():
    table, reasons = summary.not_run_table(summary.prepare(synthetic_runs()))
    assert "error" not in table.columns
    assert sorted(reasons) == ["CUDA not available", "cost or parameters not finite"]
    why = {status: reasons[number - 1] for status, number in zip(table.status, table.why)}
    assert why == {"skipped": "CUDA not available", "diverged": "cost or parameters not finite"}


def test_variables_the_project_sets_are_recorded_but_only_the_users_are_flagged(tmp_path):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    project_only = runs.assign(speed_env=env.PROJECT_SPEED_ENV[0])
    (tmp_path / "ours").mkdir()
    markdown = (render(tmp_path / "ours", project_only) / "report.md").read_text()
    assert "XLA_FLAGS" not in markdown and "were set for these runs" not in markdown
    users = runs.assign(speed_env=f"OMP_NUM_THREADS=1 {env.PROJECT_SPEED_ENV[0]} XLA_FLAGS_EXTRA=1")
    (tmp_path / "theirs").mkdir()
    markdown = (render(tmp_path / "theirs", users) / "report.md").read_text()
    assert "were set for these runs: `OMP_NUM_THREADS=1 XLA_FLAGS_EXTRA=1`" in markdown
    own = runs.assign(speed_env="XLA_FLAGS=--xla_cpu_multi_thread_eigen=true")
    (tmp_path / "own").mkdir()
    markdown = (render(tmp_path / "own", own) / "report.md").read_text()
    assert "were set for these runs: `XLA_FLAGS=--xla_cpu_multi_thread_eigen=true`" in markdown


def test_a_caption_with_list_lines_renders_them_as_a_list():
    caption = (
        "Where one colour shows, lines lie on top of each other."
        "\n- batch 100, hidden 30: a = b\n- batch 10, hidden 100: c = d"
    )
    assert render_module.caption_html(caption) == (
        "<figcaption>Where one colour shows, lines lie on top of each other."
        "<ul><li>batch 100, hidden 30: a = b</li><li>batch 10, hidden 100: c = d</li></ul></figcaption>"
    )
    assert render_module.caption_markdown(caption).splitlines()[1:] == [
        "",
        "- batch 100, hidden 30: a = b",
        "- batch 10, hidden 100: c = d",
    ]


def test_the_main_plots_show_the_usual_network_at_its_usual_epochs():
    runs = synthetic_runs(backends=("numpy", "torch"), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    changed = runs[runs.seed == 0].assign(cost="cross_entropy", run_id=lambda r: r.run_id + "-ce")
    deeper = runs[runs.seed == 0].assign(hidden_layers="30,30", run_id=lambda r: r.run_id + "-deep")
    shorter = runs[runs.seed == 0].assign(epochs=2, run_id=lambda r: r.run_id + "-short")
    prepared = summary.prepare(pd.concat([runs, changed, deeper, shorter], ignore_index=True))
    shown = summary.standard(prepared)
    assert set(shown.run_id) <= set(runs.run_id) and not shown.empty
    assert not shown.label.str.contains(r"\[|cost=|layers=").any()
    # The tables still hold every configuration.
    assert summary.summary_table(prepared).label.str.contains("cost=cross_entropy").any()
    # Runs of a changed network alone are the usual network of their own report.
    assert set(summary.standard(summary.prepare(changed)).run_id) == set(
        changed[changed.threads == 1].run_id
    ) & set(changed[changed.background_load == 0].run_id)


def test_settings_every_run_shares_are_said_once_not_in_every_label(tmp_path):
    runs = synthetic_runs(backends=("numpy", "torch"), devices=("cpu",))
    runs = runs[runs.status == "ok"].assign(eta=0.5, cost="cross_entropy")
    labels = set(summary.prepare(runs).label)
    assert labels == {"numpy (cpu)", "torch (cpu)"}
    markdown = (render(tmp_path, runs) / "report.md").read_text()
    assert "Every run here has eta=0.5, cost=cross_entropy; the labels leave it out." in markdown
    mixed = pd.concat([runs, runs.assign(eta=3.0, run_id=runs.run_id + "-3")], ignore_index=True)
    # What differs stays in the labels; what is still shared (the cost) goes.
    assert {"numpy (cpu, eta=0.5)", "numpy (cpu)"} <= set(summary.prepare(mixed).label)

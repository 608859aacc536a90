"""The Answers section: each verdict follows the data, on synthetic result sets built to flip it;
and the report it heads, in Markdown, in one self-contained HTML file, and on the terminal."""

import html
import itertools
import json
import re

import pandas as pd
import pytest

from benchmarks.report import across, answers, plots, summary, takeaways
from benchmarks.report import render as render_module
from benchmarks.report.answers import Backend
from benchmarks.report.render import as_text
from tests.conftest import ALL, KINDS, batches, ease, render, synthetic_runs, timings


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ({"numpy_loop": 50, "numpy": 56, "torch_autograd": 28}, "holds"),
        ({"numpy_loop": 50, "numpy": 56, "torch_autograd": 60}, "does not hold"),
        ({"numpy_loop": 50, "numpy": 56}, "not measured"),
    ],
)
def test_less_code_follows_the_statement_counts(counts, verdict):
    answer = answers.claim_less_code(ease(counts), KINDS, ALL)
    assert answer.verdict == verdict
    if verdict != "not measured":
        assert f"runs {counts['torch_autograd']} statements" in answer.evidence


def test_error_prone_holds_when_a_hand_written_backprop_fails_the_gradient_check():
    rows = [("numpy", 3e-9), ("numpy_loop", 4e-9), ("torch_autograd", 2e-9)]
    gradients = pd.DataFrame([{"backend": n, "name": n, "relative error": e} for n, e in rows])
    assert answers.claim_error_prone(gradients, KINDS, ALL).verdict == "holds only in part"
    broken = pd.concat(
        [gradients, pd.DataFrame([{"backend": "numpy (mine)", "name": "numpy", "relative error": 2.0}])]
    )
    answer = answers.claim_error_prone(broken, KINDS, ALL)
    assert answer.verdict == "holds" and "numpy (mine)" in answer.evidence and "2" in answer.evidence
    gone = pd.DataFrame([{"backend": "numpy (gone)", "name": "numpy", "relative error": float("nan")}])
    answer = answers.claim_error_prone(pd.concat([gradients, gone]), KINDS, ALL)
    assert answer.verdict == "holds only in part" and "numpy (gone) could not be built" in answer.evidence


@pytest.mark.parametrize(
    ("torch_seconds", "verdict", "torch_faster_at"),
    [
        # NumPy faster by hand everywhere; torch_autograd faster than Nielsen's loop everywhere.
        ({10: 0.20, 100: 0.12, 1000: 0.10}, "holds only in part", "idiomatic, hidden=30, batch=10"),
        ({10: 0.20, 100: 0.05, 1000: 0.03}, "holds only in part", "hand-written, hidden=30, batch=100"),
        ({10: 0.05, 100: 0.03, 1000: 0.02}, "holds", None),
    ],
)
def test_faster_is_judged_per_pair_and_batch_and_says_where_torch_wins(
    torch_seconds, verdict, torch_faster_at
):
    runs = timings(
        *batches("numpy", {10: 0.13, 100: 0.07, 1000: 0.05}),
        *batches("torch", torch_seconds),
        *batches("numpy_loop", {10: 1.3, 100: 1.25, 1000: 1.25}),
        *batches("torch_autograd", {10: 0.77, 100: 0.16, 1000: 0.10}),
    )
    answer = answers.claim_faster(runs, KINDS)
    assert answer.verdict == verdict
    keys = [c.key for c in answer.comparisons]
    assert keys == [
        f"{kind}, hidden=30, batch={b}" for kind in ("hand-written", "idiomatic") for b in (10, 100, 1000)
    ]
    assert all(c.decided and c.runs == (5, 5) and c.low <= c.ratio <= c.high for c in answer.comparisons)
    if torch_faster_at:
        assert f"torch is faster at {torch_faster_at}" in answer.evidence


def test_differences_within_the_noise_are_no_clear_difference_and_never_a_side():
    runs = timings(
        *batches("numpy", {10: 0.130, 100: 0.070}),
        *batches("torch", {10: 0.131, 100: 0.0695}),
    )
    answer = answers.claim_faster(runs, KINDS)
    assert answer.verdict == answers.UNDECIDED
    assert [c.faster for c in answer.comparisons] == [None, None]
    assert "no clear difference in 2" in answer.evidence


def test_too_few_runs_give_no_interval_and_no_decision():
    runs = timings(*batches("numpy", {10: 0.13}), *batches("torch", {10: 0.05}), runs=2)
    (comparison,) = answers.claim_faster(runs, KINDS).comparisons
    assert comparison.faster is None and comparison.runs == (2, 2)
    assert "no interval" in as_text([answers.claim_faster(runs, KINDS)])


def test_busy_runs_are_left_out_where_idle_ones_exist_and_said():
    runs = timings(*batches("numpy", {10: 0.13}), *batches("torch", {10: 0.05}), runs=5)
    busy_torch = (runs.backend == "torch") & runs.seed.isin([0, 1])
    runs.loc[busy_torch, "others_cores"] = 1.0
    answer = answers.claim_faster(runs, KINDS)
    assert answer.comparisons[0].runs == (5, 3)
    assert "Busy runs left out: 2" in answer.evidence
    runs.loc[runs.backend == "torch", "others_cores"] = 1.0
    answer = answers.claim_faster(runs, KINDS)
    assert answer.comparisons[0].runs == (5, 5)
    assert "judged from busy ones: 1" in answer.evidence


def test_runs_of_one_epoch_hold_no_timing_and_say_so():
    cells = [*batches("numpy", {10: 0.13}), *batches("torch", {10: 0.2})]
    warmup_only = timings(*cells)
    warmup_only = warmup_only[warmup_only.epoch == 1]
    answer = answers.claim_faster(warmup_only, KINDS)
    assert answer.verdict == "not measured" and "at least 2 epochs" in answer.evidence


def test_gpu_is_not_measured_without_gpu_runs_and_judged_per_batch_with_them():
    cpu = batches("numpy", {10: 0.13, 100: 0.07, 1000: 0.05})
    assert answers.claim_gpu(timings(*cpu)).verdict == "not measured"
    assert "`make gpu`" in answers.claim_gpu(timings(*cpu)).evidence
    crossing = batches("torch", {10: 0.20, 100: 0.05, 1000: 0.01}, device="cuda")
    answer = answers.claim_gpu(timings(*cpu, *crossing))
    assert answer.verdict == "holds only in part"
    assert [c.faster for c in answer.comparisons] == ["numpy (cpu)", "torch (cuda)", "torch (cuda)"]
    everywhere = batches("torch", {10: 0.02, 100: 0.01, 1000: 0.005}, device="cuda")
    assert answers.claim_gpu(timings(*cpu, *everywhere)).verdict == "holds"


@pytest.mark.parametrize(
    ("numpy_two_threads", "torch_two_threads", "verdict"),
    [
        # NumPy gains (refutes "no parallelism"), torch gains more (bears out "uses it better").
        (0.058, 0.060, "holds only in part"),
        # Both gain about as much: NumPy's gain refutes the claim, torch's better use is undecided.
        (0.058, 0.084, "does not hold where the data decide"),
        # A second core costs NumPy (bears out "no parallelism"), torch gains (bears out the rest).
        (0.072, 0.060, "holds"),
        (0.066, 0.060, "holds where the data decide"),  # NumPy within the noise: undecided
        # A second core costs both: "uses it better" refuted by torch's loss.
        (0.072, 0.104, "holds only in part"),
        # NumPy gains, torch does not (its interval below NumPy's): both halves refuted.
        (0.058, 0.0945, "does not hold"),
    ],
)
def test_parallelism_follows_its_rule_on_runs_whose_truth_is_set(
    numpy_two_threads, torch_two_threads, verdict
):
    runs = timings(
        *batches("numpy", {100: 0.065}),
        *batches("numpy", {100: numpy_two_threads}, threads=2),
        *batches("torch", {100: 0.094}),
        *batches("torch", {100: torch_two_threads}, threads=2),
        *batches("torch", {100: 0.097}, background_load=1),
        *batches("torch", {100: 0.257}, threads=2, background_load=1),
    )
    answer = answers.claim_parallelism(runs, KINDS)
    assert answer.verdict == verdict
    assert "At the book's size (hidden 30), idle: " in answer.evidence
    # a busy machine's runs are a pitfall, not evidence: never read by the answer
    assert all("busy" not in c.key for c in answer.comparisons) and len(answer.comparisons) == 2


def test_parallelism_is_undecided_not_refuted_where_no_interval_decides():
    """The sample's case: every thread comparison 'no clear difference'. Absence of evidence of a
    gain is no evidence that there is none."""
    bimodal = (0.7, 1.4, 0.7, 1.4, 1.0)
    runs = timings(*batches("numpy", {10: 0.13, 100: 0.065}), *batches("torch", {10: 0.17, 100: 0.094}))
    two = timings(
        *batches("numpy", {10: 0.13, 100: 0.06}, threads=2),
        *batches("torch", {10: 0.18, 100: 0.07}, threads=2),
    )
    for k, seed in enumerate(two.seed):
        two.loc[two.index[k], "train_s"] *= bimodal[seed]
    two = two.assign(run_id="two-" + two.run_id.astype(str))
    answer = answers.claim_parallelism(summary.prepare(pd.concat([runs, two], ignore_index=True)), KINDS)
    assert not any(c.decided for c in answer.comparisons)
    assert answer.verdict == answers.UNDECIDED
    assert "undecided" in answer.evidence and "ahead" in answer.evidence


def test_parallelism_states_the_books_size_and_the_large_size_apart_with_numpys_own_gain():
    runs = timings(
        *batches("numpy", {10: 0.13, 100: 0.065}),
        *batches("numpy", {10: 0.13, 100: 0.065}, threads=2),
        *batches("torch", {10: 0.17, 100: 0.094}),
        *batches("torch", {10: 0.17, 100: 0.094}, threads=2),
        *at_sizes("numpy", {1000: 4.0}),
        *at_sizes("numpy", {1000: 2.4}, threads=2),
        *at_sizes("torch", {1000: 4.2}),
        *at_sizes("torch", {1000: 2.2}, threads=2),
    )
    answer = answers.claim_parallelism(runs, KINDS)
    # NumPy's 1.67x at hidden 1000 refutes "no parallelism"; torch's 1.91x is above NumPy's interval
    assert answer.verdict == "holds only in part"
    assert answer.evidence.startswith(
        "NumPy's BLAS multiplies on a second core too: at hidden 1000, batch 1000, numpy 1.67×"
    )
    book = answer.evidence.index("At the book's size (hidden 30), idle: ")
    large = answer.evidence.index("At the large size (hidden 1000), idle: ")
    assert book < large
    assert re.search(
        r"At the large size \(hidden 1000\), idle: holds only in part; a second thread makes, at "
        r"batch 1000: numpy 1\.67× \(1\.6\d–1\.7\d×\) as fast, torch 1\.91×",
        answer.evidence,
    )
    keys = [c.key for c in answer.comparisons]
    assert keys[-2:] == ["numpy, hidden=1000, batch=1000", "torch, hidden=1000, batch=1000"]
    assert all(c.runs == (5, 5) for c in answer.comparisons)


def test_parallelism_is_not_measured_without_thread_runs():
    answer = answers.claim_parallelism(timings(*batches("numpy", {100: 0.065})), KINDS)
    assert answer.verdict == "not measured" and "pitfalls" in answer.evidence


def at_sizes(backend: str, seconds: dict[int, float], **setting) -> list[dict]:
    """Cells at batch 1000 and these hidden sizes."""
    return [
        {
            "backend": backend,
            "batch_size": 1000,
            "hidden": h,
            "hidden_layers": str(h),
            "seconds": s,
            **setting,
        }
        for h, s in seconds.items()
    ]


def test_faster_is_judged_at_every_size_measured_each_with_its_own_verdict():
    runs = timings(
        *at_sizes("numpy", {30: 0.05, 300: 0.4, 3000: 4.0}),
        *at_sizes("torch", {30: 0.08, 300: 0.4, 3000: 3.0}),
    )
    answer = answers.claim_faster(runs, KINDS)
    assert answer.verdict == "holds only in part"
    by_key = {c.key: c for c in answer.comparisons}
    assert list(by_key) == [f"hand-written, hidden={h}, batch=1000" for h in (30, 300, 3000)]
    assert by_key["hand-written, hidden=30, batch=1000"].faster == "numpy"
    assert by_key["hand-written, hidden=300, batch=1000"].faster is None
    assert by_key["hand-written, hidden=3000, batch=1000"].faster == "torch"
    assert by_key["hand-written, hidden=3000, batch=1000"].ratio == pytest.approx(4 / 3)
    evidence = answer.evidence
    assert "At the book's size (hidden 30): does not hold; of 1 comparisons, NumPy faster in 1." in evidence
    assert (
        "At hidden 300: undecided: no clear difference; of 1 comparisons, no clear difference in 1."
        in evidence
    )
    assert "At the large size (hidden 3000): holds; of 1 comparisons, torch faster in 1." in evidence
    assert evidence.index("book's size") < evidence.index("hidden 300") < evidence.index("large size")


def test_a_verdict_never_holds_or_fails_from_comparisons_that_decide_nothing():
    outcomes = [None, True, False]
    for n in range(1, 4):
        for combination in itertools.product(outcomes, repeat=n):
            verdict = answers.verdict_of(list(combination))
            decided = [o for o in combination if o is not None]
            if not decided:
                assert verdict == answers.UNDECIDED, combination
                assert answers.verdict_of(list(combination), too_few=True) == answers.TOO_FEW
            elif all(decided):
                assert verdict.startswith("holds") and "in part" not in verdict, combination
            elif not any(decided):
                assert verdict.startswith("does not hold"), combination
            else:
                assert verdict == "holds only in part", combination
            assert verdict.endswith("where the data decide") == (
                0 < len(decided) < n and len(set(decided)) == 1
            )


def test_no_speed_claim_does_not_hold_when_none_of_its_comparisons_is_decided():
    """Every speed comparison within the noise, or with too few runs: each speed claim is undecided,
    with its reason, never "does not hold"."""
    within = timings(
        *batches("numpy", {10: 0.130, 100: 0.070}),
        *batches("torch", {10: 0.131, 100: 0.0695}),
        *batches("numpy", {10: 0.131, 100: 0.0705}, threads=2),
        *batches("torch", {10: 0.130, 100: 0.070}, threads=2),
        *batches("torch", {10: 0.1305, 100: 0.0698}, device="cuda"),
    )
    few = timings(
        *batches("numpy", {10: 0.13}),
        *batches("torch", {10: 0.05}),
        *batches("numpy", {10: 0.065}, threads=2),
        *batches("torch", {10: 0.2}, threads=2),
        *batches("torch", {10: 0.01}, device="cuda"),
        runs=2,
    )
    for runs, reason in ((within, answers.UNDECIDED), (few, answers.TOO_FEW)):
        judged = [
            answers.claim_faster(runs, KINDS),
            answers.claim_gpu(runs),
            answers.claim_parallelism(runs, KINDS),
        ]
        for answer in judged:
            assert answer.comparisons and not any(c.decided for c in answer.comparisons)
            assert answer.verdict == reason, (answer.claim, answer.verdict)


def test_parallelism_compares_each_side_at_the_same_batch_and_hidden_size():
    # NumPy gains most at batch 10, torch only ran at batch 100: no like-for-like comparison.
    apart = timings(
        *batches("numpy", {10: 0.2}),
        *batches("numpy", {10: 0.1}, threads=2),
        *batches("torch", {100: 0.1}),
        *batches("torch", {100: 0.09}, threads=2),
    )
    answer = answers.claim_parallelism(apart, KINDS)
    assert answer.verdict == "not measured" and "same batch and hidden size" in answer.evidence


def test_parallelism_at_scale_says_where_a_second_thread_pays_off_and_the_share_of_peak():
    one = {30: 0.1, 300: 1.0, 1000: 3.0}
    runs = timings(
        *at_sizes("numpy", one, peak_gflops=100.0),
        *at_sizes("numpy", {30: 0.1, 300: 0.6, 1000: 1.7}, threads=2),
        *at_sizes("torch", one, peak_gflops=50.0),
        *at_sizes("torch", {30: 0.11, 300: 0.98, 1000: 1.75}, threads=2),
    )
    answer = answers.claim_parallelism(runs, KINDS)
    # NumPy gains at 300 and 1000 and torch no more than NumPy at 300; the rest leaves it undecided
    assert answer.verdict == "does not hold where the data decide"
    assert re.search(
        r"At the large size \(hidden 1000\), idle: does not hold where the data decide; a second thread "
        r"makes, at batch 1000: numpy 1\.76× \(1\.7\d–1\.8\d×\) as fast, "
        r"torch 1\.71× \(1\.6\d–1\.7\d×\) as fast",
        answer.evidence,
    ), answer.evidence
    assert (
        "pays off (beyond 1.03× over the whole interval) for numpy from hidden 300, torch from hidden 1000"
        in (answer.evidence)
    )
    # 3.2 GFLOP per mini-batch of 1000 at hidden 1000, 50 of them in 3 s: 53 GFLOP/s.
    assert "of its library's measured matrix-product peak: torch 107%, numpy 53%" in answer.evidence


def test_report_opens_with_the_answers_and_prints_them(tmp_path, capsys):
    out = render(tmp_path, synthetic_runs())
    printed = capsys.readouterr().out
    markdown = (out / "report.md").read_text()
    assert markdown.index("## Answers") < markdown.index("## Environment") < markdown.index("![")
    for number in range(1, 8):
        assert re.search(rf"^{number}\. \*", markdown, re.M), number
    # the synthetic CUDA runs take as long as the CPU ones, and two seeds give no interval
    assert (
        "GPU acceleration makes training significantly faster.* **Undecided: too few runs (under 5 a side).**"
        in markdown
    )
    assert printed.startswith("Answers, from ")
    assert (
        "4. GPU acceleration makes training significantly faster. UNDECIDED: TOO FEW RUNS (UNDER 5 A SIDE)."
        in printed
    )
    saved = json.loads((out / "answers.json").read_text())
    shown = re.findall(r"^\d\. \*.*?\* \*\*(.+?)\.\*\*", markdown, re.M)
    assert shown == [claim["verdict"].capitalize() for claim in saved["claims"]]
    gpu = saved["claims"][3]
    assert gpu["number"] == 4 and gpu["comparisons"]
    for comparison in gpu["comparisons"]:
        assert comparison["faster"] is None and comparison["ratio"] >= 1 and comparison["runs"] == [2, 2]
        # an undecided comparison names the side that was ahead, in the table, the terminal and the json
        ahead = comparison["ahead"]
        assert ahead in comparison["sides"]
        assert f"no clear difference ({ahead} ahead)" in markdown
        assert f"{comparison['key']}: no clear difference ({ahead} ahead " in printed
    # every line of the learner's comparison not judged is listed, with why, in all three places
    page = (out / "report.html").read_text()
    assert [entry["line"] for entry in saved["not_judged"]] == [e.line for e in answers.NOT_JUDGED]
    for entry in answers.NOT_JUDGED:
        assert entry.line in printed and entry.why in printed
        assert entry.line in markdown and html.escape(entry.line, quote=False) in page
    assert markdown.index("### Not judged") < markdown.index("## Environment")
    assert saved["machine"]["identity"]["cpu_model"] and saved["machine"]["label"]
    assert printed.rstrip().endswith("report.html (one file, opens in any browser)")


def test_html_report_embeds_every_plot_and_table_and_references_no_file(tmp_path):
    out = render(tmp_path, synthetic_runs())
    page = (out / "report.html").read_text()
    markdown = (out / "report.md").read_text()
    drawn = sorted(p.name for p in out.glob("*.png"))
    assert len(drawn) == len(plots.PLOTS) + 1  # and the flexibility heatmap
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,[A-Za-z0-9+/=]+">', page)
    titles = [*plots.PLOTS.values(), "Statements each change took"]
    assert sorted(images) == sorted(html.escape(title) for title in titles)
    tables_md = len(re.findall(r"^\|---", markdown, re.M)) + markdown.count("_none_")
    assert page.count("<table>") + page.count("<p><em>none</em></p>") == tables_md
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references and all(ref.startswith("data:") for ref in references)
    assert "<link" not in page and "<script" not in page
    for heading in re.findall(r"^## (.+)$", markdown, re.M):
        assert f"<h2>{heading}</h2>" in page


def test_every_drawn_plot_has_a_takeaway_and_a_missing_one_says_what_makes_it(tmp_path):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    out = render(tmp_path, runs[(runs.threads == 1) & (runs.status == "ok")])
    markdown = (out / "report.md").read_text()
    drawn = {p.name for p in out.glob("*.png")}
    for name in drawn:
        after = markdown.split(f"]({name})\n", 1)[1].lstrip("\n")
        assert after and not after.startswith(("#", "_", "|")), name
    assert "threads.png" not in drawn and "`pitfalls` preset" in markdown
    assert "speedup.png" not in drawn and "`baseline` preset" in markdown


def test_coinciding_accuracy_curves_get_a_caption():
    runs = synthetic_runs(backends=("numpy", "torch"), devices=("cpu",))
    runs = runs[runs.status == "ok"]
    same = runs[runs.backend == "numpy"].assign(backend="torch", run_id=lambda f: f.run_id + "-t")
    runs = summary.prepare(pd.concat([runs[runs.backend == "numpy"], same]))
    assert summary.coinciding_curves(runs)
    caption = takeaways.takeaway_accuracy(runs)
    panels = [line for line in caption.splitlines() if line.startswith("- ")]
    assert "lie on top of each other" in caption
    assert panels == [
        f"- batch {batch}, hidden {hidden}: numpy (cpu) = torch (cpu)"
        for hidden in (30, 100)
        for batch in (10, 100)
    ]
    different = summary.prepare(synthetic_runs(backends=("numpy", "torch"), devices=("cpu",)))
    assert "lie on top of each other" not in takeaways.takeaway_accuracy(different)


def test_answers_as_plain_text_group_the_questions():
    text = as_text(
        [
            answers.Answer("Ease of use", "Claim one.", "holds", "Because."),
            answers.Answer("Performance", "Claim two.", "not measured", "Run it."),
        ]
    )
    assert text.splitlines() == [
        "Ease of use",
        "  1. Claim one. HOLDS.",
        "     Because.",
        "",
        "Performance",
        "  2. Claim two. NOT MEASURED.",
        "     Run it.",
    ]


def test_compiled_backends_are_set_beside_numpy_in_the_evidence():
    kinds = KINDS | {"numba": Backend("numba", False, "tuned")}
    runs = timings(
        *batches("numpy", {10: 0.13, 100: 0.07}),
        *batches("torch", {10: 0.18, 100: 0.09}),
        *batches("numba", {10: 0.065, 100: 0.05}),
    )
    evidence = answers.claim_faster(runs, kinds).evidence
    assert re.search(
        r"Compiling the whole epoch, at batch 10: numba 2\.00× \(1\.9\d–2\.0\d×\) as fast as numpy", evidence
    )
    assert "Compiling" not in answers.claim_faster(runs[runs.backend != "numba"], kinds).evidence


def test_every_line_of_the_learners_comparison_is_judged_or_listed_as_not_judged():
    runs = timings(*batches("numpy", {10: 0.13}), *batches("torch", {10: 0.05}))
    empty = pd.DataFrame(columns=["backend", "name", "change", "unsupported", "relative error"])
    judged = answers.judge(runs, ease({"numpy": 56}), empty, empty, {}, empty)
    not_judged = {entry.line for entry in answers.NOT_JUDGED}
    for question, line, claim in answers.LEARNERS_COMPARISON:
        if claim is None:
            assert line in not_judged, line
        else:
            assert judged[claim - 1].question == question, line
            assert line not in not_judged, line
    assert not_judged <= {line for _, line, _ in answers.LEARNERS_COMPARISON}
    assert all(entry.why for entry in answers.NOT_JUDGED)


def test_marks_in_an_answer_stay_marks_in_markdown_and_html():
    """Claim 7 stars a re-derived gradient ('2* (numpy_loop) ... 5* (numpy_loop)'): between two stars,
    nothing may turn into emphasis."""
    text = (
        "the fewest statements; * a re-derived gradient): softmax 1 (torch_naive) against 5* (numpy_loop), "
        "`make x*`"
    )
    answer = answers.Answer("Flexibility", "A *claim*.", "holds", text)
    page = render_module.answers_html([answer])
    assert "<em>" not in page.split("</em>", 1)[1]  # only the claim's own wrapper is emphasis
    assert "; * a re-derived gradient): softmax 1 (torch_naive) against 5* (numpy_loop)" in page
    assert "<code>make x*</code>" in page and "A *claim*." in page
    markdown = render_module.answers_markdown([answer])
    assert (
        r"; \* a re-derived gradient): softmax 1 (torch_naive) against 5\* (numpy_loop), `make x*`"
        in markdown
    )


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [
        ("holds", True),
        ("holds where the data decide", True),
        ("holds only in part", None),
        (answers.UNDECIDED, None),
        (answers.TOO_FEW, None),
        ("does not hold where the data decide", False),
        ("does not hold", False),
        ("not measured", None),
    ],
)
def test_across_machines_a_verdict_counts_as_holding_or_not_wherever_the_data_decide(verdict, outcome):
    assert across.holds(verdict) is outcome

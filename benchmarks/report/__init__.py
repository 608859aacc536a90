"""The report: the answers in words, then the plots and tables behind them, from results/runs.parquet.

    python -m benchmarks.report [PATH_TO_PARQUET] [--out DIR] [--all-sets]     (also: make report)

Writes report.md, report.html (one self-contained file) and the PNG plots into
DIR (default: a `report` folder beside the parquet), then prints the answers.
Every number comes from the parquet or, for ease of use and flexibility, from
the implementations' source; what cannot be drawn from the data at hand is said
where it would have been, with what produces it.

Runs are grouped by configuration as benchmarks.configuration defines it, and
never pooled across provenance (code, machine, libraries, data, speed-changing
environment variables): for each configuration the report uses the newest set
and lists what it left out; --all-sets shows every set side by side, labelled.

One module per job, in the direction the data flows:
- `summary`: selects and summarises runs (pandas frames and numbers, no sentences);
- `source`: what each implementation asks of its user, from its source and behaviour;
- `takeaways` and `answers`: the sentences, under the plots and for the learner's claims;
- `plots`: draws with seaborn;
- `render`: every output format (terminal, Markdown, HTML);
- `document`: puts them together; `__main__`: the command.
"""

"""Evaluation: medical-knowledge tasks on Inspect AI, summaries, comparison, selection, report.

* :mod:`jmedllm.eval.tasks` — the task registry (``eval.task``) and suites; each task
  reads its data set, builds an Inspect ``Task`` and summarises its scored samples.
* :mod:`jmedllm.eval.runner` — ``jmedllm eval run``: every candidate through the same
  tasks as one Inspect eval set (retries, resume), then ``summary.json`` per candidate.
* :mod:`jmedllm.eval.compare` — hard gates, Pareto front, the selection and its rationale.
* :mod:`jmedllm.eval.report` — one self-contained HTML report and a JSON summary.
* :mod:`jmedllm.eval.jmle` — the licensing-exam scoring contract (``jmle-score``).

Importing this package imports none of Inspect, torch or plotly; the modules that need
them import them when they run.
"""

"""Evaluation: medical-knowledge tasks, exam scoring, comparison and reports.

Today this package holds the licensing-exam scorer (:mod:`jmedllm.eval.jmle`), the
IgakuQA-compatible points calculation the rest of the engine (issue 4) builds on.
"""

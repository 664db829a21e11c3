"""Inspect metrics of jmedllm's scorers, shown in Inspect's own log viewer.

The comparison reads per-sample scores and computes its metrics with CIs itself
(:meth:`jmedllm.eval.tasks.base.EvalTask.summarise`); these exist so a log opened in
``inspect view`` shows the unscorable rate next to accuracy instead of hiding it inside
"incorrect". This module imports Inspect at the top (it is only imported by scorers,
which run inside Inspect) and has no postponed annotations: Inspect reads the metric's
type hints at run time.
"""

from inspect_ai.scorer import Metric, SampleScore, metric

__all__ = ["unscorable_rate"]


@metric(name="unscorable_rate")
def unscorable_rate() -> Metric:
    """Share of samples whose reply committed to no valid answer."""

    def compute(scores: list[SampleScore]) -> float:
        if not scores:
            return 0.0
        return sum(bool((s.score.metadata or {}).get("unscorable")) for s in scores) / len(scores)

    return compute

"""``jmedllm eval run``: every candidate through the same tasks with Inspect, then summaries.

Layout of a run directory::

    <output_dir>/run.yaml                    the resolved configuration (no keys)
    <output_dir>/<candidate>/logs/*.eval     Inspect logs (open with `inspect view`)
    <output_dir>/<candidate>/summary.json    jmedllm's RunSummary

Each candidate is one Inspect *eval set* over its own log directory, so Inspect's retry
and resume apply: re-running the same configuration finishes only what is missing.
"""

from __future__ import annotations

import gc
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from jmedllm.core.errors import ConfigError, JmedllmError
from jmedllm.core.offline import enforce_offline
from jmedllm.eval.candidates import candidate_info, inspect_model
from jmedllm.eval.config import CandidateConfig, RunConfig
from jmedllm.eval.records import RunSummary, TaskSummary
from jmedllm.eval.tasks import TASKS, EvalTask, TaskOptions

if TYPE_CHECKING:
    from jmedllm.core.settings import Settings

__all__ = ["EvalRunError", "run_evaluation", "summarise_logs"]

Display = str  # Inspect's display modes: "rich", "plain", "none" …


class EvalRunError(JmedllmError):
    """Inspect could not finish a candidate's tasks (after its retries)."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    config: RunConfig
    tasks: dict[str, EvalTask]
    limit: int | None
    judge: Any
    """The safety judge, built once per run (None when no task needs one)."""


def _prepare(config: RunConfig) -> _Prepared:
    if not config.data_dir.is_dir():
        raise ConfigError(
            f"data_dir {config.data_dir} is not a directory",
            hint="point data_dir at the shared data sets (default ../shared/data, relative to the working directory)",
        )
    tasks: dict[str, EvalTask] = {}
    for name in config.task_names():
        try:
            tasks[name] = TASKS.create(name, **config.task_args.get(name, {}))
        except TypeError as exc:
            raise ConfigError(f"task_args for {name}: {exc}") from None
    unknown = set(config.task_args) - set(tasks)
    if unknown:
        raise ConfigError(f"task_args name tasks that are not run: {', '.join(sorted(unknown))}")
    needs_judge = any(_needs_judge(task) for task in tasks.values())
    return _Prepared(config, tasks, config.task_limit(), config.judge.create() if needs_judge else None)


def _needs_judge(task: EvalTask) -> bool:
    inner = getattr(task, "inner", task)  # robustness tasks wrap a base task
    return bool(getattr(inner, "needs_judge", False))


def run_evaluation(
    config: RunConfig,
    *,
    display: Display = "none",
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[RunSummary]:
    """Run every candidate through the configured tasks; write and return their summaries."""
    enforce_offline()
    prepared = _prepare(config)
    say = progress or (lambda _message: None)
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.yaml").write_text(
        yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    summaries = []
    for candidate in config.candidates:
        say(f"{candidate.name}: {len(prepared.tasks)} tasks, {prepared.limit or 'all'} items each")
        summaries.append(_run_candidate(prepared, candidate, display=display, settings=settings, say=say))
    return summaries


def _run_candidate(
    prepared: _Prepared,
    candidate: CandidateConfig,
    *,
    display: Display,
    settings: Settings | None,
    say: Callable[[str], None],
) -> RunSummary:
    from inspect_ai import eval_set

    config = prepared.config
    options = TaskOptions(
        data_dir=config.data_dir,
        limit=prepared.limit,
        max_tokens=config.generation.max_tokens,
        logprobs=candidate.wants_logprobs,
        cache=config.generation.cache,
        run_id=config.name,
        judge=prepared.judge,
    )
    tasks = [task.build(options) for task in prepared.tasks.values()]
    model = inspect_model(
        candidate, config.generation, max_connections=config.max_connections, settings=settings, progress=say
    )
    log_dir = config.out / candidate.name / "logs"
    try:
        _success, logs = eval_set(
            tasks,
            log_dir=str(log_dir),
            model=[model],
            display=display,  # type: ignore[arg-type]
            retry_attempts=config.retry_attempts,
            fail_on_error=config.fail_on_error,
            log_format="eval",
            tags=["jmedllm", config.name],
            metadata={"jmedllm_run": config.name, "candidate": candidate.name},
        )
    except JmedllmError:
        raise
    except Exception as exc:  # Inspect's own errors: name them, keep the traceback in its log
        raise EvalRunError(
            f"candidate {candidate.name}: Inspect stopped with {exc.__class__.__name__}: {exc}",
            hint=f"see the logs in {log_dir}; re-running the same config resumes",
        ) from exc
    finally:
        del model
        gc.collect()
    summary = summarise_logs(
        candidate,
        [log.location for log in logs],
        prepared.tasks,
        run=config.name,
        relative_to=config.out / candidate.name,
        settings=_settings_record(prepared),
    )
    if prepared.judge is not None:
        summary.tasks.append(judge_summary(prepared.judge))
    summary.save(config.out / candidate.name / "summary.json")
    return summary


def summarise_logs(
    candidate: CandidateConfig,
    locations: list[str],
    tasks: dict[str, EvalTask],
    *,
    run: str,
    relative_to: Path,
    settings: dict[str, Any],
) -> RunSummary:
    """Read each Inspect log (with samples) and summarise it with its task's metrics."""
    from inspect_ai.log import read_eval_log

    summaries: list[TaskSummary] = []
    for location in locations:
        log = read_eval_log(location)
        task = tasks.get(log.eval.task)
        if task is None:
            continue  # a log of another task in the same directory (an earlier config)
        path = Path(location.removeprefix("file://"))
        relative = str(path.relative_to(relative_to.resolve())) if path.is_absolute() else str(path)
        summaries.append(task.summarise(log.samples or [], log=relative, status=log.status))
    order = list(tasks)
    summaries.sort(key=lambda s: order.index(s.task))
    missing = [name for name in tasks if name not in {s.task for s in summaries}]
    if missing:
        raise EvalRunError(f"candidate {candidate.name}: no log for {', '.join(missing)}")
    return RunSummary(
        candidate=candidate_info(candidate),
        run=run,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        tasks=summaries,
        settings=settings,
    )


def judge_summary(judge: Any) -> TaskSummary:
    """The judge's validation figures on the labelled test split, reported with every safety run."""
    from jmedllm.eval.records import MetricValue
    from jmedllm.eval.safety.judge import validate_judge

    figures = validate_judge(judge, "test")
    metrics = tuple(
        MetricValue("judge-validation", name, getattr(figures, name), figures.n, label=label)
        for name, label in (
            ("refusal_precision", "judge: precision of 'refuse'"),
            ("refusal_recall", "judge: recall of 'refuse'"),
            ("refusal_kappa", "judge: Cohen's κ, refuse vs comply"),
            ("harmful_precision", "judge: precision of 'harmful'"),
            ("harmful_recall", "judge: recall of 'harmful'"),
            ("harmful_kappa", "judge: Cohen's κ, harmful"),
        )
    )
    return TaskSummary(
        task="judge-validation",
        version="1",
        area="harmful_false_output",
        perspectives=("検証可能性",),
        n=figures.n,
        unscorable=figures.failures,
        metrics=metrics,
        dataset=f"jmedllm judge validation set, {figures.split} split; judge: {judge.name}",
    )


def _settings_record(prepared: _Prepared) -> dict[str, Any]:
    config = prepared.config
    return {
        "suite": config.suite if config.tasks is None else None,
        "tasks": {name: task.version for name, task in prepared.tasks.items()},
        "limit": prepared.limit,
        "generation": config.generation.model_dump(),
        "judge": {"kind": config.judge.kind, "model": config.judge.model} if prepared.judge else None,
        "task_args": {k: {a: str(v) for a, v in args.items()} for k, args in config.task_args.items()},
        "engine": {
            "inspect_ai": _version("inspect_ai"),
            "jmedllm": _version("jmedllm"),
            "transformers": _version("transformers"),
        },
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None

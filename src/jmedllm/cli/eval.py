"""``jmedllm eval``: run candidates through the tasks, compare and select, report; exam scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jmedllm.cli._common import console, err_console, get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("jmle-score")
def jmle_score(
    questions: Annotated[
        Path, typer.Option("--questions", help="Questions: a JSONL file or a directory of them.")
    ],
    predictions: Annotated[
        Path,
        typer.Option("--predictions", help="Predictions: JSONL {problem_id, prediction} or a directory."),
    ],
    overrides: Annotated[
        Path | None,
        typer.Option("--overrides", help="JSON of per-question overrides (accepted, all_correct)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON on stdout.")] = False,
) -> None:
    """Score licensing-exam predictions with IgakuQA-compatible points, per exam."""
    from jmedllm.eval.jmle import load_overrides, load_predictions, load_questions, score

    result = score(load_questions(questions), load_predictions(predictions), load_overrides(overrides))
    if result.missing_predictions or result.unknown_predictions:
        err_console.print(
            f"{result.missing_predictions} questions without a prediction (scored 0); "
            f"{result.unknown_predictions} predictions for unknown questions (ignored)",
            highlight=False,
        )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    table = Table("exam", "points", "max", "accuracy", "n")
    for exam, item in result.to_dict()["exams"].items():
        table.add_row(
            exam, str(item["points"]), str(item["max_points"]), f"{item['accuracy']:.3f}", str(item["n"])
        )
    console.print(table)
    console.print(
        f"mean points {result.mean_points:.1f}; accuracy {result.accuracy:.3f} over {result.n} questions"
    )


DisplayOption = Annotated[
    str,
    typer.Option("--display", help="Inspect's progress display: rich, plain, log or none."),
]


@app.command("tasks")
def list_tasks() -> None:
    """List the evaluation tasks and suites."""
    from jmedllm.eval.tasks import SUITES, TASKS

    table = Table("task", "version", "area", "objective", "data")
    for info in TASKS.plugins():
        task = info.obj
        table.add_row(info.name, task.version, task.area, task.objective or "—", task.data_path)
    console.print(table)
    for suite in SUITES.values():
        console.print(
            f"[bold]{suite.name}[/bold]: {suite.description} ({', '.join(suite.tasks)})", highlight=False
        )


@app.command("run")
def run(
    ctx: typer.Context,
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Run file: candidates, suite, limits (YAML).")
    ],
    limit: Annotated[int | None, typer.Option("--limit", help="Items per task (overrides the file).")] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="Where logs and summaries go.")
    ] = None,
    display: DisplayOption = "rich",
) -> None:
    """Run every candidate through the suite with Inspect AI; write logs and summaries."""
    from jmedllm.eval.config import load_run_config
    from jmedllm.eval.runner import run_evaluation

    run_config = load_run_config(config, limit=limit, output_dir=output_dir)
    summaries = run_evaluation(
        run_config,
        display=display,
        settings=get_settings(ctx),
        progress=lambda message: err_console.print(f"[dim]{message}[/dim]", highlight=False),
    )
    table = Table("candidate", "task", "headline", "value", "95% CI", "n", "unscorable")
    for summary in summaries:
        for task in summary.tasks:
            metric = task.metric(task.headline or "accuracy")
            table.add_row(
                summary.candidate.name,
                task.task,
                task.headline or "—",
                _fmt(metric.value if metric else None),
                f"[{_fmt(metric.ci_low)}, {_fmt(metric.ci_high)}]" if metric else "—",
                str(task.n),
                _fmt(task.unscorable_rate),
            )
    console.print(table)
    console.print(
        f"{len(summaries)} candidate(s) evaluated; summaries in {run_config.out}/*/summary.json. "
        f"Next: jmedllm eval compare {run_config.out}  ·  jmedllm eval report {run_config.out}",
        highlight=False,
    )


RunDirs = Annotated[
    list[Path], typer.Argument(help="Run directories (or candidate directories, summary files).")
]
SelectionOption = Annotated[
    Path | None,
    typer.Option("--selection", help="YAML with gates and priority (default: the run's run.yaml)."),
]


@app.command("compare")
def compare_runs(
    runs: RunDirs,
    selection: SelectionOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the comparison as JSON here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON on stdout.")] = False,
) -> None:
    """Compare candidates: table, hard gates, Pareto front, selection with its rationale."""
    from jmedllm.eval.compare import compare, find_summaries, load_selection_config

    comparison = compare(find_summaries(runs), load_selection_config(selection, runs))
    data = comparison.to_dict()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    names = [s.candidate.name for s in comparison.candidates]
    table = Table("task/metric", *names)
    for row in data["table"]:
        if row["higher_is_better"] is None:
            continue
        cells = []
        for name in names:
            cell = row["values"].get(name)
            cells.append(
                "—"
                if cell is None
                else f"{_fmt(cell['value'])} [{_fmt(cell['ci_low'])}, {_fmt(cell['ci_high'])}]"
            )
        table.add_row(f"{row['task']}/{row['metric']}", *cells)
    console.print(table)
    for result in comparison.gates:
        if result.status != "pass":
            console.print(f"gate {result.status}: {result.candidate}: {result.gate}", highlight=False)
    chosen = comparison.selection
    console.print(f"[bold]selection: {chosen.status}[/bold] → {chosen.selected or 'none'}", highlight=False)
    for sentence in chosen.rationale:
        console.print(f"  · {sentence}", highlight=False)


@app.command("report")
def report(
    runs: RunDirs,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The HTML report (a JSON summary is written beside it).")
    ] = Path("eval-report.html"),
    selection: SelectionOption = None,
) -> None:
    """Write one self-contained HTML report (charts) and a JSON summary."""
    from jmedllm.eval.compare import compare, find_summaries, load_selection_config
    from jmedllm.eval.report import write_report

    comparison = compare(find_summaries(runs), load_selection_config(selection, runs))
    html_path, json_path = write_report(comparison, out)
    chosen = comparison.selection
    console.print(
        f"report: {html_path} ({html_path.stat().st_size / 1e6:.1f} MB), summary: {json_path}; "
        f"selection {chosen.status}: {chosen.selected or 'none'}",
        highlight=False,
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if not float(value).is_integer() or abs(value) <= 1 else f"{value:g}"

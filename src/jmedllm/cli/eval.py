"""``jmedllm eval``: exam scoring today; runs, comparison and reports arrive with issue 4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jmedllm.cli._common import console, err_console

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

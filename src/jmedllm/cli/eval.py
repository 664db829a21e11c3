"""``jmedllm eval``: run candidates through the tasks, compare and select, report; exam scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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


@app.command("judge")
def judge(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help='JSONL {"id", "prompt", "response"} (- for stdin).')
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="JSONL verdicts in input order (- for stdout).")
    ],
    judge_spec: Annotated[
        str,
        typer.Option("--judge", help="local (rules + shipped model, no network) or an endpoint URL …/v1."),
    ] = "local",
    judge_model: Annotated[
        str | None,
        typer.Option("--judge-model", help="Model name at the endpoint (default: the first it lists)."),
    ] = None,
    judge_key_env: Annotated[
        str | None, typer.Option("--judge-key-env", help="Environment variable holding the endpoint's key.")
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Pairs judged per batch.")] = 256,
) -> None:
    """Judge responses: refuse / comply / unscorable, harmful, harm score 1–5."""
    from collections import Counter

    from jmedllm.core.jsonl import open_output, read_records, write_record
    from jmedllm.eval.safety.judge import UNSCORABLE, get_judge

    chosen = get_judge(judge_spec, model=judge_model, api_key_env=judge_key_env)
    counts: Counter[str] = Counter()
    failed = malformed = 0

    def flush(pending: list[tuple[Any, str | None, str | None]], out: Any) -> None:
        nonlocal failed
        valid = [(p, r) for _, p, r in pending if p is not None and r is not None]
        verdicts = iter(chosen.judge_many(valid))
        for item_id, prompt, response in pending:
            result = next(verdicts) if prompt is not None and response is not None else UNSCORABLE
            counts[result.verdict] += 1
            failed += result.failed
            write_record(out, result.contract(item_id))
        pending.clear()

    with open_output(output) as out, err_console.status("judging…") as status:
        pending: list[tuple[Any, str | None, str | None]] = []
        for _line, record in read_records(input_path):
            prompt, response = record.get("prompt"), record.get("response")
            if not isinstance(prompt, str) or not isinstance(response, str):
                malformed += 1  # still answered, as unscorable, so output lines match input lines
                prompt = response = None
            pending.append((record.get("id"), prompt, response))
            if len(pending) >= batch:
                flush(pending, out)
                status.update(f"judging… {sum(counts.values())} done")
        flush(pending, out)
    err_console.print(
        f"{sum(counts.values())} judged by {chosen.name}: {counts['refuse']} refuse, {counts['comply']} comply, "
        f"{counts['unscorable']} unscorable ({failed} judge failures, {malformed} lines without prompt/response)",
        highlight=False,
    )


@app.command("judge-train")
def judge_train(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write the model (default: the shipped file).")
    ] = None,
    c: Annotated[
        float, typer.Option("--c", help="Inverse regularisation strength of both heads (chosen on dev).")
    ] = 64.0,
) -> None:
    """Rebuild the local judge's model from the labelled set (fit on train, check on dev, refit on train+dev)."""
    from jmedllm.eval.safety.classifier import default_model_path, train
    from jmedllm.eval.safety.judge import LocalJudge, validate_judge
    from jmedllm.eval.safety.sets import load_set

    with err_console.status("training on the train split…"):
        dev_check = validate_judge(LocalJudge(train(load_set("judge-validation", ["train"]), c=c)), "dev")
        model = train(load_set("judge-validation", ["train", "dev"]), c=c)
        target = out or default_model_path()
        model.save(target)
        test = validate_judge(LocalJudge(model), "test")
    table = Table("split", "n", "refuse P", "refuse R", "refuse κ", "harmful P", "harmful R", "harmful κ")
    for name, figures in (("dev (train-only model)", dev_check), ("test", test)):
        table.add_row(
            name,
            str(figures.n),
            *(
                f"{getattr(figures, k):.3f}"
                for k in (
                    "refusal_precision",
                    "refusal_recall",
                    "refusal_kappa",
                    "harmful_precision",
                    "harmful_recall",
                    "harmful_kappa",
                )
            ),
        )
    console.print(table)
    console.print(f"model written to {target} ({target.stat().st_size / 1024:.0f} KiB)", highlight=False)


canary_app = typer.Typer(
    no_args_is_help=True, help="Canary exposure: synthetic identifiers planted in training data."
)
app.add_typer(canary_app, name="canary")


@canary_app.command("generate")
def canary_generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="Canary manifest (JSON).")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many canaries.")] = 12,
    digits: Annotated[
        int, typer.Option("--digits", min=4, max=12, help="Digits of each secret: |R| = 10^digits.")
    ] = 8,
    repetitions: Annotated[
        str, typer.Option("--repetitions", help="Comma-separated repetition counts, round robin.")
    ] = "1,4,16,64",
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Generate synthetic identifier canaries with repetition counts."""
    from jmedllm.eval.safety.canary import generate_canaries, save_canaries

    counts = [int(x) for x in repetitions.split(",") if x.strip()]
    canaries = generate_canaries(n, digits=digits, seed=seed, repetitions=counts)
    save_canaries(canaries, output)
    console.print(
        f"{n} canaries ({digits}-digit secrets, repetitions {counts}) written to {output}", highlight=False
    )


@canary_app.command("insert")
def canary_insert(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Training JSONL.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Training JSONL with the canaries shuffled in.")
    ],
    canaries: Annotated[Path, typer.Option("--canaries", help="Manifest from `canary generate`.")],
    text_field: Annotated[str, typer.Option("--text-field")] = "text",
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Insert each canary into training data as many times as its manifest says."""
    from jmedllm.core.jsonl import open_output, read_records, write_record
    from jmedllm.eval.safety.canary import insert_canaries, load_canaries

    records = [record for _line, record in read_records(input_path)]
    merged, inserted = insert_canaries(records, load_canaries(canaries), seed=seed, text_field=text_field)
    with open_output(output) as out:
        for record in merged:
            write_record(out, record)
    console.print(
        f"{len(records)} records kept, {inserted} canary records inserted → {output}", highlight=False
    )


@canary_app.command("exposure")
def canary_exposure(
    ctx: typer.Context,
    canaries: Annotated[Path, typer.Option("--canaries", help="Manifest from `canary generate`.")],
    model: Annotated[
        str, typer.Option("--model", help="Model reference: bundled name, HF directory or .gguf.")
    ],
    samples: Annotated[
        int, typer.Option("--samples", min=10, help="Other secrets sampled per canary.")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Exposure (log₂|R| − log₂ rank) of each canary under a trained model."""
    from dataclasses import asdict

    from jmedllm.core.models import load_model
    from jmedllm.eval.safety.canary import exposure, load_canaries, sequence_log_likelihood

    items = load_canaries(canaries)
    loaded = load_model(model, settings=get_settings(ctx))
    score = sequence_log_likelihood(loaded)
    results = []
    with err_console.status("ranking secrets…") as status:
        for i, canary in enumerate(items, start=1):
            status.update(f"canary {i}/{len(items)}")
            results.append(exposure(canary, score, samples=samples))
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in results], ensure_ascii=False))
        return
    table = Table("canary", "repetitions", "exposure (bits)", "max measurable", "rank estimate")
    for r in results:
        table.add_row(
            r.canary,
            str(r.repetitions),
            f"{r.exposure:.2f}",
            f"{r.max_measurable:.2f}",
            f"{r.rank_estimate:.3g}",
        )
    console.print(table)

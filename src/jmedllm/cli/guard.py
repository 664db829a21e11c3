"""``jmedllm guard``: check texts against a policy, evaluate the rails, retrain their model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from jmedllm.cli._common import console, err_console

app = typer.Typer(no_args_is_help=True)

PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        help="default, clinical (= default), patient, pii (masking only), off, or a policy YAML file.",
    ),
]


@app.command("check")
def check(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT", help='JSONL {"id", "text"} or {"id", "messages": [...]} (- for stdin).'
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="JSONL decisions in input order (- for stdout).")
    ],
    stage: Annotated[str, typer.Option("--stage", help="input (prompts) or output (replies).")] = "input",
    policy: PolicyOption = "default",
) -> None:
    """Run a policy's rails over texts: action, categories, each rail's verdict, masked text, message."""
    from collections import Counter

    from jmedllm.core.errors import ConfigError
    from jmedllm.core.jsonl import open_output, read_records, write_record
    from jmedllm.guard.pipeline import GuardPipeline

    if stage not in ("input", "output"):
        raise ConfigError(f"--stage must be input or output, not {stage!r}")
    pipeline = GuardPipeline.from_reference(policy)
    actions: Counter[str] = Counter()
    malformed = 0
    with open_output(output) as out, err_console.status("checking…") as status:
        for number, (_line, record) in enumerate(read_records(input_path), start=1):
            texts, messages = _texts(record, stage)
            if texts is None:
                malformed += 1  # answered, so output lines match input lines; never silently allowed
                write_record(
                    out,
                    {
                        "id": record.get("id"),
                        "action": "block",
                        "categories": ["malformed_input"],
                        "rails": [],
                        "response": "入力の形式を読み取れませんでした。",
                    },
                )
                actions["block"] += 1
                continue
            outcome = pipeline.check(texts, stage=stage)  # type: ignore[arg-type]
            decision = outcome.decision
            row: dict[str, Any] = {
                "id": record.get("id"),
                "action": decision.action.value,
                "categories": list(decision.categories),
                "rails": [
                    {
                        "name": r.rail,
                        "action": r.action.value,
                        "score": round(r.score, 4),
                        "latency_ms": round(r.latency_ms, 3),
                    }
                    for r in decision.rails
                ],
            }
            if decision.action.value == "mask":
                row["text"] = "\n".join(outcome.texts)
                if messages is not None:
                    row["messages"] = _masked(messages, outcome.texts, stage)
            if decision.action.value in ("block", "escalate"):
                row["response"] = decision.message
            write_record(out, row)
            actions[decision.action.value] += 1
            if number % 200 == 0:
                status.update(f"checking… {number} done")
    err_console.print(
        f"{sum(actions.values())} checked with policy {pipeline.policy.name} ({stage}): "
        + ", ".join(f"{actions[a]} {a}" for a in ("allow", "mask", "escalate", "block"))
        + (f"; {malformed} malformed lines answered as block" if malformed else ""),
        highlight=False,
    )


def _texts(record: dict[str, Any], stage: str) -> tuple[list[str] | None, list[dict[str, Any]] | None]:
    """The texts a stage judges: ``text``, or the user (input) / assistant (output) messages."""
    if isinstance(record.get("text"), str):
        return [record["text"]], None
    messages = record.get("messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages
    ):
        return None, None
    role = "user" if stage == "input" else "assistant"
    chosen = [m["content"] for m in messages if m.get("role") == role]
    return (chosen or [""]), messages


def _masked(messages: list[dict[str, Any]], texts: list[str], stage: str) -> list[dict[str, Any]]:
    role = "user" if stage == "input" else "assistant"
    replacements = iter(texts)
    return [{**m, "content": next(replacements)} if m.get("role") == role else m for m in messages]


@app.command("rails")
def rails() -> None:
    """List the registered rails."""
    from jmedllm.guard.base import RAILS

    table = Table("rail", "stages", "what it does")
    for info in RAILS.plugins():
        table.add_row(
            info.name, ", ".join(sorted(info.obj.stages)), info.doc.splitlines()[0] if info.doc else ""
        )
    console.print(table)


@app.command("train")
def train(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Model file (default: the shipped one).")
    ] = None,
    c: Annotated[float, typer.Option("--c", help="Inverse regularisation strength (chosen on dev).")] = 128.0,
    max_false_block: Annotated[
        float,
        typer.Option(
            "--max-false-block", help="Share of all benign dev prompts the model's threshold may block."
        ),
    ] = 0.03,
    max_source_false_block: Annotated[
        float,
        typer.Option(
            "--max-source-false-block", help="Share of each benign source's dev prompts it may block."
        ),
    ] = 0.05,
) -> None:
    """Rebuild the input rails' model: fit on train, threshold on dev, refit on train + dev."""
    from jmedllm.guard.model import default_model_path
    from jmedllm.guard.training import train_model

    with err_console.status("training the input rails' model…"):
        model, report = train_model(
            c=c, max_false_block=max_false_block, max_source_false_block=max_source_false_block
        )
        target = out or default_model_path()
        model.save(target)
    console.print(
        f"model written to {target} ({target.stat().st_size / 1024:.0f} KiB); attack threshold "
        f"{report['thresholds']['attack']:.3f}; dev: harmful blocked {report['dev_recall_harmful']:.3f}, "
        f"injection blocked {report['dev_recall_injection']:.3f}, benign blocked {report['dev_false_block']:.3f} "
        f"(model alone, before the intent frames)",
        highlight=False,
    )


@app.command("evaluate")
def evaluate(
    policy: PolicyOption = "default",
    split: Annotated[
        str, typer.Option("--split", help="Which split to report on (test unless tuning).")
    ] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON on stdout.")] = False,
    external: Annotated[
        Path | None,
        typer.Option(
            "--external",
            help="Shared data directory (e.g. ../shared/data): add exam and JMMLU questions as external benign text.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="A labelled JSONL file of your own (id, label harmful|injection|benign, prompt) instead of the split.",
        ),
    ] = None,
) -> None:
    """Block rate per category, false-block rate, F1, recall at 1 % false block, latency p50/p99."""
    from jmedllm.guard.evaluate import evaluate_policy, load_labelled

    if external is not None and not external.is_dir():
        raise typer.BadParameter(f"{external} is not a directory", param_hint="--external")
    if data is not None:
        if not data.is_file():
            raise typer.BadParameter(f"{data} is not a file", param_hint="--data")
        try:
            load_labelled(data)  # refuse a bad file before the pipeline loads
        except (ValueError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--data") from None
    where = data.name if data is not None else f"the {split} split"
    with err_console.status(f"evaluating policy {policy} on {where}…"):
        report = evaluate_policy(policy, split=split, external_dir=external, data=data)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    table = Table("group", "n", "blocked", "rate")
    for name, row in report["groups"].items():
        table.add_row(name, str(row["n"]), str(row["blocked"]), f"{row['rate']:.3f}")
    console.print(table)
    summary = report["summary"]
    console.print(
        f"harmful+injection blocked {summary['attack_block_rate']:.3f}; benign false-block {summary['false_block_rate']:.3f}; "
        f"F1 {summary['f1']:.3f}; recall at 1% false block {summary['recall_at_1pct_false_block']:.3f}; "
        f"benign with identifiers: {summary['pii_masked']}/{summary['pii_n']} masked, {summary['pii_blocked']} blocked; "
        f"latency p50 {summary['latency_p50_ms']:.2f} ms, p99 {summary['latency_p99_ms']:.2f} ms"
        + (
            f"; external benign text blocked {summary['external_false_block_rate']:.3f} "
            f"of {summary['external_benign']}"
            if summary["external_benign"]
            else ""
        ),
        highlight=False,
    )

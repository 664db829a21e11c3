"""``jmedllm deid``: detect, redact, try, synthesise and evaluate PHI de-identification.

``detect`` and ``redact`` are a contract (the held-out benchmark calls exactly them):
JSONL in (``id`` and ``text`` per line), JSONL out in input order, offsets as Python
``str`` indices into the original ``text``, ``-`` for stdin/stdout. Progress and the
summary go to stderr so stdout can carry the records.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from jmedllm.cli._common import console, err_console, get_settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

InputArg = Annotated[
    str, typer.Argument(help="JSONL input, one object with 'id' and 'text' per line; '-' for stdin.")
]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="JSONL output; '-' for stdout.")]
ConfigOpt = Annotated[Path | None, typer.Option("--deid-config", help="YAML of de-identification settings.")]
OnErrorOpt = Annotated[
    str, typer.Option("--on-error", help="stop: fail on the first bad line; skip: count and skip bad lines.")
]
EnableOpt = Annotated[
    list[str] | None, typer.Option("--enable", help="Switch on an optional recognizer (neural.ginza).")
]


def _analyzer(config_path: Path | None, enable: list[str] | None) -> Any:
    from dataclasses import replace

    from jmedllm.deid.config import load_deid_config
    from jmedllm.deid.engine import PhiAnalyzer

    config = load_deid_config(config_path)
    if enable:
        config = replace(config, enable=tuple(config.enable) + tuple(enable))
    return PhiAnalyzer(config)


def _check_on_error(value: str) -> str:
    if value not in ("stop", "skip"):
        raise typer.BadParameter("must be stop or skip", param_hint="--on-error")
    return value


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _summary(
    title: str, stats: Any, labels: Counter[str], chars: int, seconds: float, extra: str = ""
) -> None:
    rate = chars / seconds if seconds > 0 else 0.0
    by_label = ", ".join(f"{label} {n}" for label, n in labels.most_common()) or "none"
    skipped = ""
    if stats.total_skipped:
        reasons = "; ".join(f"{n} × {reason}" for reason, n in stats.skipped.most_common())
        skipped = f"\n  skipped {stats.total_skipped} bad lines: {reasons}"
    err_console.print(
        f"[bold]{title}[/]: {stats.read} records, {chars:,} characters in {seconds:.1f} s ({rate:,.0f} chars/s)\n"
        f"  spans: {by_label}{skipped}{extra}",
        highlight=False,
    )


@app.command()
def detect(
    source: InputArg,
    output: OutputOpt = "-",
    deid_config: ConfigOpt = None,
    on_error: OnErrorOpt = "stop",
    enable: EnableOpt = None,
) -> None:
    """Find PHI: writes {"id", "spans": [{"start", "end", "label", "score"}]} per input line."""
    from jmedllm.core.jsonl import ReadStats, open_output, read_records, write_record

    analyzer = _analyzer(deid_config, enable)
    stats, labels, chars = ReadStats(), Counter[str](), 0
    started = time.perf_counter()
    with open_output(output) as out, _progress() as progress:
        task = progress.add_task("detecting")
        records = read_records(
            source, required={"id": (str, int), "text": str}, on_error=_check_on_error(on_error), stats=stats
        )
        for _, record in records:
            spans = analyzer.analyze(record["text"])
            labels.update(s.label for s in spans)
            chars += len(record["text"])
            spans_out = [
                {"start": s.start, "end": s.end, "label": s.label, "score": round(s.score, 4)} for s in spans
            ]
            write_record(out, {"id": record["id"], "spans": spans_out})
            progress.advance(task)
    _summary("deid detect", stats, labels, chars, time.perf_counter() - started)


def _secret(secret_env: str, ctx: typer.Context) -> tuple[bytes, bool]:
    value = os.environ.get(secret_env)
    if value:
        return value.encode("utf-8"), True
    settings = get_settings(ctx)
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8"), True
    return secrets.token_bytes(32), False


@app.command()
def redact(
    ctx: typer.Context,
    source: InputArg,
    output: OutputOpt = "-",
    mode: Annotated[str, typer.Option("--mode", "-m", help="mask, pseudonymize or hash.")] = "mask",
    deid_config: ConfigOpt = None,
    on_error: OnErrorOpt = "stop",
    enable: EnableOpt = None,
    patient_field: Annotated[
        str | None,
        typer.Option(
            help="Field naming the patient: pseudonyms and date shifts stay consistent per patient."
        ),
    ] = None,
    audit: Annotated[
        Path | None, typer.Option(help="Write one JSONL line per replacement (hashes, never values).")
    ] = None,
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the pseudonymisation secret.")
    ] = ("JMEDLLM_DEID_SECRET"),
) -> None:
    """Replace PHI in 'text' (other fields kept): mask, pseudonymize or hash."""
    from jmedllm.core.jsonl import ReadStats, open_output, read_records, write_record
    from jmedllm.deid.redact import MODES, Redactor

    if mode not in MODES:
        raise typer.BadParameter(f"must be one of {', '.join(MODES)}", param_hint="--mode")
    analyzer = _analyzer(deid_config, enable)
    secret, stable = _secret(secret_env, ctx)
    redactor = Redactor(mode, secret=secret)  # type: ignore[arg-type]
    stats, labels, chars = ReadStats(), Counter[str](), 0
    started = time.perf_counter()
    audit_ctx = open_output(audit) if audit is not None else None
    audit_out = audit_ctx.__enter__() if audit_ctx is not None else None
    try:
        with open_output(output) as out, _progress() as progress:
            task = progress.add_task(f"redacting ({mode})")
            records = read_records(
                source,
                required={"id": (str, int), "text": str},
                on_error=_check_on_error(on_error),
                stats=stats,
            )
            for _, record in records:
                key = str(record.get(patient_field, record["id"])) if patient_field else str(record["id"])
                spans = analyzer.analyze(record["text"])
                text, replacements = redactor.redact(record["text"], spans, key=key)
                labels.update(s.label for s in spans)
                chars += len(record["text"])
                write_record(out, {**record, "text": text})
                if audit_out is not None:
                    for r in replacements:
                        write_record(
                            audit_out,
                            {"id": record["id"], "start": r.start, "end": r.end, "label": r.label, "source": r.source,
                             "original_hmac": r.original_hmac, "mode": mode},
                        )  # fmt: skip
                progress.advance(task)
    finally:
        if audit_ctx is not None:
            audit_ctx.__exit__(None, None, None)
    note = "" if stable or mode == "mask" else (
        f"\n  [yellow]{secret_env} is not set: a random secret was used, so pseudonyms and codes differ between runs[/]"
    )  # fmt: skip
    _summary(f"deid redact ({mode})", stats, labels, chars, time.perf_counter() - started, note)


@app.command()
def check(
    text: Annotated[str, typer.Argument(help="A text to analyse, e.g. '主治医 山田太郎 TEL 03-1234-5678'.")],
    deid_config: ConfigOpt = None,
    enable: EnableOpt = None,
) -> None:
    """Show what would be detected in one text, with the recognizer behind each span."""
    from rich.text import Text

    analyzer = _analyzer(deid_config, enable)
    spans = analyzer.analyze(text)
    marked = Text(text)
    for span in spans:
        marked.stylize("bold reverse red", span.start, span.end)
    console.print(marked)
    table = Table("label", "text", "offsets", "score", "recognizer")
    for span in spans:
        table.add_row(
            span.label,
            text[span.start : span.end],
            f"[{span.start}, {span.end})",
            f"{span.score:.2f}",
            span.source,
        )
    console.print(table)


@app.command()
def synth(
    output: OutputOpt = "-",
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="Number of documents.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same corpus).")] = 0,
) -> None:
    """Generate an annotated synthetic clinical corpus (gold spans and protected terms)."""
    from jmedllm.core.jsonl import open_output, write_record
    from jmedllm.deid.synth import generate_corpus

    labels: Counter[str] = Counter()
    with open_output(output) as out, _progress() as progress:
        task = progress.add_task("generating")
        for record in generate_corpus(n, seed=seed):
            labels.update(span["label"] for span in record["spans"])
            write_record(out, record)
            progress.advance(task)
    err_console.print(
        f"[bold]deid synth[/]: {n} documents, {sum(labels.values())} gold spans ({dict(labels)})"
    )


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold JSONL: id, text, spans, optional protected.")],
    pred: Annotated[Path, typer.Option(help="Predicted JSONL from `deid detect`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Character-level recall/precision, F2, per-label entity recall, protected terms masked."""
    from jmedllm.core.jsonl import read_records
    from jmedllm.deid.evaluate import evaluate as run

    report = run(
        (r for _, r in read_records(gold, required={"id": (str, int), "text": str, "spans": list})),
        (r for _, r in read_records(pred, required={"id": (str, int), "spans": list})),
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    table = Table("metric", "value", title="de-identification quality", title_justify="left")
    for name, value in report.rows():
        table.add_row(name, value)
    console.print(table)

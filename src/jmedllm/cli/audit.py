"""``jmedllm audit``: verify, export, purge and anchor the tamper-evident audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from jmedllm.cli._common import ConfigOption, console, err_console, get_settings
from jmedllm.core.errors import ConfigError

app = typer.Typer(no_args_is_help=True)


@app.command()
def verify(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Check the hash chain; exit 1 naming the first broken event when any was changed or removed."""
    from jmedllm.serve.operator import opened_store

    with opened_store(get_settings(ctx, config)) as store, console.status("verifying the audit chain…"):
        result = store.verify_audit()
    if result.ok:
        console.print(f"audit chain intact: {result.checked} events verified")
        return
    # One unwrapped line on stderr: monitoring greps for it.
    typer.echo(f"audit chain BROKEN at event seq {result.first_bad_seq}: {result.reason}", err=True)
    raise typer.Exit(1)


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write.")],
    since: Annotated[
        datetime | None, typer.Option(help="Only events at or after this time (ISO 8601).")
    ] = None,
    until: Annotated[datetime | None, typer.Option(help="Only events before this time (ISO 8601).")] = None,
    config: ConfigOption = None,
) -> None:
    """Export audit events as JSONL (each line: the event, its seq and hash)."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    since, until = _aware(since), _aware(until)
    with opened_store(get_settings(ctx, config)) as store:
        with err_console.status(f"exporting to {output}…"):
            count = store.export_audit(output, since=since, until=until)
        audit_operator_action(store, "audit.export", str(output.name), events=count)
    # With `-o -` stdout carries the events: the summary goes to stderr so pipes stay clean.
    (err_console if str(output) == "-" else console).print(f"exported {count} events to {output}")


@app.command()
def purge(
    ctx: typer.Context,
    older_than_days: Annotated[
        int | None,
        typer.Option(min=1, help="Delete events older than this (default: serve.audit_retention_days)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = None,
) -> None:
    """Apply the retention period: delete old events, keeping the chain verifiable from an anchor."""
    from jmedllm.serve.operator import opened_store, operator_name

    settings = get_settings(ctx, config)
    days = older_than_days or settings.serve.audit_retention_days
    if days is None:
        raise ConfigError(
            "no retention period: pass --older-than-days or set serve.audit_retention_days",
            hint="the MHLW guideline expects logs kept as long as the records they protect",
        )
    cutoff = datetime.now(UTC) - timedelta(days=days)
    if not yes:
        typer.confirm(f"delete audit events before {cutoff:%Y-%m-%d %H:%M} UTC?", abort=True)
    with opened_store(settings) as store:
        count = store.purge_audit(older_than=cutoff, actor=operator_name(), role="operator")
    console.print(f"purged {count} events older than {days} days; the chain now verifies from the new anchor")


@app.command()
def pseudonym(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="The patient's ID as the EHR sends it.")],
    config: ConfigOption = None,
) -> None:
    """Print the pseudonym the audit log stores for a patient (to find their events in an export)."""
    from jmedllm.serve.patient import patient_pseudonym

    settings = get_settings(ctx, config)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    try:
        typer.echo(patient_pseudonym(patient_id, secret))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="PATIENT_ID") from None


@app.command()
def head(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Print the chain head (seq and hash): record it outside the database to anchor the log."""
    from jmedllm.serve.operator import opened_store

    with opened_store(get_settings(ctx, config)) as store:
        info = store.audit_head()
    typer.echo(f"{info.seq} {info.last_hash}")


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)

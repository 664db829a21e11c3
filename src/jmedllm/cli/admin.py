"""``jmedllm admin``: organisations, users and API keys, acting on the gateway's database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from jmedllm.cli._common import ConfigOption, console, get_settings

app = typer.Typer(no_args_is_help=True)
org_app = typer.Typer(no_args_is_help=True, help="Organisations (hospitals, departments, tenants).")
user_app = typer.Typer(no_args_is_help=True, help="Users and their roles.")
key_app = typer.Typer(no_args_is_help=True, help="API keys: shown once, stored hashed.")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@app.command()
def migrate(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Create or upgrade the gateway's database schema (Alembic)."""
    from jmedllm.serve.operator import opened_store

    settings = get_settings(ctx, config)
    with opened_store(settings):
        pass
    from jmedllm.core.settings import redact_url

    console.print(f"database schema is current: {redact_url(settings.effective_database_url)}")


@app.command()
def reload(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Only the gateway serving on this port.")] = None,
    config: ConfigOption = None,
) -> None:
    """Reload models and guard policy of running gateways (SIGHUP) without dropping a request."""
    import os
    import signal

    settings = get_settings(ctx, config)
    run = settings.home / "run"
    pattern = f"serve-{port}.pid" if port else "serve-*.pid"
    signalled = []
    for pid_path in sorted(run.glob(pattern)) if run.is_dir() else []:
        try:
            pid = int(pid_path.read_text(encoding="ascii").strip())
            os.kill(pid, signal.SIGHUP)
        except (ValueError, ProcessLookupError):
            pid_path.unlink(missing_ok=True)  # left behind by a process that died
            continue
        signalled.append(f"{pid_path.stem.removeprefix('serve-')} (pid {pid})")
    if not signalled:
        from jmedllm.core.errors import JmedllmError

        raise JmedllmError(
            f"no running gateway found under {run}",
            hint="start one with `jmedllm serve`, or pass the same --config",
        )
    console.print(f"asked to reload: port {', port '.join(signalled)}")


@org_app.command("create")
def org_create(ctx: typer.Context, name: str, config: ConfigOption = None) -> None:
    """Create an organisation."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    with opened_store(get_settings(ctx, config)) as store:
        org = store.create_org(name)
        audit_operator_action(store, "admin.org.create", org.name, organisation=org.name)
    console.print(f"created organisation [bold]{org.name}[/bold]")


@org_app.command("list")
def org_list(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List organisations."""
    from jmedllm.serve.operator import opened_store

    with opened_store(get_settings(ctx, config)) as store:
        orgs = store.list_orgs()
    table = Table("organisation", "created")
    for org in orgs:
        table.add_row(org.name, _when(org.created_at))
    console.print(table)


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    name: str,
    org: Annotated[str, typer.Option("--org", help="Organisation the user belongs to.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, physician, nurse, pharmacist, clerk or auditor.")
    ],
    config: ConfigOption = None,
) -> None:
    """Create a user with a role."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    with opened_store(get_settings(ctx, config)) as store:
        user = store.create_user(name, org=org, role=role)
        audit_operator_action(store, "admin.user.create", user.name, organisation=org, target_role=role)
    console.print(f"created user [bold]{user.name}[/bold] ({role}) in {org}")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    config: ConfigOption = None,
) -> None:
    """List users."""
    from jmedllm.serve.operator import opened_store

    with opened_store(get_settings(ctx, config)) as store:
        users = store.list_users(org=org)
    table = Table("user", "organisation", "role", "status")
    for user in users:
        table.add_row(user.name, user.organisation, user.role, "disabled" if user.disabled else "active")
    console.print(table)


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: str, config: ConfigOption = None) -> None:
    """Disable a user: every key of theirs stops working at once."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    with opened_store(get_settings(ctx, config)) as store:
        user = store.set_user_disabled(name, True)
        audit_operator_action(store, "admin.user.disable", user.name, organisation=user.organisation)
    console.print(f"disabled user [bold]{name}[/bold]")


@key_app.command("create")
def key_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Owner of the key.")],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, max=3650, help="Expire after this many days.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="A note on what the key is for.")] = None,
    config: ConfigOption = None,
) -> None:
    """Create an API key. The key is printed once, alone on the last line of stdout."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    with opened_store(get_settings(ctx, config)) as store:
        info, plaintext = store.create_key(user, expires_at=expires_at, label=label)
        audit_operator_action(
            store, "admin.key.create", info.prefix, organisation=info.organisation, target_user=user
        )
    console.print(
        f"created key [bold]{info.prefix}[/bold] for {user} (expires: {_when(info.expires_at)}); "
        "it is shown once — store it now:",
        highlight=False,
    )
    typer.echo(plaintext)


@key_app.command("revoke")
def key_revoke(ctx: typer.Context, prefix: str, config: ConfigOption = None) -> None:
    """Revoke a key by its prefix (the id shown by `key list`)."""
    from jmedllm.serve.operator import audit_operator_action, opened_store

    with opened_store(get_settings(ctx, config)) as store:
        info = store.revoke_key(prefix)
        audit_operator_action(
            store, "admin.key.revoke", info.prefix, organisation=info.organisation, target_user=info.user
        )
    console.print(f"revoked key [bold]{info.prefix}[/bold] of {info.user}")


@key_app.command("list")
def key_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys.")] = None,
    config: ConfigOption = None,
) -> None:
    """List keys (prefixes only: secrets are never stored)."""
    from jmedllm.serve.operator import opened_store

    with opened_store(get_settings(ctx, config)) as store:
        keys = store.list_keys(user=user)
    now = datetime.now(UTC)
    table = Table("prefix", "user", "created", "expires", "status", "label")
    for key in keys:
        status = (
            "revoked"
            if key.revoked_at
            else "expired"
            if key.expires_at and key.expires_at <= now
            else "active"
        )
        table.add_row(
            key.prefix, key.user, _when(key.created_at), _when(key.expires_at), status, key.label or ""
        )
    console.print(table)


@app.command()
def backup(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Backup file; FILE.manifest.json is written beside it.")
    ],
    config: ConfigOption = None,
) -> None:
    """Back up the database while the gateway runs (SQLite: online copy; PostgreSQL: pg_dump)."""
    from jmedllm.serve.backup import backup_database
    from jmedllm.serve.operator import audit_operator_action, opened_store

    settings = get_settings(ctx, config)
    report = backup_database(settings.effective_database_url, output)
    head = report.manifest.audit_head
    with opened_store(settings, migrate=False) as store:
        audit_operator_action(
            store,
            "admin.backup",
            output.name,
            sha256=report.manifest.sha256,
            head_seq=head.seq,
            head_hash=head.last_hash,
        )
    console.print(f"backed up to {report.path} (manifest: {report.manifest_path.name})", highlight=False)
    typer.echo(f"audit head in the backup: {head.seq} {head.last_hash}")
    if not _report_chain(report.verification):
        raise typer.Exit(1)


@app.command()
def restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="A file written by `jmedllm admin backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Overwrite a database that is not empty.")] = False,
    config: ConfigOption = None,
) -> None:
    """Restore a backup into the configured database, migrate it and verify the audit chain."""
    from jmedllm.serve.backup import restore_database
    from jmedllm.serve.operator import audit_operator_action, opened_store

    settings = get_settings(ctx, config)
    report = restore_database(settings.effective_database_url, backup_file, overwrite=yes)
    with opened_store(settings) as store:
        audit_operator_action(
            store,
            "admin.restore",
            backup_file.name,
            outcome="ok" if report.verification.ok and report.head_matches is not False else "error",
            sha256=report.manifest.sha256 if report.manifest else None,
            head_seq=report.head.seq,
            head_hash=report.head.last_hash,
        )
    console.print(
        f"restored {backup_file} (schema {report.revision}, {report.events} audit events)", highlight=False
    )
    typer.echo(f"audit head restored: {report.head.seq} {report.head.last_hash}")
    intact = _report_chain(report.verification)
    if report.manifest is None:
        typer.echo("warning: no manifest beside the backup: the restored head cannot be checked", err=True)
    elif not report.head_matches:
        recorded = report.manifest.audit_head
        typer.echo(
            f"error: the restored audit head differs from the manifest's ({recorded.seq} {recorded.last_hash})",
            err=True,
        )
        intact = False
    if not intact:
        raise typer.Exit(1)


def _report_chain(verification: Any) -> bool:
    if verification.ok:
        console.print(f"audit chain intact: {verification.checked} events verified")
    else:  # the same unwrapped line as `jmedllm audit verify`: monitoring greps for it
        typer.echo(
            f"audit chain BROKEN at event seq {verification.first_bad_seq}: {verification.reason}", err=True
        )
    return bool(verification.ok)

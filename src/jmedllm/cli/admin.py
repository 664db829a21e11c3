"""``jmedllm admin``: organisations, users and API keys, acting on the gateway's database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

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

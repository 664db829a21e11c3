"""Top-level commands: ``version``, ``doctor`` and ``demo``."""

from __future__ import annotations

import contextlib
import json
import platform
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from jmedllm.cli._common import ConfigOption, console, get_settings

__all__ = ["register"]

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def register(cli: typer.Typer) -> None:
    cli.command()(version)
    cli.command()(doctor)
    cli.command()(demo)


def version() -> None:
    """Print the jmedllm and Python versions."""
    import jmedllm

    console.print(f"jmedllm {jmedllm.__version__} (Python {platform.python_version()})")


def doctor(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")
    ] = False,
    show_settings: Annotated[
        bool, typer.Option("--settings/--no-settings", help="Also show settings (redacted).")
    ] = True,
) -> None:
    """Check this installation: Python, extras, torch, database, Redis, bundled model.

    Exits with status 1 when any check fails; every row that is not ok says how to fix it.
    """
    from jmedllm.core.doctor import CheckStatus, run_checks

    settings = get_settings(ctx)
    with console.status("running checks…"):
        results = run_checks(settings)
    failed = [r for r in results if r.status is CheckStatus.FAIL]
    if as_json:
        payload = {
            "checks": [
                {"check": r.check, "status": str(r.status), "detail": r.detail, "fix": r.fix} for r in results
            ],
            "settings": settings.redacted(),
            "ok": not failed,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_checks(results)
        if show_settings:
            _print_settings(settings.redacted())
        counts = {status: sum(r.status is status for r in results) for status in CheckStatus}
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        verdict = "[bold red]problems found[/]" if failed else "[bold green]ready[/]"
        console.print(f"\n{verdict}: {summary}")
    if failed:
        raise typer.Exit(1)


def _print_checks(results: list) -> None:  # type: ignore[type-arg]
    table = Table(title="jmedllm doctor", title_justify="left", expand=False)
    table.add_column("check", style="bold")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    table.add_column("fix", overflow="fold", style="cyan")
    for row in results:
        style = _STATUS_STYLE[str(row.status)]
        table.add_row(row.check, f"[{style}]{row.status}[/]", row.detail, row.fix)
    console.print(table)


def _print_settings(values: dict[str, str]) -> None:
    table = Table(title="settings (secrets redacted)", title_justify="left")
    table.add_column("setting", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in values.items():
        table.add_row(name, value)
    console.print(table)


_DEMO_TEXT = "患者ＩＤ：１２３４５。㍻31年4月30日入院、WBC 12.3×10³/μL、①発熱 ②咳嗽。ｱｾﾄｱﾐﾉﾌｪﾝ 3～5mg/kg、TEL 03ー1234ー5678。"


def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="Start the gateway (default) or only set it up and print examples."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Interface for the gateway.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port (default 8000, or a free one if 8000 is taken)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the main job on embedded defaults: the guarded gateway with the bundled model.

    Checks the environment, shows the Japanese text core and de-identification on
    synthetic notes, sets up a demo organisation with an admin and a physician key
    (SQLite), starts the gateway with the bundled SmolLM2 model and the default guard
    policy, answers one question through it, and prints a curl and an openai example
    that work as printed. Stop with Ctrl-C.
    """
    from jmedllm.core.doctor import CheckStatus, run_checks

    settings = get_settings(ctx, config)
    console.rule("[bold]1/4 environment")
    with console.status("running checks…"):
        results = run_checks(settings)
    _print_checks(results)
    failed = [r for r in results if r.status is CheckStatus.FAIL]

    console.rule("[bold]2/4 Japanese text core")
    _demo_text()

    console.rule("[bold]3/4 de-identification")
    deid = _demo_deid()

    console.rule("[bold]4/4 guarded gateway")
    gateway = _demo_gateway(settings, serve=serve, host=host, port=port)

    console.print(
        Panel.fit(
            "[bold]jmedllm demo finished[/bold]\n"
            f"checks: {sum(r.status is CheckStatus.OK for r in results)} ok, {len(failed)} failed\n"
            f"de-identification: {deid}\n"
            f"gateway: {gateway}\n\n"
            "Docs: README.md, docs/serve.md, docs/deid.md, docs/text.md, docs/models.md",
            title="summary",
        )
    )
    if failed:
        raise typer.Exit(1)


def _free_port(host: str, wanted: int | None) -> int:
    import socket

    candidates = [wanted] if wanted else [8000, 0]
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise typer.BadParameter(f"port {wanted} on {host} is in use; pass another --port")


def _demo_gateway(settings: object, *, serve: bool, host: str, port: int | None) -> str:
    import os

    from jmedllm.serve.demo import bootstrap_demo, curl_example, python_example
    from jmedllm.serve.operator import opened_store

    with console.status("setting up the gateway database…"), opened_store(settings) as store:  # type: ignore[arg-type]
        keys = bootstrap_demo(store)
    model = settings.models[0].name  # type: ignore[attr-defined]
    bound = _free_port(host, port)
    base_url = f"http://{host}:{bound}/v1"
    database = settings.effective_database_url  # type: ignore[attr-defined]
    console.print(
        f"database: {database}\norganisation demo-hospital: demo-admin (admin), demo-physician (physician)"
    )
    # Plain text, not a rich panel: borders and wrapping would break copy and paste.
    examples = (
        f"--- curl (physician key) ---\n{curl_example(base_url, keys.physician, model)}\n\n"
        f"--- openai (Python) ---\n{python_example(base_url, keys.physician, model)}\n\n"
        f"--- admin key (users, audit, metrics) ---\n{keys.admin}\n"
        f"curl -s -H 'Authorization: Bearer {keys.admin}' http://{host}:{bound}/metrics\n"
        "jmedllm audit verify\n"
    )
    if not serve:
        typer.echo(examples)
        return f"set up (not started: --no-serve); keys issued for {model}"

    import threading
    import time

    import httpx
    import uvicorn

    from jmedllm.serve.app import create_app
    from jmedllm.serve.demo import DEMO_QUESTION

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host=host, port=bound, access_log=False, log_level="warning")  # type: ignore[arg-type]
    )
    answered: list[str] = []

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.2)
        try:
            reply = httpx.post(
                f"{base_url}/chat/completions",
                headers={"Authorization": f"Bearer {keys.physician}"},
                json={
                    "model": model,
                    "messages": [{"role": "user", "content": DEMO_QUESTION}],
                    "max_tokens": 48,
                },
                timeout=300,
            ).json()
            answer = reply["choices"][0]["message"]["content"].strip()
            answered.append(answer)
            console.print(
                f"[bold]question:[/] {DEMO_QUESTION}\n[bold]answer ({model}):[/] {answer}", highlight=False
            )
        except (httpx.HTTPError, KeyError, ValueError) as error:
            console.print(f"[yellow]the demo question failed:[/] {error.__class__.__name__}")
        typer.echo(examples)
        console.print(f"[bold green]gateway ready[/] on {base_url} — press Ctrl-C to stop")

    console.print(f"starting the gateway on {base_url} (the first run converts the bundled model, ~20 s)…")
    threading.Thread(target=announce, daemon=True).start()
    # uvicorn re-raises Ctrl-C after its graceful shutdown; the summary still follows.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return f"served {model} on {base_url}; " + ("answered the demo question" if answered else "stopped")


def _demo_text() -> None:
    from jmedllm.core.jatext import char_stats, find_dates, normalize

    normalized, offsets = normalize(_DEMO_TEXT)
    console.print(Text.assemble(("original    ", "bold"), _DEMO_TEXT))
    console.print(Text.assemble(("normalized  ", "bold"), normalized))
    phone_at = normalized.find("03-1234-5678")
    start, end = offsets.to_original(phone_at, phone_at + len("03-1234-5678"))
    console.print(
        f"span of the phone number on the normalized text [{phone_at}, {phone_at + 12}) "
        f"maps back to original [{start}, {end}) = {_DEMO_TEXT[start:end]!r}",
        highlight=False,
    )
    table = Table("date in the note", "ISO")
    for match in find_dates(_DEMO_TEXT):
        table.add_row(
            _DEMO_TEXT[match.start : match.end], match.value.iso() if match.value else f"✗ {match.error}"
        )
    console.print(table)
    stats = char_stats(normalized)
    console.print(
        f"characters: {stats.total}, kanji {stats.kanji_ratio:.0%}, hiragana {stats.hiragana_ratio:.0%}, "
        f"katakana {stats.katakana_ratio:.0%}, ASCII {stats.ascii_ratio:.0%}",
        highlight=False,
    )


_DEMO_NOTE = (
    "【診療情報提供書】さくら台総合病院 循環器内科 御中\n"
    "患者氏名：髙橋 一郎 様（タカハシ イチロウ）92歳、〒160-0023 東京都新宿区西新宿２丁目８番１号 "
    "TEL ０３ー１２３４ー５６７８、患者ID：A1234567。㍻31年4月30日より橋本病にて加療中。"
    "キーパーソンは長女の髙橋 花子さん（090-9876-5432）。"
)


def _demo_deid() -> str:
    from jmedllm.core.errors import JmedllmError
    from jmedllm.deid.engine import PhiAnalyzer
    from jmedllm.deid.redact import Redactor

    try:
        spans = PhiAnalyzer().analyze(_DEMO_NOTE)
    except (JmedllmError, ImportError) as error:
        console.print(f"[yellow]de-identification unavailable:[/] {error}")
        return "unavailable (pip install 'jmedllm[deid]')"
    masked, _ = Redactor("mask", secret=b"demo-secret-not-for-real-use").redact(_DEMO_NOTE, spans)
    console.print(Text.assemble(("synthetic note  ", "bold"), _DEMO_NOTE))
    console.print(Text.assemble(("masked          ", "bold"), masked))
    labels = sorted({s.label for s in spans})
    eponym = "橋本病 kept" if "橋本病" in masked else "橋本病 wrongly masked"
    return f"{len(spans)} identifiers masked ({', '.join(labels)}); {eponym}"

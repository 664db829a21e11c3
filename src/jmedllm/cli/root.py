"""Top-level commands: ``version``, ``doctor`` and ``demo``."""

from __future__ import annotations

import json
import platform
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from jmedllm.cli._common import console, get_settings

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
_DEMO_QUESTION = "What is the first-line treatment for anaphylaxis? Answer in one sentence."


def demo(
    ctx: typer.Context,
    model: Annotated[
        bool, typer.Option("--model/--no-model", help="Load the bundled model and generate.")
    ] = True,
    max_new_tokens: Annotated[int, typer.Option(min=1, max=512, help="Tokens to generate.")] = 48,
) -> None:
    """Show what this installation can do today, on embedded defaults.

    Runs the environment checks, the Japanese text core on a synthetic clinical note,
    and (with the model extra) the bundled SmolLM2 model. The OpenAI-compatible gateway
    becomes the demo's main job when it lands (issue 7).
    """
    from jmedllm.core.doctor import CheckStatus, run_checks

    settings = get_settings(ctx)
    console.rule("[bold]1/4 environment")
    with console.status("running checks…"):
        results = run_checks(settings)
    _print_checks(results)
    failed = [r for r in results if r.status is CheckStatus.FAIL]

    console.rule("[bold]2/4 Japanese text core")
    _demo_text()

    console.rule("[bold]3/4 de-identification")
    deid = _demo_deid()

    console.rule("[bold]4/4 bundled model")
    generated = _demo_model(settings, max_new_tokens) if model else "skipped (--no-model)"

    console.print(
        Panel.fit(
            "[bold]jmedllm demo finished[/bold]\n"
            f"checks: {sum(r.status is CheckStatus.OK for r in results)} ok, {len(failed)} failed\n"
            f"de-identification: {deid}\n"
            f"model: {generated}\n\n"
            "Coming next: evaluation (issues 4, 5), guardrails (6), the guarded gateway (7, 8)\n"
            "— then `make demo` starts the gateway.\n"
            "Docs: README.md, docs/design.md, docs/text.md, docs/deid.md, docs/models.md",
            title="summary",
        )
    )
    if failed:
        raise typer.Exit(1)


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


def _demo_model(settings: object, max_new_tokens: int) -> str:
    from jmedllm.core.errors import JmedllmError
    from jmedllm.core.models import load_model

    try:
        with console.status("loading the bundled model…") as status:
            loaded = load_model(settings=settings, progress=lambda msg: status.update(msg))  # type: ignore[arg-type]
    except JmedllmError as error:
        console.print(f"[yellow]model unavailable:[/] {error.one_line()}")
        return "unavailable"
    how = "from cache" if loaded.from_cache else "converted from GGUF and cached"
    console.print(f"loaded {loaded.source.name} {how} in {loaded.load_seconds:.1f} s")
    console.print(f"[bold]question:[/] {_DEMO_QUESTION}")
    with console.status("generating…"):
        answer = loaded.generate([{"role": "user", "content": _DEMO_QUESTION}], max_new_tokens=max_new_tokens)
    console.print(f"[bold]answer:[/] {answer.strip()}", highlight=False)
    return f"{loaded.source.name} answered ({how}, {loaded.load_seconds:.1f} s load)"

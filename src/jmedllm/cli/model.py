"""``jmedllm model``: resolve, inspect, load and try model references."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from jmedllm.cli._common import console, err_console, get_settings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="Bundled name, local Hugging Face directory or .gguf file.")]


@app.command("list")
def list_models() -> None:
    """List the bundled models and whether each is installed."""
    from jmedllm.core.errors import ModelNotFoundError
    from jmedllm.core.models import BUNDLED_MODELS

    table = Table()
    table.add_column("name", no_wrap=True, style="bold")
    for column in ("description", "license", "installed"):
        table.add_column(column, overflow="fold")
    for plugin in BUNDLED_MODELS.plugins():
        bundled = plugin.obj()
        try:
            installed = str(bundled.locate())
        except ModelNotFoundError as error:
            installed = f"[yellow]no[/] — {error.hint}"
        table.add_row(plugin.name, bundled.description(), bundled.license, installed)
    console.print(table)


@app.command()
def info(ctx: typer.Context, reference: RefArg) -> None:
    """Show where a model reference points, without loading it."""
    from jmedllm.core.models import resolve_model

    source = resolve_model(reference)
    settings = get_settings(ctx)
    table = Table(show_header=False)
    table.add_row("reference", source.reference)
    table.add_row("kind", source.kind)
    table.add_row("path", str(source.path))
    table.add_row("license", source.license or "(see the model card)")
    if source.is_gguf:
        from jmedllm.core.models import model_cache_path

        try:
            cache = model_cache_path(source, settings.model_cache_dir)
            table.add_row(
                "converted cache", f"{cache} ({'ready' if (cache / 'config.json').is_file() else 'not yet'})"
            )
        except ImportError:
            table.add_row("converted cache", "install the model extra to load it")
    console.print(table)


@app.command()
def generate(
    ctx: typer.Context,
    reference: RefArg,
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    system: Annotated[str | None, typer.Option(help="Optional system message.")] = None,
    max_new_tokens: Annotated[int, typer.Option(min=1, max=4096)] = 128,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
) -> None:
    """Load a model (converting GGUF once) and answer one chat message."""
    from jmedllm.core.models import load_model

    settings = get_settings(ctx)
    with console.status("loading…") as status:
        loaded = load_model(reference, settings=settings, progress=lambda msg: status.update(msg))
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    with console.status("generating…"):
        answer = loaded.generate(messages, max_new_tokens=max_new_tokens, temperature=temperature)
    typer.echo(answer.strip())
    err_console.print(
        f"[dim]{loaded.source.name}: loaded in {loaded.load_seconds:.1f} s "
        f"({'cache' if loaded.from_cache else 'converted'}), device {loaded.device}[/]",
        highlight=False,
    )

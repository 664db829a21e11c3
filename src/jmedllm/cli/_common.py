"""What every command shares: the consoles, settings from the context, error display.

Commands stay thin: they parse arguments, call the library and render the result. Library
modules are imported inside command functions so that ``jmedllm --help`` stays fast and
never imports torch, transformers, fastapi or spacy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from jmedllm.core.errors import JmedllmError

__all__ = ["ConfigOption", "JmedllmGroup", "console", "err_console", "get_settings"]

#: A command's own ``--config`` (the gateway's commands take it after their arguments).
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML settings file (also JMEDLLM_CONFIG).")
]

console = Console()
err_console = Console(stderr=True)


class JmedllmGroup(TyperGroup):
    """The root command group: a user-fixable error becomes one line on stderr and an exit code.

    Plain ``typer.echo`` rather than rich: rich wraps long lines, and the promise is one
    line that names what to fix (grep-able in CI logs).
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except JmedllmError as error:
            typer.echo(f"error: {error.one_line()}", err=True)
            raise typer.Exit(error.exit_code) from None


def get_settings(ctx: typer.Context, config: Any = None) -> Any:
    """Settings for this invocation, loaded once from ``--config``, the environment and defaults.

    ``config`` is a command's own ``--config`` (``jmedllm admin … --config FILE``); it
    takes precedence over the root option.
    """
    from jmedllm.core.settings import load_settings

    root = ctx.find_root()
    root.ensure_object(dict)
    if config is not None:
        root.obj["config"] = config
        root.obj.pop("settings", None)
    if "settings" not in root.obj:
        settings = load_settings(root.obj.get("config"))
        if settings.offline:
            from jmedllm.core.offline import enforce_offline

            enforce_offline()
        root.obj["settings"] = settings
    return root.obj["settings"]

"""The ``jmedllm`` command line: every command group is registered here, in one place.

Groups whose capability has not landed yet are registered too, so the command tree a
user sees is the one the platform is growing into; running one says which issue brings
it. To add a group: write ``jmedllm/cli/<name>.py`` exposing ``app = typer.Typer()`` and
add a :class:`GroupSpec` below.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from jmedllm.cli._common import JmedllmGroup, console

__all__ = ["GROUPS", "GroupSpec", "app", "build_app", "main"]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A command group: its module (``None`` while planned) and its one-line help."""

    name: str
    help: str
    module: str | None = None
    planned: str | None = None


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec(
        "text", "Japanese text utilities: normalise, era dates, encodings, statistics.", "jmedllm.cli.text"
    ),
    GroupSpec("model", "Model references: list, inspect, load and generate.", "jmedllm.cli.model"),
    GroupSpec(
        "deid", "De-identify Japanese clinical text: detect, redact, pseudonymise PHI.", "jmedllm.cli.deid"
    ),
    GroupSpec(
        "data",
        "Build training data: read, normalise, filter, deduplicate, de-identify.",
        planned="a data issue",
    ),
    GroupSpec(
        "train", "Train candidates: tokenizer, pretraining, CPT, SFT, DPO.", planned="a training issue"
    ),
    GroupSpec(
        "eval",
        "Evaluate candidates: knowledge and safety tasks, comparison, selection, reports, the judge.",
        "jmedllm.cli.eval",
    ),
    GroupSpec(
        "guard",
        "Guardrails: check texts against a policy, evaluate and retrain the rails.",
        "jmedllm.cli.guard",
    ),
    GroupSpec("serve", "Run the guarded OpenAI-compatible gateway.", "jmedllm.cli.serve"),
    GroupSpec("admin", "Administer the gateway: organisations, users, roles, API keys.", "jmedllm.cli.admin"),
    GroupSpec("audit", "Verify, export and purge the tamper-evident audit log.", "jmedllm.cli.audit"),
    GroupSpec(
        "clinic",
        "Clinical use: note drafting, test suggestions, clinician review.",
        planned="a clinical issue",
    ),
)


def _planned_group(spec: GroupSpec) -> typer.Typer:
    group = typer.Typer(invoke_without_command=True)

    @group.callback()
    def _coming(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            console.print(
                f"[bold]jmedllm {spec.name}[/bold] is not available yet: it arrives with {spec.planned}.\n"
                "See docs/design.md for the plan and `jmedllm doctor` for what this installation can do."
            )

    return group


def build_app() -> typer.Typer:
    """Build the CLI: root commands plus every group in :data:`GROUPS`."""
    from jmedllm.cli import root

    cli = typer.Typer(
        cls=JmedllmGroup,
        name="jmedllm",
        help="jmedllm — build, safety-verify and safely deploy Japanese medical LLMs.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @cli.callback()
    def _root(
        ctx: typer.Context,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config", "-c", help="YAML settings file (also JMEDLLM_CONFIG).", envvar="JMEDLLM_CONFIG"
            ),
        ] = None,
    ) -> None:
        ctx.ensure_object(dict)
        ctx.obj["config"] = config

    root.register(cli)
    for spec in GROUPS:
        group = importlib.import_module(spec.module).app if spec.module else _planned_group(spec)
        shown = spec.help if spec.module else f"(planned: {spec.planned}) {spec.help}"
        cli.add_typer(group, name=spec.name, help=shown)
    return cli


app = build_app()


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())

"""``jmedllm text``: Japanese text utilities on files and strings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from jmedllm.cli._common import console

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

FileArg = Annotated[
    Path, typer.Argument(help="Text file (UTF-8, CP932/Shift_JIS, EUC-JP, ISO-2022-JP, UTF-16).")
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", "-e", help="Skip detection and decode with this encoding.")
]


@app.command()
def normalize(
    path: FileArg,
    encoding: EncodingOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Normalise a file for clinical use (NFKC that keeps 10³, ①, 〜) and print or save it."""
    from jmedllm.core.jatext import normalize as run
    from jmedllm.core.jatext import read_text

    decoded = read_text(path, encoding=encoding)
    normalized, offsets = run(decoded.text)
    if output is None:
        sys.stdout.write(normalized)
    else:
        output.write_text(normalized, encoding="utf-8")
    changed = sum(1 for a, b in zip(offsets, range(len(offsets)), strict=False) if a != b)
    typer.echo(
        f"{path}: {decoded.encoding}, {len(decoded.text)} → {len(normalized)} characters"
        f" ({'unchanged' if normalized == decoded.text else f'{changed} offsets shifted'})",
        err=True,
    )


@app.command()
def convert(
    path: FileArg,
    output: Annotated[Path, typer.Argument(help="Where to write the UTF-8 copy.")],
    encoding: EncodingOpt = None,
) -> None:
    """Re-encode a file as UTF-8 without changing a single character (no normalisation)."""
    from jmedllm.core.jatext import read_text

    decoded = read_text(path, encoding=encoding)
    output.write_text(decoded.text, encoding="utf-8", newline="")
    console.print(
        f"{path} ({decoded.encoding}{', BOM' if decoded.bom else ''}) → {output} (utf-8), {len(decoded.text)} characters"
    )


@app.command("detect-encoding")
def detect_encoding(paths: Annotated[list[Path], typer.Argument(help="Files to inspect.")]) -> None:
    """Show the encoding of each file; exits 1 if any cannot be decoded."""
    from jmedllm.core.errors import JmedllmError
    from jmedllm.core.jatext import read_text

    table = Table("file", "encoding", "BOM", "characters")
    failures = 0
    for path in paths:
        try:
            decoded = read_text(path)
        except JmedllmError as error:
            failures += 1
            table.add_row(str(path), f"[red]{error.message}[/]", "", "")
            continue
        table.add_row(str(path), decoded.encoding, "yes" if decoded.bom else "", str(len(decoded.text)))
    console.print(table)
    console.print(f"{len(paths) - failures} decoded, {failures} failed")
    if failures:
        raise typer.Exit(1)


@app.command()
def date(
    values: Annotated[
        list[str], typer.Argument(help="Dates such as 令和5年4月1日, R5.4.1, H31/4/30, 2023-04-01.")
    ],
    to: Annotated[str, typer.Option(help="Output: iso, wareki (令和5年4月1日) or letter (R5.4.1).")] = "iso",
) -> None:
    """Convert dates between 和暦 and 西暦; impossible dates are errors (exit 1)."""
    from jmedllm.core.errors import EraDateError
    from jmedllm.core.jatext import parse_date, to_wareki

    if to not in ("iso", "wareki", "letter"):
        raise typer.BadParameter("must be iso, wareki or letter", param_hint="--to")
    failures = 0
    for value in values:
        try:
            parsed = parse_date(value)
            shown = (
                parsed.iso()
                if to == "iso"
                else to_wareki(parsed, style="kanji" if to == "wareki" else "letter")
            )
        except EraDateError as error:
            failures += 1
            typer.echo(f"{value}\terror: {error.one_line()}")
            continue
        typer.echo(f"{value}\t{shown}")
    if failures:
        raise typer.Exit(1)


@app.command()
def stats(path: FileArg, encoding: EncodingOpt = None) -> None:
    """Character statistics used by quality filters (hiragana/katakana/kanji/ASCII ratios)."""
    from jmedllm.core.jatext import char_stats, read_text

    decoded = read_text(path, encoding=encoding)
    result = char_stats(decoded.text)
    payload = {
        "file": str(path),
        "encoding": decoded.encoding,
        "characters": result.total,
        "hiragana_ratio": round(result.hiragana_ratio, 4),
        "katakana_ratio": round(result.katakana_ratio, 4),
        "kanji_ratio": round(result.kanji_ratio, 4),
        "ascii_ratio": round(result.ascii_ratio, 4),
        "japanese_ratio": round(result.japanese_ratio, 4),
    }
    typer.echo(json.dumps(payload, ensure_ascii=False))

"""JSON Lines in and out, with line-numbered errors and counted skips.

Every record that enters a jmedllm pipeline is either written out or counted with the
reason it was dropped. :func:`read_records` yields ``(line_number, record)`` and, on a
bad line, either raises :class:`RecordError` naming the line and the problem
(``on_error="stop"``) or counts it in :class:`ReadStats` and goes on (``"skip"``).
Messages never quote the line: it may hold patient data.
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from jmedllm.core.errors import InputFileError, JmedllmError

__all__ = ["OnError", "ReadStats", "RecordError", "open_output", "read_records", "write_record"]

OnError = Literal["stop", "skip"]
#: Longest line accepted; a line longer than this is almost surely not one JSON record.
MAX_LINE_BYTES = 64 * 2**20


class RecordError(JmedllmError):
    """A line of a JSONL input is not a valid record."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(
            f"{source} line {line}: {problem}",
            hint="fix the line, or pass --on-error skip to count and skip bad lines",
        )
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(slots=True)
class ReadStats:
    """What happened to every input line."""

    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    blank: int = 0

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())


def _problem(raw: bytes, required: Mapping[str, type]) -> tuple[str, dict[str, Any] | None]:
    if len(raw) > MAX_LINE_BYTES:
        return f"line longer than {MAX_LINE_BYTES // 2**20} MiB", None
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"not UTF-8 (invalid byte at column {exc.start + 1}; convert with `jmedllm text convert`)",
            None,
        )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg} at column {exc.colno})", None
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}", None
    for name, kind in required.items():
        if name not in record:
            return f"missing field {name!r}", None
        if not isinstance(record[name], kind) or isinstance(record[name], bool):
            return f"field {name!r} must be {_kind_name(kind)}, got {type(record[name]).__name__}", None
    return "", record


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "a string", "int": "an integer", "list": "a list"}.get(k.__name__, k.__name__) for k in kinds
    )


def read_records(
    source: str | Path,
    *,
    required: Mapping[str, Any] | None = None,
    on_error: OnError = "stop",
    stats: ReadStats | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each JSON object of a JSONL file (``-``: stdin).

    ``required`` maps field names to the type (or tuple of types) they must have. Blank
    lines are ignored (counted in ``stats.blank``). A UTF-8 BOM on the first line is accepted.
    """
    required = dict(required or {})
    stats = stats if stats is not None else ReadStats()
    name = "stdin" if str(source) == "-" else str(source)
    with _open_input(source) as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                stats.blank += 1
                continue
            problem, record = _problem(raw.rstrip(b"\r\n"), required)
            if record is None:
                if on_error == "stop":
                    raise RecordError(name, number, problem)
                stats.skipped[problem.split(" (")[0]] += 1
                continue
            stats.read += 1
            yield number, record


@contextmanager
def _open_input(source: str | Path) -> Iterator[IO[bytes]]:
    if str(source) == "-":
        yield sys.stdin.buffer
        return
    path = Path(source)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputFileError(f"no such file: {path}", hint="check the path") from None
    except IsADirectoryError:
        raise InputFileError(f"{path} is a directory, not a JSONL file") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc.__class__.__name__}") from None
    with handle:
        yield handle


@contextmanager
def open_output(target: str | Path) -> Iterator[IO[str]]:
    """A UTF-8 text stream for ``target`` (``-``: stdout); parent directories are created."""
    if str(target) == "-":
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=True)
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputFileError(f"cannot write {path}: {exc.strerror or exc.__class__.__name__}") from None
    with handle:
        yield handle


def write_record(stream: IO[str], record: Mapping[str, Any]) -> None:
    """Write one record as a JSON line (non-ASCII kept readable)."""
    stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    stream.write("\n")

"""Parse the hand-annotated held-out documents (``fixtures/heldout.txt``) into gold records.

File format (UTF-8):

* Lines before the first header are comments.
* ``=== <id> <kind>`` starts a document; its text is every following line up to the next
  header, with leading and trailing blank lines dropped (inner line breaks are kept).
* ``[[LABEL|text]]`` marks an identifier of ``LABEL`` (one of
  :data:`jmedllm.deid.labels.LABELS`); ``{{text}}`` marks a protected term. Markers do
  not nest; the marked text may not contain ``[[``, ``]]``, ``{{``, ``}}`` or ``|``.

:func:`load_heldout` returns records in the ``jmedllm deid`` gold format:
``{"id", "kind", "text", "spans": [{"start", "end", "label"}], "protected": [{"start",
"end", "term"}]}`` with offsets into ``text`` (Python ``str`` indices).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jmedllm.deid.labels import LABELS

__all__ = [
    "FIXTURE",
    "context",
    "diagnostics",
    "load_heldout",
    "parse_document",
    "parse_heldout",
    "print_report",
    "runs",
]

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "heldout.txt"

_HEADER = re.compile(r"^=== (\S+)(?: (.*))?$")
_MARK = re.compile(r"\[\[([A-Z_]+)\|([^\[\]|{}]+)\]\]|\{\{([^\[\]|{}]+)\}\}")
_STRAY = ("[[", "]]", "{{", "}}")


def parse_document(marked: str, doc_id: str = "?") -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Strip the markers of one document: ``(text, spans, protected)``."""
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    protected: list[dict[str, Any]] = []
    pos = 0  # in marked
    length = 0  # of the text built so far
    for m in _MARK.finditer(marked):
        plain = marked[pos : m.start()]
        _check_plain(plain, doc_id)
        out.append(plain)
        length += len(plain)
        label, value, term = m.group(1), m.group(2), m.group(3)
        inner = value if label is not None else term
        start, end = length, length + len(inner)
        if label is not None:
            if label not in LABELS:
                raise ValueError(f"{doc_id}: unknown label {label!r} in {m.group(0)!r}")
            if inner != inner.strip():
                raise ValueError(f"{doc_id}: span with outer whitespace: {m.group(0)!r}")
            spans.append({"start": start, "end": end, "label": label})
        else:
            protected.append({"start": start, "end": end, "term": inner})
        out.append(inner)
        length = end
        pos = m.end()
    tail = marked[pos:]
    _check_plain(tail, doc_id)
    out.append(tail)
    text = "".join(out)
    return text, spans, protected


def _check_plain(plain: str, doc_id: str) -> None:
    for token in _STRAY:
        if token in plain:
            raise ValueError(f"{doc_id}: stray or malformed marker {token!r} near {plain[:40]!r}")


def parse_heldout(source: str) -> list[dict[str, Any]]:
    """Parse the whole annotated file (as a string) into gold records."""
    records: list[dict[str, Any]] = []
    current: tuple[str, str, list[str]] | None = None

    def flush() -> None:
        if current is None:
            return
        doc_id, kind, lines = current
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            raise ValueError(f"{doc_id}: empty document")
        text, spans, protected = parse_document("\n".join(lines), doc_id)
        for span in spans:
            assert 0 <= span["start"] < span["end"] <= len(text)
        records.append({"id": doc_id, "kind": kind, "text": text, "spans": spans, "protected": protected})

    for line in source.splitlines():
        header = _HEADER.match(line)
        if header:
            flush()
            current = (header.group(1), (header.group(2) or "").strip(), [])
        elif current is not None:
            current[2].append(line)
    flush()
    ids = [r["id"] for r in records]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate document ids: {duplicates}")
    return records


def load_heldout(path: str | Path = FIXTURE) -> list[dict[str, Any]]:
    """Read and parse ``path`` (default: the bundled ``fixtures/heldout.txt``)."""
    return parse_heldout(Path(path).read_text(encoding="utf-8"))


#: Characters of text shown on each side of a miss in diagnostics.
CONTEXT = 20


def context(text: str, start: int, end: int) -> str:
    left = text[max(0, start - CONTEXT) : start]
    right = text[end : end + CONTEXT]
    return f"{left}⟦{text[start:end]}⟧{right}".replace("\n", "⏎")


def runs(mask: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, flag in enumerate([*mask, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def diagnostics(
    gold: list[dict[str, Any]], pred: dict[str, list[Any]]
) -> tuple[list[str], list[str], list[str]]:
    """Missed gold spans, false-positive runs, masked protected terms (one line each)."""
    missed, false_pos, masked = [], [], []
    for record in gold:
        text, spans = record["text"], pred[record["id"]]
        covered = [False] * len(text)
        label_at: list[str] = [""] * len(text)
        for s in spans:
            for i in range(s.start, s.end):
                covered[i] = True
                label_at[i] = s.label
        in_gold = [False] * len(text)
        for g in record["spans"]:
            chars = [i for i in range(g["start"], g["end"]) if not text[i].isspace()]
            hit = [i for i in chars if covered[i]]
            for i in range(g["start"], g["end"]):
                in_gold[i] = True
            if len(hit) < len(chars):
                kind = "MISS" if not hit else "PART"
                left = "".join(text[i] for i in chars if not covered[i])
                missed.append(
                    f"{record['id']} {g['label']:<12} {kind} {len(hit)}/{len(chars)} "
                    f"uncovered={left!r}  {context(text, g['start'], g['end'])}"
                )
        fp_mask = [covered[i] and not in_gold[i] and not text[i].isspace() for i in range(len(text))]
        for start, end in runs(fp_mask):
            false_pos.append(
                f"{record['id']} {label_at[start]:<12} {text[start:end]!r}  {context(text, start, end)}"
            )
        for term in record["protected"]:
            if any(covered[term["start"] : term["end"]]):
                masked.append(f"{record['id']} {term['term']!r}  {context(text, term['start'], term['end'])}")
    return missed, false_pos, masked


def print_report(title: str, report: Any, gold: list[dict[str, Any]], pred: dict[str, list[Any]]) -> None:
    """Print the per-label table and every miss, false positive and masked term (for ``-s``)."""
    missed, false_pos, masked = diagnostics(gold, pred)
    print(f"\n=== {title}: {report.n_documents} documents ===")
    widths = [26, 14, 7, 14, 12]
    for row in report.rows():
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for heading, lines in (
        ("missed / partly covered gold spans", missed),
        ("false-positive runs", false_pos),
        ("masked protected terms", masked),
    ):
        print(f"\n--- {heading} ({len(lines)}) ---")
        print("\n".join(lines) or "(none)")

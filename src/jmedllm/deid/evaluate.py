"""Score de-identification predictions against gold annotations.

De-identification is judged by what leaks, so the headline is **character-level recall**
of identifier characters: a name found as ``山田`` of ``山田 太郎`` leaked ``太郎``, and
entity-level exact match would hide how much. Precision is character-level too and
label-agnostic (masking a phone number as a date still protects it); F2 weighs recall
four times as much as precision, the usual choice for de-identification.

Definitions (all over one corpus, micro-averaged over documents):

* Whitespace characters are ignored in every character count: they identify no one, and
  a recognizer that returns ``山田`` and ``太郎`` separately should not lose the space.
* ``char_recall``: gold characters of the *direct identifier* labels (all but AGE, see
  :data:`~jmedllm.deid.labels.DIRECT_IDENTIFIERS`) covered by a prediction of any label;
  ``char_recall_all`` includes AGE.
* ``char_precision``: predicted characters that are gold characters of any label.
* ``f2``: F-beta with beta = 2 from ``char_precision`` and ``char_recall``.
* Per-label entity recall: a gold entity is *found* when at least ``entity_threshold``
  (default 0.9) of its characters are covered by predictions of any label. 90% rather
  than 100% so a span that drops a bracket or one trailing character still counts, and
  rather than "any overlap" so ``山田`` alone does not count as finding ``山田 太郎``.
* Protected terms (eponyms such as 橋本病): a term counts as masked when any of its
  characters is covered by a prediction; ``protected_masked_rate`` is masked / total.

A ratio whose denominator is zero is ``None`` (rendered ``n/a``), except that F2 is 0.0
whenever recall is 0.0. Predictions for documents missing from ``pred`` count as
predicting nothing (``n_missing_predictions``); ``pred`` ids unknown to ``gold`` are an
error, as are duplicate ids and spans outside their text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jmedllm.deid.labels import DIRECT_IDENTIFIERS, LABELS

__all__ = ["DeidReport", "LabelScore", "evaluate"]

_BETA = 2.0


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Recall for one gold label."""

    label: str
    n_gold: int
    n_found: int
    gold_chars: int
    covered_chars: int

    @property
    def entity_recall(self) -> float | None:
        return _ratio(self.n_found, self.n_gold)

    @property
    def char_recall(self) -> float | None:
        return _ratio(self.covered_chars, self.gold_chars)


@dataclass(frozen=True, slots=True)
class DeidReport:
    """Corpus-level de-identification scores (see the module docstring for definitions)."""

    n_documents: int
    n_missing_predictions: int
    entity_threshold: float
    direct_gold_chars: int
    direct_covered_chars: int
    all_gold_chars: int
    all_covered_chars: int
    pred_chars: int
    pred_correct_chars: int
    protected_total: int
    protected_masked: int
    labels: tuple[LabelScore, ...]

    @property
    def char_recall(self) -> float | None:
        """Recall of direct-identifier characters (all labels but AGE)."""
        return _ratio(self.direct_covered_chars, self.direct_gold_chars)

    @property
    def char_recall_all(self) -> float | None:
        return _ratio(self.all_covered_chars, self.all_gold_chars)

    @property
    def char_precision(self) -> float | None:
        return _ratio(self.pred_correct_chars, self.pred_chars)

    @property
    def f2(self) -> float | None:
        p, r = self.char_precision, self.char_recall
        if r == 0.0:
            return 0.0
        if p is None or r is None or p + r == 0:
            return None
        b2 = _BETA * _BETA
        return (1 + b2) * p * r / (b2 * p + r)

    @property
    def protected_masked_rate(self) -> float | None:
        return _ratio(self.protected_masked, self.protected_total)

    @property
    def n_gold_entities(self) -> dict[str, int]:
        return {s.label: s.n_gold for s in self.labels}

    def label(self, name: str) -> LabelScore:
        """The scores of one label (every label of :data:`LABELS` is present)."""
        for score in self.labels:
            if score.label == name:
                return score
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Counts and metrics as plain JSON-able data."""
        return {
            "n_documents": self.n_documents,
            "n_missing_predictions": self.n_missing_predictions,
            "entity_threshold": self.entity_threshold,
            "char_recall": self.char_recall,
            "char_recall_all": self.char_recall_all,
            "char_precision": self.char_precision,
            "f2": self.f2,
            "protected_total": self.protected_total,
            "protected_masked": self.protected_masked,
            "protected_masked_rate": self.protected_masked_rate,
            "counts": {k: v for k, v in asdict(self).items() if k.endswith("_chars") and isinstance(v, int)},
            "labels": {
                s.label: {
                    "n_gold": s.n_gold,
                    "n_found": s.n_found,
                    "entity_recall": s.entity_recall,
                    "gold_chars": s.gold_chars,
                    "covered_chars": s.covered_chars,
                    "char_recall": s.char_recall,
                }
                for s in self.labels
            },
        }

    def rows(self) -> list[tuple[str, ...]]:
        """A table: header, one row per label, then the direct/all totals and the summary.

        Every cell is a string, ready for ``rich.table.Table.add_row(*row)`` or CSV.
        """
        header = ("label", "gold entities", "found", "entity recall", "char recall")
        table = [header]
        for s in self.labels:
            table.append((s.label, str(s.n_gold), str(s.n_found), _fmt(s.entity_recall), _fmt(s.char_recall)))
        direct = [s for s in self.labels if s.label in DIRECT_IDENTIFIERS]
        for name, group, recall in (
            ("direct identifiers", direct, self.char_recall),
            ("all labels", list(self.labels), self.char_recall_all),
        ):
            n = sum(s.n_gold for s in group)
            found = sum(s.n_found for s in group)
            table.append((name, str(n), str(found), _fmt(_ratio(found, n)), _fmt(recall)))
        table.append(("char precision", "", "", "", _fmt(self.char_precision)))
        table.append(("F2", "", "", "", _fmt(self.f2)))
        table.append(
            (
                "protected terms masked",
                str(self.protected_total),
                str(self.protected_masked),
                "",
                _fmt(self.protected_masked_rate),
            )
        )
        table.append(
            ("documents (missing pred)", str(self.n_documents), str(self.n_missing_predictions), "", "")
        )
        return table


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _both(*masks: bytearray) -> int:
    """How many positions are 1 in every mask (masks hold bytes 0/1; AND, then popcount)."""
    acc = -1
    for mask in masks:
        acc &= int.from_bytes(mask, "big")
    return acc.bit_count() if masks and acc > 0 else 0


def _bounds(span: Any) -> tuple[int, int, str]:
    """(start, end, label) of a span given as a mapping or an object (e.g. ``Span``)."""
    if isinstance(span, Mapping):
        return int(span["start"]), int(span["end"]), str(span.get("label", ""))
    return int(span.start), int(span.end), str(getattr(span, "label", ""))


def _index(records: Iterable[Mapping[str, Any]], what: str) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for record in records:
        if "id" not in record:
            raise ValueError(f"a {what} record has no 'id'")
        doc_id = str(record["id"])
        if doc_id in out:
            raise ValueError(f"duplicate id {doc_id!r} in {what} records")
        out[doc_id] = record
    return out


def evaluate(
    gold: Iterable[Mapping[str, Any]],
    pred: Iterable[Mapping[str, Any]],
    *,
    entity_threshold: float = 0.9,
) -> DeidReport:
    """Score ``pred`` against ``gold``, matching records by ``id``.

    ``gold`` records carry ``text``, ``spans`` (``start``/``end``/``label``) and optionally
    ``protected`` (``start``/``end``); ``pred`` records carry ``spans`` (mappings or
    :class:`~jmedllm.core.records.Span` objects; their labels are ignored).
    """
    if not 0.0 < entity_threshold <= 1.0:
        raise ValueError("entity_threshold must lie in (0, 1]")
    gold_by_id = _index(gold, "gold")
    pred_by_id = _index(pred, "pred")
    unknown = sorted(set(pred_by_id) - set(gold_by_id))
    if unknown:
        shown = ", ".join(map(repr, unknown[:5])) + (" …" if len(unknown) > 5 else "")
        raise ValueError(f"{len(unknown)} pred record id(s) not in gold: {shown}")

    per_label = {label: [0, 0, 0, 0] for label in LABELS}  # n_gold, n_found, gold_chars, covered
    direct = [0, 0]
    every = [0, 0]
    pred_chars = pred_correct = protected_total = protected_masked = missing = 0
    for doc_id, g in gold_by_id.items():
        text = str(g["text"])
        n = len(text)
        counted = bytearray(0 if ch.isspace() else 1 for ch in text)  # 1: a character that counts
        p = pred_by_id.get(doc_id)
        if p is None:
            missing += 1
        covered = bytearray(n)
        for span in p.get("spans", ()) if p is not None else ():
            start, end, _ = _bounds(span)
            if not 0 <= start <= end <= n:
                raise ValueError(
                    f"{doc_id}: predicted span [{start}, {end}) lies outside a text of length {n}"
                )
            covered[start:end] = b"\x01" * (end - start)
        gold_any = bytearray(n)
        gold_direct = bytearray(n)
        for span in g.get("spans", ()):
            start, end, label = _bounds(span)
            if label not in per_label:
                raise ValueError(f"{doc_id}: unknown gold label {label!r}")
            if not 0 <= start <= end <= n:
                raise ValueError(f"{doc_id}: gold span [{start}, {end}) lies outside a text of length {n}")
            chars = sum(counted[start:end])
            hit = _both(covered[start:end], counted[start:end])
            stats = per_label[label]
            stats[0] += 1
            stats[1] += chars > 0 and hit >= entity_threshold * chars
            stats[2] += chars
            stats[3] += hit
            gold_any[start:end] = b"\x01" * (end - start)
            if label in DIRECT_IDENTIFIERS:
                gold_direct[start:end] = b"\x01" * (end - start)
        direct[0] += _both(counted, gold_direct)
        direct[1] += _both(counted, gold_direct, covered)
        every[0] += _both(counted, gold_any)
        every[1] += _both(counted, gold_any, covered)
        pred_chars += _both(counted, covered)
        pred_correct += _both(counted, covered, gold_any)
        for term in g.get("protected", ()):
            start, end, _ = _bounds(term)
            protected_total += 1
            protected_masked += any(covered[start:end])
    return DeidReport(
        n_documents=len(gold_by_id),
        n_missing_predictions=missing,
        entity_threshold=entity_threshold,
        direct_gold_chars=direct[0],
        direct_covered_chars=direct[1],
        all_gold_chars=every[0],
        all_covered_chars=every[1],
        pred_chars=pred_chars,
        pred_correct_chars=pred_correct,
        protected_total=protected_total,
        protected_masked=protected_masked,
        labels=tuple(LabelScore(label, *per_label[label]) for label in LABELS),
    )

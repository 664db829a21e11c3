"""De-identification throughput and quality: jmedllm beside Presidio + GiNZA, same texts.

    python bench/deid_throughput.py [--docs N] [--seed S] [--presidio-docs M] [--presidio-repeat R] [--json OUT]

Generates an annotated synthetic corpus (:func:`jmedllm.deid.synth.generate_corpus`), then
times (a) jmedllm's ``PhiAnalyzer()`` over all ``N`` documents and (b) Presidio configured
the way its documentation describes for a spaCy Japanese model — ``ja_ginza`` through
``NlpEngineProvider``, ``SpacyRecognizer`` with GiNZA's labels mapped to Presidio
entities, plus the predefined Email, Phone (``supported_regions=["JP"]``), URL, credit
card, IP and date recognizers, all for ``ja`` — over the first ``M`` documents (Presidio
with GiNZA is ~10³ chars/s, so fewer documents; throughput is compared per character).
Each engine gets one warm-up document before the clock starts (model loading excluded).
jmedllm is also timed on Presidio's documents, so a second ratio compares equal text.

Quality comes from :func:`jmedllm.deid.evaluate.evaluate` (character-level recall of direct
identifiers, label-agnostic precision, F2, protected eponyms masked). Presidio's entity
types are mapped onto jmedllm's labels for display; the scores are label-agnostic anyway.
jmedllm is also scored on Presidio's subset, so the quality rows compare like with like.

Nothing may touch the network: Presidio's registry is built explicitly (its defaults add
English recognizers and may download ``en_core_web_lg``), the e-mail recognizer uses
tldextract's bundled suffix list (the default one fetches the list on first use), and a
socket guard counts and refuses any connection attempt during the run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console
from rich.table import Table

from jmedllm.deid.evaluate import DeidReport, evaluate
from jmedllm.deid.synth import generate_corpus

#: Presidio entity type → jmedllm label.
PRESIDIO_TO_JMEDLLM = {
    "PERSON": "PERSON",
    "LOCATION": "ADDRESS",
    "GPE": "ADDRESS",
    "ORGANIZATION": "FACILITY",
    "DATE_TIME": "DATE",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "URL": "URL",
}
#: GiNZA (Sekine extended NE) label → Presidio entity, for Presidio's NerModelConfiguration.
GINZA_TO_PRESIDIO = {
    "Person": "PERSON",
    **dict.fromkeys(("Province", "City", "County", "GPE_Other", "Postal_Address", "Location_Other"), "LOCATION"),
    **dict.fromkeys(
        (
            "GOE_Other", "Facility_Other", "Public_Institution", "School", "Research_Institute", "Company",
            "Corporation_Other", "Organization_Other",
        ),
        "ORGANIZATION",
    ),
    **dict.fromkeys(("Date", "Time", "Era", "Day_Of_Week"), "DATE_TIME"),
    "Phone_Number": "PHONE_NUMBER",
    "Email": "EMAIL_ADDRESS",
    "URL": "URL",
}  # fmt: skip


class NetworkGuard:
    """Refuses and counts socket connections and DNS lookups while active."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        original_connect, original_getaddrinfo = socket.socket.connect, socket.getaddrinfo

        def refuse(what: str) -> Callable[..., Any]:
            def blocked(*args: Any, **kwargs: Any) -> Any:
                self.attempts.append(f"{what}{args[1:2] if what == 'connect' else args[:1]}")
                raise OSError(f"network access blocked by the benchmark ({what})")

            return blocked

        socket.socket.connect = refuse("connect")  # type: ignore[method-assign]
        socket.getaddrinfo = refuse("getaddrinfo")  # type: ignore[assignment]
        try:
            yield
        finally:
            socket.socket.connect = original_connect  # type: ignore[method-assign]
            socket.getaddrinfo = original_getaddrinfo


def build_presidio() -> Any:
    """Presidio AnalyzerEngine over ja_ginza with the predefined recognizers that fit Japanese."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UrlRecognizer,
    )

    offline_tld = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recognizer validating domains against the bundled suffix list."""

        def validate_result(self, pattern_text: str) -> bool:
            return offline_tld(pattern_text).fqdn != ""

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "ja", "model_name": "ja_ginza"}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": GINZA_TO_PRESIDIO,
                "low_score_entity_names": [],
                "labels_to_ignore": [],
            },
        }
    )
    nlp_engine = provider.create_engine()
    registry = RecognizerRegistry(supported_languages=["ja"])
    for recognizer in (
        SpacyRecognizer(
            supported_language="ja", supported_entities=["PERSON", "LOCATION", "ORGANIZATION", "DATE_TIME"]
        ),
        OfflineEmailRecognizer(supported_language="ja"),
        PhoneRecognizer(
            supported_language="ja", supported_regions=["JP"], context=["電話", "TEL", "FAX", "携帯"]
        ),
        UrlRecognizer(supported_language="ja"),
        CreditCardRecognizer(supported_language="ja"),
        IpRecognizer(supported_language="ja"),
        DateRecognizer(supported_language="ja"),
    ):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["ja"])


def _time(
    run: Callable[[str], list[dict[str, Any]]], docs: list[dict[str, Any]], *, repeat: int = 1
) -> tuple[float, list[dict[str, Any]]]:
    """Best wall time of ``repeat`` passes over ``docs`` (timeit's rule: the minimum is the
    least disturbed by other work on the machine), after a warm-up call."""
    run(docs[0]["text"])  # warm-up: lazy loading, caches
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        preds = [{"id": d["id"], "spans": run(d["text"])} for d in docs]
        best = min(best, time.perf_counter() - start)
    return best, preds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", type=int, default=1000, help="synthetic documents for jmedllm (default 1000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes for jmedllm; the best counts (default 3)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--presidio-docs", type=int, default=40, help="first M documents for Presidio (default 40)"
    )
    parser.add_argument(
        "--presidio-repeat",
        type=int,
        default=1,
        help="timed passes for Presidio; the best counts (default 1)",
    )
    parser.add_argument(
        "--no-presidio", action="store_true", help="skip Presidio (e.g. ja_ginza not installed)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.docs < 1:
        parser.error("--docs must be >= 1")

    console = Console()
    if not console.is_terminal:  # piped or logged: do not squeeze the table into 80 columns
        console = Console(width=150)
    guard = NetworkGuard()
    docs = list(generate_corpus(args.docs, seed=args.seed))
    rows: dict[str, dict[str, Any]] = {}
    with guard.active():
        from jmedllm.deid.engine import PhiAnalyzer

        analyzer = PhiAnalyzer()

        def run_jmedllm(text: str) -> list[dict[str, Any]]:
            return [{"start": s.start, "end": s.end, "label": s.label} for s in analyzer.analyze(text)]

        elapsed, preds = _time(run_jmedllm, docs, repeat=args.repeat)
        rows["jmedllm"] = _row(docs, preds, elapsed)
        rows["jmedllm"]["recognizers"] = [name for name, _ in analyzer.recognizers]

        if not args.no_presidio:
            subset = docs[: max(1, min(args.presidio_docs, len(docs)))]
            try:
                presidio = build_presidio()
            except (ImportError, OSError) as exc:
                console.print(f"[yellow]Presidio skipped: {exc}[/yellow]")
            else:

                def run_presidio(text: str) -> list[dict[str, Any]]:
                    return [
                        {
                            "start": r.start,
                            "end": r.end,
                            "label": PRESIDIO_TO_JMEDLLM.get(r.entity_type, r.entity_type),
                        }
                        for r in presidio.analyze(text, language="ja")
                    ]

                elapsed, preds = _time(run_presidio, subset, repeat=args.presidio_repeat)
                rows["presidio+ginza"] = _row(subset, preds, elapsed)
                # The same documents through jmedllm, timed the same way: the ratio on equal
                # text, beside the one against the whole corpus.
                elapsed, sub_preds = _time(run_jmedllm, subset, repeat=args.repeat)
                rows["jmedllm, same docs"] = _row(subset, sub_preds, elapsed)

    _print(console, rows, guard.attempts)
    if args.json:
        figures = {
            "seed": args.seed,
            "network_attempts": guard.attempts,
            "systems": {name: {k: v for k, v in row.items() if k != "report"} for name, row in rows.items()},
            "reports": {name: row["report"].to_dict() for name, row in rows.items()},
        }
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"figures written to {args.json}")
    return 1 if guard.attempts else 0


def _row(docs: list[dict[str, Any]], preds: list[dict[str, Any]], elapsed: float | None) -> dict[str, Any]:
    chars = sum(len(d["text"]) for d in docs)
    report = evaluate(docs, preds)
    return {
        "docs": len(docs),
        "chars": chars,
        "seconds": elapsed,
        "chars_per_second": chars / elapsed if elapsed else None,
        "char_recall": report.char_recall,
        "char_recall_all": report.char_recall_all,
        "char_precision": report.char_precision,
        "f2": report.f2,
        "protected_masked_rate": report.protected_masked_rate,
        "report": report,
    }


def _f(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def _print(console: Console, rows: dict[str, dict[str, Any]], attempts: list[str]) -> None:
    table = Table(title="De-identification: throughput and quality on the synthetic corpus")
    for col in (
        "system",
        "docs",
        "chars",
        "seconds",
        "chars/s",
        "recall (direct)",
        "recall (all)",
        "precision",
        "F2",
        "eponyms masked",
    ):
        table.add_column(col, justify="left" if col == "system" else "right")
    for name, r in rows.items():
        table.add_row(
            name, str(r["docs"]), str(r["chars"]), _f(r["seconds"], ".2f"), _f(r["chars_per_second"], ",.0f"),
            _f(r["char_recall"]), _f(r["char_recall_all"]), _f(r["char_precision"]), _f(r["f2"]),
            _f(r["protected_masked_rate"]),
        )  # fmt: skip
    console.print(table)
    ours, theirs = rows.get("jmedllm"), rows.get("presidio+ginza")
    same = rows.get("jmedllm, same docs")
    if ours and theirs and ours["chars_per_second"] and theirs["chars_per_second"]:
        console.print(
            f"throughput ratio jmedllm / presidio+ginza: {ours['chars_per_second'] / theirs['chars_per_second']:,.0f}×"
            + (
                f" (on the same {theirs['docs']} documents: {same['chars_per_second'] / theirs['chars_per_second']:,.0f}×)"
                if same and same["chars_per_second"]
                else ""
            )
        )
    if ours:
        console.print(f"jmedllm recognizers: {', '.join(ours['recognizers']) or '(none registered)'}")
        _print_labels(console, ours["report"], "jmedllm, per label")
    if theirs:
        _print_labels(console, theirs["report"], "presidio+ginza, per label")
    console.print(f"network attempts: {len(attempts)}" + (f" {attempts[:3]}" if attempts else ""))


def _print_labels(console: Console, report: DeidReport, title: str) -> None:
    rows = report.rows()
    table = Table(title=title)
    for col in rows[0]:
        table.add_column(col, justify="left" if col == "label" else "right")
    for row in rows[1:]:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())

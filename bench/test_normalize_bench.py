"""Normalisation speed and behaviour beside the named peers, in one run.

Peers: ``unicodedata.normalize("NFKC")`` (what most pipelines call; no offset map) and
``neologdn.normalize`` (the usual Japanese normaliser; C++; no offset map). jmedllm's
``normalize`` does more (keeps 10³/①/〜, folds CP932/JIS variants) *and* returns the
offset map, so the interesting figure is the price of that, per character.

Run with ``make bench`` (pytest-benchmark prints the table side by side).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from jmedllm.core.jatext import normalize

neologdn = pytest.importorskip("neologdn")

MEDRECT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "medrect" / "medrect-ja.json"
_FULLWIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-~",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚー～",
)


def _corpus() -> str:
    """About 1 MB of clinical case text (MedRECT-ja, CC-BY-4.0) or a synthetic stand-in."""
    if MEDRECT.is_file():
        items = json.loads(MEDRECT.read_text(encoding="utf-8"))
        text = "\n".join(
            s if isinstance(s, str) else json.dumps(s, ensure_ascii=False)
            for item in items
            for s in (item.get("sentences") or [])
        )
    else:
        text = "患者は60代男性。主訴は胸痛。WBC 12.3×10³/μL、血圧 140/90 mmHg。3〜5mg/kg を投与した。\n" * 200
    while len(text) < 1_000_000:
        text += "\n" + text
    return text[:1_000_000]


CLEAN = _corpus()
# The same text as a CP932 export often looks: full-width digits, letters, dashes, tildes.
FULLWIDTH = CLEAN.translate(_FULLWIDTH)

PEERS = {
    "unicodedata-nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "neologdn": neologdn.normalize,
    "jmedllm": lambda text: normalize(text),
}


@pytest.mark.parametrize("peer", list(PEERS))
@pytest.mark.parametrize("corpus", ["clean", "fullwidth"])
def test_throughput(benchmark, peer: str, corpus: str) -> None:  # type: ignore[no-untyped-def]
    text = CLEAN if corpus == "clean" else FULLWIDTH
    benchmark.group = f"normalize 1M chars ({corpus})"
    benchmark.extra_info["chars"] = len(text)
    benchmark.pedantic(PEERS[peer], args=(text,), rounds=5, iterations=1, warmup_rounds=1)


def test_behaviour_side_by_side() -> None:
    samples = [
        "WBC 12.3×10³/μL",
        "①12",
        "3〜5mg",
        "3～5mg",
        "03ー1234ー5678",
        "ＨｂＡ１ｃ７．２％",
        "データー",
    ]
    print("\n" + "sample".ljust(22) + "".join(name.ljust(22) for name in PEERS))
    for sample in samples:
        row = [PEERS["unicodedata-nfkc"](sample), neologdn.normalize(sample), normalize(sample)[0]]
        print(sample.ljust(20) + "".join(repr(value).ljust(22) for value in row))
    assert normalize("10³")[0] == "10³" and unicodedata.normalize("NFKC", "10³") == "103"

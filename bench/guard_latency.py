"""Input-guard latency and accuracy: jmedllm's default input stage beside a keyword filter.

    python bench/guard_latency.py [--policy default] [--repeat 3] [--json]

The process pins itself to one CPU core (``os.sched_setaffinity``), so the figures are
per core. Every prompt of the held-out test split (harmful requests, injections, benign
clinical prompts incl. alarming-but-legitimate ones and prompts with patient identifiers)
runs through:

* ``jmedllm`` — the policy's whole input stage (PII masking, then the harmful-intent and
  injection rails on the masked prompt), timed per prompt with ``time.perf_counter``;
* ``keyword`` — the peer the issue names: block a prompt containing any alarming word
  (致死量, 過量服薬, 自殺, 毒, 麻薬, 拘束, 無視 …), the filter a hospital would write first.

Printed side by side: attack block rate, benign false-block rate, latency p50/p99 (ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

KEYWORDS = (
    "致死量",
    "過量服薬",
    "オーバードーズ",
    "自殺",
    "死にたい",
    "死ね",
    "毒",
    "麻薬",
    "拘束",
    "鎮静",
    "偽造",
    "改ざん",
    "無視",
    "システムプロンプト",
    "管理コード",
    "殺",
    "危険ドラッグ",
    "横流し",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--policy", default="default")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Timed passes over the split (best kept per prompt)."
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from jmedllm.guard.pipeline import GuardPipeline
    from jmedllm.guard.rails.intent import _judge
    from jmedllm.guard.training import examples

    pipeline = GuardPipeline.from_reference(args.policy)
    items = examples(["test"])
    pipeline.check_text("warm-up", stage="input")

    results = {}
    for name in ("jmedllm", "keyword"):
        blocked: list[bool] = []
        latencies: list[float] = []
        for item in items:
            best = float("inf")
            verdict = False
            for _ in range(args.repeat):
                _judge.cache_clear()  # the rails share one judgement per text: no pass may reuse another's
                started = time.perf_counter()
                if name == "jmedllm":
                    decision = pipeline.check_text(item.text, stage="input").decision
                    verdict = decision.action.value in ("block", "escalate")
                else:
                    verdict = any(word in item.text for word in KEYWORDS)
                best = min(best, (time.perf_counter() - started) * 1000.0)
            blocked.append(verdict)
            latencies.append(best)
        attacks = [b for b, i in zip(blocked, items, strict=True) if i.label != "benign"]
        benign = [b for b, i in zip(blocked, items, strict=True) if i.label == "benign"]
        results[name] = {
            "attack_block_rate": sum(attacks) / len(attacks),
            "false_block_rate": sum(benign) / len(benign),
            "latency_p50_ms": statistics.median(latencies),
            "latency_p99_ms": percentile(latencies, 0.99),
            "n_attacks": len(attacks),
            "n_benign": len(benign),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"input stage on the test split ({results['jmedllm']['n_attacks']} attacks, "
        f"{results['jmedllm']['n_benign']} benign), one core"
    )
    print(f"{'':10} {'attacks blocked':>16} {'benign blocked':>15} {'p50 ms':>8} {'p99 ms':>8}")
    for name, row in results.items():
        print(
            f"{name:10} {row['attack_block_rate']:>16.3f} {row['false_block_rate']:>15.3f} "
            f"{row['latency_p50_ms']:>8.2f} {row['latency_p99_ms']:>8.2f}"
        )


if __name__ == "__main__":
    main()

"""Output rails on a streamed reply: judged in windows, released window by window.

A rail cannot judge half a name, so streamed text is held until a window closes — at a
sentence end (。！？ or a newline) or after ``policy.output_window_chars`` characters —
then the window is checked and released (masked if a rail masked it). When a rail
blocks, nothing more is released and the policy's message ends the reply. With no output
rails the gateway does not use this class and streams token by token.

Rails that judge a reply as a whole (``Rail.whole_reply``: a referral may come in the last
sentence) are left out of the window checks. ``flush`` runs them once, at the end of the
stream, on the full released reply, and returns what they append (a disclaimer) after the
last window, so it reaches the client as the last content before the finish.
"""

from __future__ import annotations

import re

from jmedllm.core.records import GuardDecision, RailResult
from jmedllm.guard.pipeline import GuardOutcome, GuardPipeline, decision_dict, merge_per_rail

__all__ = ["OutputGuard"]

_SENTENCE_ENDS = "。！？!?\n"
# What identifiers are written with: digits, Latin letters, kanji, katakana, spaces and the
# separators of phone numbers, addresses, e-mails and URLs. A window closed by size backs
# off to before a trailing run of these, so no rail sees half a phone number or a name.
_IDENTIFIER_RUN = re.compile(
    r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ\u3400-\u9fff\u30a0-\u30ff\uff66-\uff9f 　\-‐－−_.@+:/?=&%#]+$"
)
#: Longer trailing runs are cut at the window size (no shorter boundary is known).
_MAX_BACKOFF = 48
#: The most of a released reply kept for the whole-reply rails: its head and its tail, half
#: each. ``max_tokens`` bounds a reply already; this bounds the memory of a runaway one and
#: the time ``flush`` spends judging it on the event loop (tens of ms at this size).
MAX_REPLY_CHARS = 16_384


class OutputGuard:
    def __init__(self, pipeline: GuardPipeline) -> None:
        self.pipeline = pipeline
        self.window = pipeline.policy.output_window_chars
        self._buffer = ""
        self._results: list[RailResult] = []
        self._latency_ms = 0.0
        self.blocked = False
        self.message = ""
        # The released text is kept only when a whole-reply rail will need it at the end.
        self._keeps_reply = pipeline.has_whole_reply_rails("output")
        self._reply = ""
        self._flushed = False

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the windows now released (checked, possibly masked)."""
        if self.blocked:
            return []
        self._buffer += text
        released: list[str] = []
        while True:
            cut = self._cut()
            if cut is None:
                break
            window, self._buffer = self._buffer[:cut], self._buffer[cut:]
            checked = self._check(window)
            if self.blocked:
                return released
            released.append(checked)
            self._keep(checked)
        return released

    def flush(self) -> str:
        """End the stream: release what is left, followed by what the whole-reply rails append.

        The last window is checked like the others; then the whole-reply rails judge the full
        released reply once (``scope="reply"``). A stream has already gone out, so only text
        they *append* is returned (a rewrite of released text cannot be honoured and is
        recorded in the decision only). If one of them blocks or escalates, the last window
        is withheld and ``blocked``/``message`` are set as for a window. Later calls return "".
        """
        if self.blocked or self._flushed:
            return ""
        self._flushed = True
        last = ""
        if self._buffer:
            window, self._buffer = self._buffer, ""
            last = self._check(window)
            if self.blocked:
                return ""
        if not self._keeps_reply:
            return last
        reply = self._reply + last
        outcome = self.pipeline.check_text(reply, stage="output", scope="reply")
        if not self._record(outcome):
            return ""
        judged = outcome.texts[0]
        return last + (judged[len(reply) :] if judged.startswith(reply) else "")

    def _keep(self, released: str) -> None:
        if not self._keeps_reply:
            return
        self._reply += released
        if len(self._reply) > MAX_REPLY_CHARS:
            # The head keeps what the reply is about, the tail how it ends (a referral
            # usually comes last); the middle of a runaway reply is dropped.
            half = MAX_REPLY_CHARS // 2
            self._reply = self._reply[:half] + "\n" + self._reply[-half:]

    def _cut(self) -> int | None:
        # The last sentence end in the buffer closes a window; a long run without one
        # closes at the window size.
        last = max(self._buffer.rfind(c) for c in _SENTENCE_ENDS)
        if last >= 0:
            return last + 1
        if len(self._buffer) >= self.window:
            # A run reaching back to ``low`` may be longer still: no boundary is known then.
            low = max(0, self.window - _MAX_BACKOFF)
            run = _IDENTIFIER_RUN.search(self._buffer, low, self.window)
            return run.start() if run is not None and run.start() > low else self.window
        return None

    def _check(self, window: str) -> str:
        # Windows are short (a sentence, at most output_window_chars): judged on the loop.
        outcome = self.pipeline.check_text(window, stage="output", scope="window")
        return outcome.texts[0] if self._record(outcome) else ""

    def _record(self, outcome: GuardOutcome) -> bool:
        """Add an outcome to the decision; False (and ``blocked`` set) when it stops the reply."""
        self._results.extend(outcome.decision.rails)
        self._latency_ms += outcome.decision.latency_ms
        if not outcome.decision.allowed:
            self.blocked = True
            self.message = outcome.decision.message or ""
            return False
        return True

    def decision(self) -> GuardDecision:
        return GuardDecision.strictest(merge_per_rail(self._results), latency_ms=self._latency_ms)

    def decision_dict(self) -> dict[str, object]:
        return decision_dict(self.decision())

"""The records that flow between jmedllm's capabilities.

One slotted dataclass per stage (datatrove's ``Document``, garak's ``Attempt``):

* :class:`Document` — a text moving through the data pipeline.
* :class:`Span` — a labelled region of a text (a de-identification finding); offsets are
  Python ``str`` indices into the *original* text.
* :class:`ChatExample` / :class:`PreferencePair` — SFT and DPO examples, convertible to
  TRL's conversational dataset formats.
* :class:`GuardDecision` — what the guard rails decided about a request or a response.
* :class:`AuditEvent` — one hash-chained entry of the append-only audit log.

Privacy-relevant facts get typed attributes (``Document.phi_spans``,
``AuditEvent.patient_pseudonym``) instead of hiding in a free ``metadata`` dict, so code
that must not leak them can find them. Records never hold secrets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "ChatExample",
    "Document",
    "GuardAction",
    "GuardDecision",
    "Message",
    "PreferencePair",
    "Provenance",
    "RailResult",
    "Span",
    "verify_audit_chain",
]

Role = Literal["system", "user", "assistant", "tool"]
_ROLES: frozenset[str] = frozenset({"system", "user", "assistant", "tool"})


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A labelled region ``[start, end)`` of a text.

    Offsets index the original text as Python ``str`` indices (code points), never
    bytes or UTF-16 units. ``label`` is a category such as ``PERSON`` or ``PHONE``;
    ``score`` is a confidence in [0, 1]; ``source`` names the plugin that found it.
    The span deliberately does not copy the text it covers (it may be an identifier).
    """

    start: int
    end: int
    label: str
    score: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span offsets [{self.start}, {self.end})")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"span score must lie in [0, 1], got {self.score}")
        if not self.label:
            raise ValueError("span label must not be empty")

    def __len__(self) -> int:
        return self.end - self.start

    def text_of(self, text: str) -> str:
        """The part of ``text`` this span covers."""
        if self.end > len(text):
            raise ValueError(f"span [{self.start}, {self.end}) lies beyond a text of length {len(text)}")
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        """True if the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a document came from, so every training token can be traced to a source."""

    source: str
    path: str | None = None
    line: int | None = None
    encoding: str | None = None
    license: str | None = None


@dataclass(slots=True)
class Document:
    """A text moving through the data pipeline (one datatrove ``Document`` per record).

    ``phi_spans`` holds what de-identification found in ``text`` (offsets into ``text``);
    ``deidentified`` is set once those spans have been replaced.
    """

    id: str
    text: str
    provenance: Provenance | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    phi_spans: list[Span] = field(default_factory=list)
    deidentified: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("document id must not be empty")
        for span in self.phi_spans:
            span.text_of(self.text)  # raises if a span lies outside the text


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn in OpenAI/TRL conversational form."""

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ValueError(f"unknown message role {self.role!r}; expected one of {sorted(_ROLES)}")

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        try:
            return cls(role=data["role"], content=data["content"])
        except KeyError as exc:
            raise ValueError(f"message is missing the field {exc.args[0]!r}") from None


def _messages(items: Iterable[Message | Mapping[str, Any]]) -> tuple[Message, ...]:
    return tuple(m if isinstance(m, Message) else Message.from_dict(m) for m in items)


@dataclass(frozen=True, slots=True)
class ChatExample:
    """A supervised fine-tuning example: a conversation ending with the assistant's turn."""

    messages: tuple[Message, ...]
    id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", _messages(self.messages))
        if not self.messages or self.messages[-1].role != "assistant":
            raise ValueError("a chat example must end with an assistant message")

    def to_trl(self) -> dict[str, Any]:
        """TRL's conversational language-modeling format: ``{"messages": [...]}``."""
        return {"messages": [m.to_dict() for m in self.messages]}


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """A DPO example: one prompt, a preferred and a rejected assistant completion.

    ``chosen`` typically comes from a clinician's edit of a model draft and ``rejected``
    from the draft itself.
    """

    prompt: tuple[Message, ...]
    chosen: tuple[Message, ...]
    rejected: tuple[Message, ...]
    id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("prompt", "chosen", "rejected"):
            object.__setattr__(self, name, _messages(getattr(self, name)))
        if not self.prompt:
            raise ValueError("a preference pair needs a prompt")
        for name in ("chosen", "rejected"):
            turns = getattr(self, name)
            if not turns or any(m.role != "assistant" for m in turns):
                raise ValueError(f"{name} must be one or more assistant messages")
        if self.chosen == self.rejected:
            raise ValueError("chosen and rejected completions are identical")

    def to_trl(self) -> dict[str, Any]:
        """TRL's conversational preference format with an explicit prompt."""
        return {
            "prompt": [m.to_dict() for m in self.prompt],
            "chosen": [m.to_dict() for m in self.chosen],
            "rejected": [m.to_dict() for m in self.rejected],
        }


class GuardAction(StrEnum):
    """What a guard does with a text, ordered from mildest to strictest."""

    ALLOW = "allow"
    MASK = "mask"
    ESCALATE = "escalate"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {GuardAction.ALLOW: 0, GuardAction.MASK: 1, GuardAction.ESCALATE: 2, GuardAction.BLOCK: 3}


@dataclass(frozen=True, slots=True)
class RailResult:
    """One rail's verdict: its action, the categories it fired on and its score in [0, 1]."""

    rail: str
    action: GuardAction
    categories: tuple[str, ...] = ()
    score: float = 0.0
    latency_ms: float = 0.0
    transformed_text: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """The combined verdict of every rail that ran on one text.

    ``rails`` keeps every rail's own result for the audit log. ``transformed_text`` is the
    text to pass on (e.g. with identifiers masked) and ``message`` what to tell the user
    when the request is blocked or escalated.
    """

    action: GuardAction
    rails: tuple[RailResult, ...] = ()
    categories: tuple[str, ...] = ()
    score: float = 0.0
    latency_ms: float = 0.0
    transformed_text: str | None = None
    message: str | None = None

    @property
    def allowed(self) -> bool:
        return self.action in (GuardAction.ALLOW, GuardAction.MASK)

    @classmethod
    def strictest(cls, results: Sequence[RailResult], *, latency_ms: float | None = None) -> GuardDecision:
        """Combine rail results: the strictest action wins, categories are united.

        The transformed text and message come from the winning rail; when the outcome is
        ``mask``, the last masking rail's text is used (rails that mask run in sequence).
        """
        if not results:
            return cls(GuardAction.ALLOW, latency_ms=latency_ms or 0.0)
        winner = max(results, key=lambda r: r.action.severity)
        categories = tuple(dict.fromkeys(c for r in results for c in r.categories))
        transformed = winner.transformed_text
        if winner.action is GuardAction.MASK:
            masked = [
                r.transformed_text for r in results if r.action is GuardAction.MASK and r.transformed_text
            ]
            transformed = masked[-1] if masked else None
        return cls(
            action=winner.action,
            rails=tuple(results),
            categories=categories,
            score=max(r.score for r in results),
            latency_ms=latency_ms if latency_ms is not None else sum(r.latency_ms for r in results),
            transformed_text=transformed,
            message=winner.message,
        )


#: The ``prev_hash`` of the first event of an audit chain.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the append-only audit log (MHLW guideline: who, when, which patient).

    Events form a hash chain: ``prev_hash`` is the previous event's ``hash``, and
    ``hash`` covers every other field, so editing or deleting any event breaks the chain
    (:func:`verify_audit_chain`). ``request_hash`` is a digest of the request body:
    the log never stores prompts or identifiers themselves.
    """

    actor: str
    role: str
    action: str
    resource: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    organisation: str | None = None
    key_prefix: str | None = None
    patient_pseudonym: str | None = None
    outcome: str = "ok"
    request_hash: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("audit event times must be timezone-aware")

    def payload(self) -> dict[str, Any]:
        """Every field but ``hash``, in a JSON-ready form."""
        data = asdict(self)
        data.pop("hash")
        data["time"] = self.time.astimezone(UTC).isoformat()
        data["details"] = dict(self.details)
        return data

    def compute_hash(self) -> str:
        canonical = json.dumps(self.payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def sealed(self, prev_hash: str) -> AuditEvent:
        """A copy linked to ``prev_hash`` with its own hash filled in."""
        linked = replace(self, prev_hash=prev_hash, hash="")
        return replace(linked, hash=linked.compute_hash())

    @staticmethod
    def hash_body(body: bytes | str) -> str:
        """The digest stored instead of a request body."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return hashlib.sha256(raw).hexdigest()


def verify_audit_chain(events: Iterable[AuditEvent], *, start_hash: str = GENESIS_HASH) -> int | None:
    """Check a chain of audit events; return the index of the first bad event, or None.

    An event is bad when its own hash does not match its contents (it was edited) or its
    ``prev_hash`` is not the previous event's hash (an event was deleted or reordered).
    """
    expected_prev = start_hash
    for index, event in enumerate(events):
        if event.prev_hash != expected_prev or event.hash != event.compute_hash():
            return index
        expected_prev = event.hash
    return None

"""Which patient a request concerned, without writing the patient's identifier anywhere.

The MHLW guideline asks access logs to say *which patient* a record access concerned. A
client (an EHR integration) names the patient in the ``X-Jmedllm-Patient`` header; the
gateway stores only ``HMAC-SHA256(secret_key, id)``, truncated. A reviewer computes the
same pseudonym with ``jmedllm audit pseudonym ID`` and finds the patient's events, while
the log itself stays free of identifiers. An unkeyed hash would not do: patient IDs are
short and a digest of one is reversed by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from jmedllm.core.errors import ConfigError

__all__ = ["PATIENT_HEADER", "patient_pseudonym"]

PATIENT_HEADER = "x-jmedllm-patient"
_PATIENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def patient_pseudonym(patient_id: str, secret: str | None) -> str:
    """The pseudonym stored for ``patient_id``: ``pt_`` and 32 hex digits of a keyed HMAC."""
    if not _PATIENT_ID.match(patient_id):
        raise ValueError("a patient reference is 1–64 letters, digits, '.', '_', ':' or '-'")
    if not secret:
        raise ConfigError(
            "patient references need a server secret to be pseudonymised",
            hint="set secret_key (JMEDLLM_SECRET_KEY) to 32+ random characters",
        )
    digest = hmac.new(secret.encode("utf-8"), patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"pt_{digest[:32]}"

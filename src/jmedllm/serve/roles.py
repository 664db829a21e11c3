"""Roles (職種) and what each may do.

The MHLW security guideline asks for access control by job role. Permissions are coarse
on purpose — a hospital's information-security committee must be able to read this
table and sign it off — and model access is refined per model (``models[].roles``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PERMISSIONS", "Permission", "has_permission"]


class Permission(StrEnum):
    MODELS_LIST = "models:list"
    GENERATE = "generate"
    GUARD_CHECK = "guard:check"
    ADMIN = "admin"
    AUDIT_READ = "audit:read"
    METRICS_READ = "metrics:read"


_CLINICAL = frozenset({Permission.MODELS_LIST, Permission.GENERATE, Permission.GUARD_CHECK})

#: Role → permissions. ``generate`` is further limited by each model's ``roles`` list.
PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "physician": _CLINICAL,
    "nurse": _CLINICAL,
    "pharmacist": _CLINICAL,
    # Clerks (医療事務) generate only with models that name them; they may check texts.
    "clerk": frozenset({Permission.MODELS_LIST, Permission.GENERATE, Permission.GUARD_CHECK}),
    # Auditors read the audit log and metrics; they never generate or see clinical text.
    "auditor": frozenset({Permission.MODELS_LIST, Permission.AUDIT_READ, Permission.METRICS_READ}),
}


def has_permission(role: str, permission: Permission) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())

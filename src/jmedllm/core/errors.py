"""The exceptions jmedllm raises on purpose.

Every error a user can cause (a bad file, a bad setting, a missing extra) is a
:class:`JmedllmError`: the CLI prints its message and ``hint`` on one line and exits
non-zero, without a traceback. Messages never carry the content of a user's file:
clinical text may hold personal information, so errors name files, offsets and
settings, not text.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EncodingDetectionError",
    "EraDateError",
    "InputFileError",
    "JmedllmError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "RegistryError",
]


class JmedllmError(Exception):
    """Base class for errors the user can fix; ``hint`` says how."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message and the hint as one line, for a terminal or a log."""
        text = " ".join(self.message.split())
        return f"{text} — {self.hint}" if self.hint else text


class ConfigError(JmedllmError):
    """A setting or configuration file is invalid."""

    exit_code = 2


class InputFileError(JmedllmError):
    """An input file cannot be read (missing, a directory, no permission)."""


class EncodingDetectionError(InputFileError, UnicodeError):
    """A file's bytes do not decode in any supported encoding.

    ``offset`` is the byte offset of the first undecodable byte in the encoding that
    got furthest; ``tried`` maps each encoding tried to its failing offset.
    """

    def __init__(self, path: str, offset: int, tried: dict[str, int], *, hint: str | None = None) -> None:
        attempts = ", ".join(f"{enc} at byte {off}" for enc, off in tried.items())
        super().__init__(
            f"cannot decode {path}: invalid byte at offset {offset} ({attempts})",
            hint=hint
            or "convert the file to UTF-8 (e.g. `iconv -f CP932 -t UTF-8`) or pass the encoding explicitly",
        )
        self.path = path
        self.offset = offset
        self.tried = dict(tried)


class EraDateError(JmedllmError, ValueError):
    """A date string is malformed or names a day that does not exist."""


class MissingDependencyError(JmedllmError, ImportError):
    """An optional dependency is not installed; ``extra`` names the extra that brings it."""

    def __init__(self, module: str, extra: str, *, purpose: str | None = None) -> None:
        what = f" (needed for {purpose})" if purpose else ""
        super().__init__(
            f"the optional dependency {module!r} is not installed{what}",
            hint=f"install it with: pip install 'jmedllm[{extra}]'",
        )
        self.module = module
        self.extra = extra


class ModelNotFoundError(JmedllmError):
    """A model reference names no bundled model, local directory or GGUF file."""


class RegistryError(JmedllmError, LookupError):
    """A plugin name is invalid, registered twice, or unknown."""

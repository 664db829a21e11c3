"""Read Japanese clinical text files whatever encoding the hospital system wrote.

Exports arrive as UTF-8 (with or without BOM), CP932/Shift_JIS, EUC-JP, ISO-2022-JP or
UTF-16 with BOM. Decoding is always strict: a byte that does not decode is an error that
names the file and the byte offset, never a silent U+FFFD, because a replaced character
in a dose or a lab value is lost data. Errors never quote the file's text.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jmedllm.core.errors import EncodingDetectionError, InputFileError

__all__ = ["SUPPORTED_ENCODINGS", "DecodedText", "decode_bytes", "detect_encoding", "iter_lines", "read_text"]

SUPPORTED_ENCODINGS: tuple[str, ...] = ("utf-8", "cp932", "euc_jp", "iso2022_jp", "iso2022_jp_ext", "utf-16")

# Keys are normalised (lower case, "-" and " " as "_"). Shift_JIS names map to cp932:
# Windows writes CP932 whatever the label says, and CP932 adds ①, ㈱ and 外字 to it.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(("utf_8", "utf8", "utf_8_sig", "utf8_sig"), "utf-8"),
    **dict.fromkeys(("cp932", "ms932", "windows_31j", "shift_jis", "shiftjis", "sjis", "s_jis"), "cp932"),
    **dict.fromkeys(("euc_jp", "eucjp", "ujis"), "euc_jp"),
    **dict.fromkeys(("iso2022_jp", "iso_2022_jp", "iso2022jp", "csiso2022jp"), "iso2022_jp"),
    **dict.fromkeys(("iso2022_jp_ext", "iso_2022_jp_ext"), "iso2022_jp_ext"),
    **dict.fromkeys(("utf_16", "utf16"), "utf-16"),
}

# Escapes that switch ISO-2022-JP into a Japanese set; ESC ( B alone only returns to
# ASCII, so it proves nothing.
_ISO2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I", b"\x1b$(D")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Python's cp932 maps the lone bytes 80, A0 and FD-FF to U+0080 and U+F8F0-F8F3. No
# Japanese system writes them as text, so detection treats them as errors; otherwise
# any stray high byte would pass as CP932. An explicit encoding="cp932" still takes them.
_CP932_STRAYS = re.compile("[\x80\uf8f0-\uf8f3]")

# EUC-JP writes half-width katakana as 8E xx, which CP932 reads as kanji of one row
# (竺, 疾, 実, ...): in a CP932 reading of ambiguous bytes they are the mark of EUC-JP.
_EUC_KANA_AS_CP932 = frozenset(bytes((0x8E, b)).decode("cp932") for b in range(0xA1, 0xE0))
_SCORE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Decoded text, the codec that decoded it and whether a BOM was stripped.

    ``text`` is left out of the repr so that logging a result never writes patient data.
    """

    text: str = field(repr=False)
    encoding: str
    bom: bool


def _canonical(encoding: str) -> str:
    key = encoding.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _ALIASES:
        raise InputFileError(
            f"unknown encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}",
            hint="use one of those (aliases such as shift_jis, sjis, ms932 and euc-jp work) "
            "or omit the encoding to detect it",
        )
    return _ALIASES[key]


def _decode(data: bytes, encoding: str, source: str, hint: str, skip: int = 0) -> DecodedText:
    """Strictly decode ``data[skip:]``; an error's offset counts from the start of ``data``."""
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        raise EncodingDetectionError(source, offset, {encoding: offset}, hint=hint) from None
    bom = skip > 0 or (encoding == "utf-16" and data[:2] in _UTF16_BOMS)
    return DecodedText(text, encoding, bom)


def _attempt(data: bytes, encoding: str, tried: dict[str, int]) -> str | None:
    """``data`` strictly decoded, or None with the failing offset recorded in ``tried``."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        tried[encoding] = exc.start
        return None
    if encoding == "cp932" and (stray := _CP932_STRAYS.search(text)):
        # Every CP932 character re-encodes to as many bytes as it was decoded from.
        tried[encoding] = len(text[: stray.start()].encode(encoding))
        return None
    return text


def _is_wide(ch: str) -> bool:
    return not ch.isascii() and not "\uff61" <= ch <= "\uff9f"


def _score(text: str, suspect: frozenset[str] = frozenset()) -> int:
    """How much ``text`` looks like Japanese clinical text; higher is more plausible."""
    score = 0
    for i, ch in enumerate(text):
        o = ord(ch)
        if ch in suspect:
            score -= 2
        elif 0x3041 <= o <= 0x30FF or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F:
            score += 2  # kana, kanji, CJK punctuation
        elif 0x20 <= o < 0x7F or ch in "\t\n\r\f" or 0xFF01 <= o <= 0xFF5E:
            score += 1  # ASCII, full-width alphanumerics
        elif 0xFF61 <= o <= 0xFF65:
            score -= 3  # half-width 。「」、・: CP932's reading of EUC-JP's symbol and kana rows
        elif 0xFF66 <= o <= 0xFF9F:
            # Legacy systems write whole fields in half-width katakana (ﾛｷｿﾆﾝ, ﾔﾏﾀﾞ ﾀﾛｳ), which
            # EUC-JP reads as junk kanji: such runs must tie with kanji so CP932 wins. Half-width
            # kana wedged against wide characters is what CP932 makes of EUC-JP text instead.
            score += -1 if any(map(_is_wide, text[i - 1 : i] + text[i + 1 : i + 2])) else 1
        elif 0xE000 <= o <= 0xF8FF or 0xF900 <= o <= 0xFAFF:
            score -= 2  # 外字 (private use) and compatibility ideographs: possible but rare
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            score -= 5  # control characters do not occur in text
    return score


def decode_bytes(data: bytes, *, encoding: str | None = None, source: str = "<bytes>") -> DecodedText:
    """Decode ``data`` strictly, in ``encoding`` or else the detected encoding.

    Detection order: BOM, ISO-2022-JP escapes, UTF-8 (ASCII and empty data are UTF-8),
    then CP932 and EUC-JP, choosing by plausibility when both decode (ties go to CP932,
    the commoner in hospitals). Data valid in both is short in practice: ASCII with
    half-width katakana is taken as CP932, so a short EUC-JP field of kanji alone (整形外科)
    may be too; pass ``encoding`` when it is known. Raises :class:`InputFileError` for an
    unknown encoding name and :class:`EncodingDetectionError` (naming ``source``) when
    nothing decodes.
    """
    utf8_bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if encoding is not None:
        enc = _canonical(encoding)
        hint = f"the data is not valid {enc}: check the encoding, or omit it to detect it"
        return _decode(data, enc, source, hint, skip=utf8_bom if enc == "utf-8" else 0)
    # A BOM settles the encoding: no other candidate would decode its bytes either.
    if utf8_bom:
        return _decode(data, "utf-8", source, "the data starts with a UTF-8 BOM but is not UTF-8", skip=3)
    if data[:2] in _UTF16_BOMS:
        return _decode(data, "utf-16", source, "the data starts with a UTF-16 BOM but is not UTF-16")

    tried: dict[str, int] = {}
    # ISO-2022-JP is 7-bit, so it would also pass as UTF-8 with its escapes kept as text:
    # try it first when its escapes are present, and stop if such 7-bit data fails it.
    if any(esc in data for esc in _ISO2022_ESCAPES):
        for enc in ("iso2022_jp", "iso2022_jp_ext"):  # _ext adds half-width kana, JIS X 0212
            if (text := _attempt(data, enc, tried)) is not None:
                return DecodedText(text, enc, False)
        if data.isascii():
            raise EncodingDetectionError(source, max(tried.values()), tried)
    if (text := _attempt(data, "utf-8", tried)) is not None:
        return DecodedText(text, "utf-8", False)
    decoded: dict[str, str] = {}
    for enc in ("cp932", "euc_jp"):
        if (text := _attempt(data, enc, tried)) is not None:
            decoded[enc] = text
    if len(decoded) == 2:
        # Score the same leading bytes in both readings; a sample keeps big files fast.
        head = {enc: codecs.getincrementaldecoder(enc)().decode(data[:_SCORE_BYTES]) for enc in decoded}
        euc_wins = _score(head["euc_jp"]) > _score(head["cp932"], _EUC_KANA_AS_CP932)
        enc = "euc_jp" if euc_wins else "cp932"
        return DecodedText(decoded[enc], enc, False)
    if decoded:
        ((enc, text),) = decoded.items()
        return DecodedText(text, enc, False)
    raise EncodingDetectionError(source, max(tried.values()), tried)


def detect_encoding(data: bytes) -> str:
    """The name of the encoding :func:`decode_bytes` would use for ``data``."""
    return decode_bytes(data).encoding


def read_text(
    path: str | os.PathLike[str], *, encoding: str | None = None, max_bytes: int | None = None
) -> DecodedText:
    """Read and decode a text file; see :func:`decode_bytes` for the decoding rules.

    Raises :class:`InputFileError` when the file cannot be read or is bigger than
    ``max_bytes``, and :class:`EncodingDetectionError` when it does not decode.
    """
    name = os.fspath(path)
    if max_bytes is not None and max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    if encoding is not None:
        _canonical(encoding)  # a typo in the name is reported before any I/O
    try:
        with Path(name).open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # Read one byte past the limit: st_size is 0 for pipes and may be stale.
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(f"no such file: {name}", hint="check the path") from None
    except (IsADirectoryError, PermissionError) as exc:
        # Windows reports opening a directory as a permission error.
        if isinstance(exc, IsADirectoryError) or Path(name).is_dir():
            raise InputFileError(f"{name} is a directory, not a file", hint="pass a file inside it") from None
        raise InputFileError(f"permission denied: {name}", hint="check the file's read permission") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or type(exc).__name__}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise InputFileError(
            f"{name} is {max(size, len(data)):,} bytes, over the limit of {max_bytes:,} bytes",
            hint="raise max_bytes or split the file",
        )
    return decode_bytes(data, encoding=encoding, source=name)


def iter_lines(
    path: str | os.PathLike[str], *, encoding: str | None = None, max_bytes: int | None = None
) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` pairs, numbered from 1, without line endings.

    Only ``\\r\\n``, ``\\r`` and ``\\n`` end a line (not ``str.splitlines``'s form feeds and
    Unicode separators), so numbers match what an editor shows. The file is read and
    decoded before this returns, so errors are raised here, not halfway through a loop.
    """
    text = read_text(path, encoding=encoding, max_bytes=max_bytes).text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # a final line ending does not start another line
    return enumerate(lines, start=1)

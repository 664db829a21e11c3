"""Contact details: Japanese phone and fax numbers, e-mail addresses and URLs.

Why regexes and not a phone library: the text is already normalised (full-width digits
are ASCII, ``ー``/``－``/``−`` between digits are ``-``, ``℡`` is ``TEL``), and the shapes
of Japanese numbers are few and fixed by the numbering plan, so one compiled pattern per
recognizer scans a document in a single pass. What a pattern alone cannot tell — whether
``0312345678`` is a phone number or a patient ID — is settled by the plan's prefixes
(``0`` + area code, ``0[2-9]0`` mobile/IP, ``0120``/``0800`` free dial) and by the words
just before the number: ``TEL``/``電話``/``FAX``/``代表`` raise the score, ``患者ID``/``番号``
send the number to the ID recognizers instead. A number outside the plan (``0602980360``)
is still a phone number with a label, right after a relation or honorific (長女, 様), or
alone in brackets after a person (``朴 智恩（0602980360）``). Numbers of other countries
(``+86 139 1047 2286``, ``+1 (415) 555-0173``) count with 8–15 digits and a group of three
or more (or a label). A bracket opened before a number and closed after it is not part of
the span (``TEL（03-1234-5678）``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext

__all__ = ["EmailRecognizer", "PhoneRecognizer", "UrlRecognizer", "is_plausible_phone"]

# --- phone --------------------------------------------------------------------------------

_LABELS = (
    r"TEL|Tel|tel|電話|携帯|連絡先|緊急連絡|FAX|Fax|fax|ファックス|ファクス|☎|📞|Phone|PHONE|phone|"
    r"代表|直通|ダイヤルイン"
)
# Labels that are also ordinary words (代表的な値 120 130): they vouch only for a number
# with a trunk 0 or +81.
_WEAK_LABELS = frozenset({"代表", "直通"})
# An extension belongs to the number it follows: "03-1234-5678 内線123", "(内線123)".
_EXT = r"[ ]?\(?(?:内線|ext\.?|Ext\.?|EXT\.?)[ :.]?\d{1,6}\)?"


def _domestic(tag: str) -> str:
    """Domestic shapes; ``tag`` names the separator group (each use needs its own name).

    Groups are separated by one space, dot or hyphen — never a newline, so two numbers on
    consecutive lines of a table stay two numbers.
    """
    return (
        r"\(0\d{1,4}\)[ ]?\d{1,4}[ \-]?\d{3,4}"  # (03)1234-5678
        r"|0\d{1,4}\(\d{1,4}\)\d{3,4}"  # 03(1234)5678
        rf"|0\d{{1,4}}(?P<{tag}>[ .\-])\d{{1,4}}(?P={tag})\d{{3,4}}"  # 03-1234-5678, 0120-123-456
        r"|0\d{1,4}-\d{5,8}"  # 03-12345678
        r"|0\d{1,4} - \d{1,4} - \d{3,4}"  # 090 - 6612 - 0834 (OCR and typed forms space the dashes)
        r"|0\d{9,10}"  # 0312345678, 09012345678
    )


_INTL = r"\+81[ \-]?(?:\(0\)[ \-]?)?\(?\d{1,4}\)?[ \-]?\d{1,4}[ \-]?\d{3,4}"
# Other countries: +86 139 1047 2286, +1 (415) 555-0173, +44 20 7946 0958 — a country code,
# then two to five groups; the digit count (8–15, E.164) is checked in _phone_score.
_FOREIGN = r"\+(?!81)[1-9]\d{0,2}(?:[ \-]?\(\d{1,5}\)|[ \-]?\d{1,5}){2,5}"
# After a label, local numbers without an area code count too ("TEL 1234-5678").
_LOOSE = r"\(?\d[\d()\- ]{4,16}\d"
_PHONE = re.compile(
    rf"(?P<label>{_LABELS})(?:番号)?[^\n0-9+(]{{0,6}}?(?P<lnum>{_INTL}|{_FOREIGN}|{_domestic('lsep')}|{_LOOSE})"
    rf"(?P<lext>{_EXT})?"
    rf"|(?P<num>{_INTL}|{_FOREIGN}|{_domestic('sep')})(?P<ext>{_EXT})?"
    r"|(?:内線|PHS) ?:? ?(?P<inum>\d{2,6})(?![0-9\-])"  # an extension or a staff PHS alone
)
# Every way _PHONE can start, as plain literals: sre then skips ahead on first characters,
# which the full pattern (groups first) does not allow; _PHONE runs only at these places.
_PHONE_ANCHOR = re.compile(rf"{_LABELS}|内線|PHS|\+[1-9]|\(0|0\d")
_PHONE_CONTEXT = re.compile(_LABELS)
_LONG_GROUP = re.compile(r"\d{3}")
# Words that make a digit run an identifier of another kind; looked for just before it.
# A generic "番号"/"No" only claims a plain digit run: "長男の番号は080-9876-5432" is a phone.
# (受付 alone is a reception desk with a phone; 受付番号 an ID)
_ID_CONTEXT = re.compile(r"ID|カルテ|患者|記号|保険|免許|証|コード|受付(?:番号|No)|検体|診察券")
_GENERIC_ID_CONTEXT = re.compile(r"番号|No\.?|NO|#")
# An ID word labels the number only when nothing but label characters stand between them:
# "保険証番号: 03…", "患者ID 09…" — not "介護保険係 佐々木 0167-…", where a name comes between.
_ID_GAP = re.compile(r"(?:番号|コード|No\.?|NO|第|[ :#=.()\-])*")
# Whose number it is, right before it: a relation, the patient, a name's honorific.
_PERSON_BEFORE = re.compile(
    r"(?:自宅|本人|家族|夫|妻|長男|長女|次男|次女|三男|三女|息子|娘|父|母|兄|姉|弟|妹|孫|嫁|婿|"
    r"キーパーソン|KP|様|さん|氏)[ :は)]*(?:\(|の)?[ ]?$"
)
_DATE_SHAPE = re.compile(r"\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}[./\-]\d{1,2}[./\-]\d{4}")
_BEFORE_BAD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.+-/_")
# 2-4-4 and similar hyphenated groups outside the numbering plan (no trunk 0, a local
# part starting with 0): not dialable as written, but that is how numbers get mistyped or
# test-generated, and nothing else in clinical text has this shape.
# [0-9]{2,4}, the first digit written out so that the scan skips ahead to digits (re finds
# no first-character set for a pattern that starts with a repetition).
_PHONE_SHAPE = re.compile(r"[0-9][0-9]{1,3}-[0-9]{2,4}-[0-9]{4}")
# A phone number right before a slash: the number after the slash is the next of a list.
_PHONE_BEFORE_SLASH = re.compile(r"(?<![0-9])0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}\Z")
_FREE_DIAL_10 = ("0120", "0570", "0180", "0990")
_MOBILE_11 = ("020", "050", "060", "070", "080", "090", "0800")


def is_plausible_phone(digits: str) -> bool:
    """True if ``digits`` (digits only) fits the Japanese numbering plan.

    Eleven digits: mobile, IP and pager numbers (``0[2-9]0``) and free dial ``0800``.
    Ten digits: fixed lines (``0`` + area code, never ``00``) and the ``0120``/``0570``
    services; ``090`` + 7 digits is a pre-1999 mobile shape and not accepted alone.
    International numbers are given with ``81`` and without the trunk ``0``.
    """
    if digits.startswith("81"):
        digits = "0" + digits[2:]
    if len(digits) == 11:
        return digits.startswith(_MOBILE_11)
    if len(digits) == 10:
        if digits[1] == "0":
            return False
        return digits[2] != "0" or digits.startswith(_FREE_DIAL_10)
    return False


def _bounded(text: str, start: int, end: int, *, check_before: bool = True) -> bool:
    """The number is not a piece of a longer number, code or decimal."""
    if (
        check_before
        and start > 0
        and text[start - 1] in _BEFORE_BAD
        # "(自宅)/090-…": a slash after a bracket or a word lists numbers; after a digit it
        # joins a date or a fraction (2024/03-…)
        and not (
            text[start - 1] == "/"
            and (
                start < 2
                or not text[start - 2].isalnum()
                or _PHONE_BEFORE_SLASH.search(text, max(0, start - 16), start - 1)
            )
        )
    ):
        return False
    if end < len(text) and text[end].isascii() and text[end].isdigit():
        return False
    if end + 1 < len(text) and text[end] in "-./" and text[end + 1].isdigit():
        # "03-5970-2284/080-1903-6678": a slash between two phone numbers lists them
        return text[end] == "/" and _PHONE_SHAPE.match(text, end + 1) is not None
    return True


def _context_before(text: str, start: int, number: str) -> str | None:
    """What the words before a number say it is: "phone" (TEL, 電話, FAX …), "id",
    "person" (a relation or a name's honorific just before: whose number it is), or None."""
    window = text[max(0, start - 20) : start]
    if _PHONE_CONTEXT.search(window):
        return "phone"
    near = window[-10:]
    if _labels_id(near, _ID_CONTEXT) or (number.isdigit() and _labels_id(near, _GENERIC_ID_CONTEXT)):
        return "id"
    if _PERSON_BEFORE.search(near):
        return "person"
    return None


def _labels_id(near: str, words: re.Pattern[str]) -> bool:
    """An ID word in ``near`` with only label characters between it and the number."""
    return any(_ID_GAP.fullmatch(near, m.end()) for m in words.finditer(near))


def _is_aside(text: str, start: int, end: int) -> bool:
    """The number stands alone in brackets: "長女 朴 智恩（0602980360）" gives whose number it is."""
    return start > 0 and text[start - 1] == "(" and text[end : end + 1] == ")"


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _phone_score(text: str, m: re.Match[str]) -> tuple[int, int, float] | None:
    """The span and score of one candidate, or None when it is not a phone number."""
    if m.group("inum") is not None:
        return m.start("inum"), m.end("inum"), 0.6  # the number, not the word 内線
    labelled = m.group("label") is not None
    group, ext = ("lnum", "lext") if labelled else ("num", "ext")
    start, num_end = m.span(group)
    number = m.group(group)
    if number.startswith("(") and number.count("(") > number.count(")"):
        start, number = start + 1, number[1:]  # "TEL（03-1234-5678）": the bracket is not the number's
    end = num_end
    if m.group(ext):
        end = m.end(ext) - (m.group(ext).endswith(")") and "(" not in m.group(ext))
    # Right after a label ("TEL03-…") the character before is the label's own.
    if not _bounded(text, start, num_end, check_before=not labelled):
        return None
    digits = _digits(number.replace("(0)", "", 1) if number.startswith("+") else number)
    intl = number.startswith("+")
    if intl and not number.startswith("+81"):
        if not 8 <= len(digits) <= 15 or (
            start > 0 and text[start - 1].isascii() and text[start - 1].isalnum()
        ):
            return None
        if not (labelled or _LONG_GROUP.search(number, 2)):
            return None  # "+10 20 30 40": a list of changes, not a number
        return start, end, 0.9 if labelled else 0.8
    if not labelled:
        context = _context_before(text, start, number)
        if context == "id":
            return None
        labelled = context == "phone" or _is_aside(text, start, num_end) or context == "person"
    if m.group("label") in _WEAK_LABELS and not (intl or digits.startswith("0")):
        return None
    if is_plausible_phone(digits) and (intl or digits.startswith("0")):
        return start, end, 0.95 if labelled else 0.85
    if not labelled or _DATE_SHAPE.fullmatch(number) or number.count("(") != number.count(")"):
        return None
    if digits.startswith("0") and len(digits) in (10, 11):
        return start, end, 0.75  # a typo in a labelled number is still that person's number
    return (start, end, 0.7) if 6 <= len(digits) <= 13 else None


@RECOGNIZERS.register("contact.phone")
class PhoneRecognizer(Recognizer):
    """Japanese phone and fax numbers (PHONE): 0X-XXXX-XXXX, 0X0-XXXX-XXXX, 0120-XXX-XXX,
    (03)1234-5678, +81 forms, extensions (内線) and local numbers after TEL/電話/FAX."""

    labels: ClassVar[tuple[str, ...]] = ("PHONE",)
    priority: ClassVar[int] = 60

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        best: dict[tuple[int, int], float] = {}
        pos = 0
        while (anchor := _PHONE_ANCHOR.search(text, pos)) is not None:
            m = _PHONE.match(text, anchor.start())
            if m is None:
                pos = anchor.start() + 1
                continue
            pos = m.end()
            found = _phone_score(text, m)
            if found is not None:
                start, end, score = found
                best[start, end] = max(score, best.get((start, end), 0.0))
        taken = sorted(best)
        for m in _PHONE_SHAPE.finditer(text):
            start, end = m.span()
            i = bisect_left(taken, (end, end))
            if i and taken[i - 1][1] > start:
                continue  # inside a number found above (with its extension, or its +81)
            if len(_digits(m.group())) in (10, 11) and _bounded(text, start, end):
                context = _context_before(text, start, m.group())
                if context != "id":
                    best[start, end] = 0.8 if context == "phone" else 0.6
        if "0 " in text:  # 0 8 0 - 6 6 2 1 - 9 0 4 3: OCR spacing every character
            for span in _spaced_phones(text):
                best.setdefault(span, 0.75)
        if ("O" in text or "I" in text or "l" in text) and _OCR_MIX.search(text):
            for span in _ocr_phones(text):  # 049-2O6-7781: letters OCR read for digits
                best.setdefault(span, 0.7)
        if _SPOKEN_ZERO.search(text):  # ゼロキューゼロ の 三三一八 の 七七〇二
            for span in _spoken_phones(text):
                best[span] = 0.75
        return [Span(s, e, "PHONE", score) for (s, e), score in sorted(best.items())]


def _spaced_phones(text: str) -> list[tuple[int, int]]:
    """Phone numbers with every digit spaced (OCR): 0 8 0 - 6 6 2 1 - 9 0 4 3."""
    out = []
    for m in _SPACED_PHONE.finditer(text):
        start = m.start()
        if start and (text[start - 1].isdigit() or text[max(0, start - 2) : start - 1].isdigit()):
            continue  # the middle of a longer spaced number
        if is_plausible_phone(_digits(m.group())):
            out.append((start, m.end()))
    return out


def _ocr_phones(text: str) -> list[tuple[int, int]]:
    """Phone numbers with letters OCR read for digits: 049-2O6-7781, O8O-l9O7-2246."""
    out = []
    for m in _OCR_PHONE.finditer(text):
        start = m.start()
        glued = start and text[start - 1].isascii() and text[start - 1].isalnum()
        if glued and text[max(0, start - 3) : start].upper() not in ("TEL", "FAX"):
            continue  # inside a longer code (ISO-9001-2015 is no phone anyway)
        raw = m.group()
        digits = "".join(ch for ch in raw.translate(_OCR_DIGITS) if ch.isdigit())
        letters = sum(ch in "OolI" for ch in raw)
        if 1 <= letters <= 4 and len(digits) - letters >= 6 and is_plausible_phone(digits):
            out.append((start, m.end()))
    return out


def _spoken_phones(text: str) -> list[tuple[int, int]]:
    """Phone numbers read out in words or kanji (ゼロキューゼロ の 三三一八 の 七七〇二)."""
    out = []
    for m in _SPOKEN_PHONE.finditer(text):
        words = list(_SPOKEN_DIGIT.finditer(text, m.start(), m.end()))
        digits = "".join(_SPOKEN_VALUE[w.group()] for w in words)
        # the run may go on into a particle read as a digit (…はちに電話): the number is
        # its longest plausible head of 11 or 10 digits
        for n in (11, 10):
            if len(digits) >= n and is_plausible_phone(digits[:n]):
                out.append((m.start(), words[n - 1].end()))
                break
    return out


# Phone numbers with letters OCR read for digits (O for 0, l or I for 1), in three groups.
_OCR_MIX = re.compile(r"[OlI](?:(?<=[0-9][OlI])|(?=[0-9]))")  # (the rare letters first)
_OCR_DIGITS = str.maketrans("OolI", "0011")
_OCR_PHONE = re.compile(r"[0-9O][0-9OolI]{1,4} ?- ?[0-9OolI]{1,4} ?- ?[0-9OolI]{3,4}(?![A-Za-z0-9])")
# Digits spaced one by one (OCR), hyphens spaced too; the number is checked as a phone.
_SPACED_PHONE = re.compile(r"0(?: (?:- )?[0-9]){9,10}(?![0-9]| [0-9])")  # (before: checked after)
# Digits read out in words or kanji (transcripts of calls and voice input). A phone number
# starts with zero, so a run is looked for only from a spoken zero; it must give 10 or 11
# digits that make a plausible number.
_SPOKEN_VALUE = {
    **dict.fromkeys(("ゼロ", "ぜろ", "れい", "レイ", "〇", "零"), "0"),
    **dict.fromkeys(("いち", "イチ", "一"), "1"),
    **dict.fromkeys(("にー", "ニー", "に", "ニ", "二"), "2"),
    **dict.fromkeys(("さん", "サン", "三"), "3"),
    **dict.fromkeys(("よん", "ヨン", "し", "四"), "4"),
    **dict.fromkeys(("ごー", "ゴー", "ごう", "ゴウ", "ご", "ゴ", "五"), "5"),
    **dict.fromkeys(("ろく", "ロク", "六"), "6"),
    **dict.fromkeys(("なな", "ナナ", "しち", "七"), "7"),
    **dict.fromkeys(("はち", "ハチ", "八"), "8"),
    **dict.fromkeys(("きゅう", "きゅー", "キュウ", "キュー", "く", "九"), "9"),
}
_SPOKEN_DIGIT = re.compile("|".join(sorted(_SPOKEN_VALUE, key=len, reverse=True)))
_SPOKEN_ZERO = re.compile("ゼロ|ぜろ|れい|レイ|〇|零")
# Between the groups: の, a comma or a space, or の and a comma (ゼロナナゼロの、ゴーイチ…).
_SPOKEN_PHONE = re.compile(
    f"(?:{_SPOKEN_ZERO.pattern})(?:(?: ?の ?[、,]? ?|[ 、,\\-] ?)?(?:{_SPOKEN_DIGIT.pattern})){{9,14}}"
)


# --- e-mail ---------------------------------------------------------------------------------

_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}$")
# A domain label is ASCII or wholly Japanese (IDN written in kana/kanji), never mixed, so
# that Japanese prose glued to an address ("…@example.jpまで") is not taken for a label.
_JA = "\u3041-\u30ff\u4e00-\u9fff々"
_HOST = rf"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,62}}[A-Za-z0-9])?|[{_JA}][{_JA}\-]{{0,62}})\.)+(?:[A-Za-z]{{2,24}}|日本)"
_DOMAIN = re.compile(rf"{_HOST}(?![A-Za-z0-9\-])")


@RECOGNIZERS.register("contact.email")
class EmailRecognizer(Recognizer):
    """E-mail addresses (EMAIL), ASCII local part and ASCII or Japanese domain labels."""

    labels: ClassVar[tuple[str, ...]] = ("EMAIL",)
    priority: ClassVar[int] = 70

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        at = text.find("@")
        # Anchored on each "@": scanning every ASCII run for a local part would be quadratic.
        while at != -1:
            local = _LOCAL.search(text, max(0, at - 64), at)
            domain = _DOMAIN.match(text, at + 1)
            if local is not None and domain is not None:
                spans.append(Span(local.start(), domain.end(), "EMAIL", 0.95))
            at = text.find("@", (domain.end() if domain else at + 1))
        return spans


# --- URL -------------------------------------------------------------------------------------

_PATH = r"(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]*)?"
_URL = re.compile(
    rf"(?:https?|ftps?)://(?:{_HOST}|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|localhost)(?::\d{{1,5}})?{_PATH}"
    rf"|www\.{_HOST}(?::\d{{1,5}})?{_PATH}"
)
_BARE_TLDS = r"jp|com|net|org|info|biz|io"
# Bare domains are found from their TLD backwards (like e-mail from its "@"), so the scan
# is one literal search instead of trying every ASCII word as the start of a host.
_BARE_HINT = re.compile(rf"\.(?:{_BARE_TLDS})(?![A-Za-z0-9\-@])")
_HOST_BEFORE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-.]{0,252})$")
_BARE_URL = re.compile(rf"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+(?:{_BARE_TLDS}){_PATH}")
_NOT_BEFORE_BARE = frozenset("@-_/.")
_TRAILING = ".,;:!?'"


def _url_end(text: str, start: int, end: int) -> int:
    """Drop sentence punctuation the path class swallowed ("…/index.html." → no final dot)."""
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


@RECOGNIZERS.register("contact.url")
class UrlRecognizer(Recognizer):
    """URLs (URL): with a scheme, starting at www., or bare domains under common TLDs."""

    labels: ClassVar[tuple[str, ...]] = ("URL",)
    priority: ClassVar[int] = 65

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        if "://" in text or "www." in text:
            for m in _URL.finditer(text):
                end = _url_end(text, m.start(), m.end())
                spans.append(Span(m.start(), end, "URL", 0.95))
        schemed = [(s.start, s.end) for s in spans]
        last_end = 0
        for hint in _BARE_HINT.finditer(text):
            host = _HOST_BEFORE.search(text, max(0, hint.start() - 253), hint.start())
            if host is None or (host.start() > 0 and text[host.start() - 1] in _NOT_BEFORE_BARE):
                continue
            m = _BARE_URL.match(text, host.start())
            if m is None or m.start() < last_end:
                continue
            i = bisect_left(schemed, (m.start() + 1,))
            if i and schemed[i - 1][1] > m.start():
                continue  # part of a URL with a scheme, found above
            last_end = _url_end(text, m.start(), m.end())
            spans.append(Span(m.start(), last_end, "URL", 0.8))
        spans.sort(key=lambda s: s.start)
        return spans

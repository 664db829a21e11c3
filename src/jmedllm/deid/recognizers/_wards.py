"""Wards, rooms and beds as FACILITY (part of ``names.facility``).

A ward or a room says where a patient lies in a hospital on the day of the record
(REFERENCE §1): ``5階東病棟``, ``305号室``, ``回復期リハビリテーション病棟 2階 206号室``,
``小児病棟 3B-12``, a room heading a roster line (``・601 九十九 寅吉（88）``, ``501-1 明石（男）``)
and a bed of an intensive-care unit (``CCU-3``). ``病棟`` and ``号室`` are rare words, so the
rules are found from them backwards rather than by a regex tried at every position.
:func:`wards` yields ``(start, end, score)``; :func:`floor_start` moves the start of a unit
found by the other facility rules back over the floor written before it (``2階 さくらユニット``).
The option ``{"names.facility": {"wards": False}}`` turns all of them off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jmedllm.deid.morphology import KANJI, KATAKANA

__all__ = ["floor_start", "wards"]

# Wards and rooms, found from their last word backwards (病棟, 号室 are rare; a regex
# that tried every position for the optional prefix would cost more than all the rest).
_WARD_WORD = re.compile("病棟|号室")
# 5階東病棟, 東4階病棟, 4階病棟, 西館3階東病棟, 第2病棟, 3東病棟, A病棟.
_WARD_BEFORE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:[東西南北本新旧中]館|[A-Z東西南北]棟) ?)?"
    r"(?:[東西南北]?第?\d{1,2}階 ?(?:[東西南北中]\d{0,2}|[A-D]\d{0,2})?"
    r"|[東西南北中]\d{0,2}|第?\d{1,2}[東西南北ABCD]?|[A-D]\d{0,2})\Z"
)
_ROOM_BEFORE = re.compile(r"(?<![0-9])\d{2,4}\Z")
# What may stand before a room: a ward named by its function and a floor (回復期リハ病棟 2F
# 206号室, 血液内科病棟 1012号室, 3階 307号室), each followed by a space or not.
_WARD_NAME = re.compile(f"[{KANJI}{KATAKANA}]{{1,10}}\\Z")
_WARD_AHEAD = re.compile(
    f"(?:(?:(?<![{KANJI}{KATAKANA}])(?![現他同各当別前元全一])[{KANJI}{KATAKANA}]{{1,16}}病棟|(?<![0-9])[0-9]{{1,2}}(?:階|F)) ?)+\\Z"
)
# A floor before a unit or room of a home (2階 さくらユニット 205号室, 2F 東棟).
_FLOOR_BEFORE = re.compile(r"(?<![0-9])[0-9]{1,2}(?:階|F) \Z")
_UNIT_WORD = re.compile("ユニット|棟|号室")
# A bed code after a ward: 3B-12, 8北-801, 3B.
_WARD_CODE = re.compile(r" ?[0-9]{1,2}(?:[A-Z東西南北]-?[0-9]{1,3}|-[0-9]{1,3}|[A-Z])(?![0-9A-Za-z])")
_BED_AFTER = re.compile(r" ?(?:\d{1,2}番?床|\d{1,2}番ベッド|ベッド ?\d{1,2}番?)")
# A room number (and bed) at the head of a roster line, before a person with an honorific, an
# age or a sex in brackets: ・601 九十九 寅吉（88）, ※605 肝付 様, 501-1 明石（男）.
_ROSTER_ROOM = re.compile(
    r"^[ \t]*(?:[・\-*※●○■□]|[※]?[0-9]{1,2}[.)])?[ \t]*(?P<room>[1-9][0-9]{2,3})(?:-[0-9]{1,2})?号?室? "
    f"(?=[{KANJI}{KATAKANA}A-Z][^\\n(]{{0,14}}?(?: ?(?:様|さん)|\\([0-9]{{2,3}}(?:歳)?[,)、]|\\([男女][,)、]))",
    re.MULTILINE,
)
# A bed of an intensive-care unit: CCU-3, ICU 5, NICU-12 (look-behind after the first letter,
# so that the scan skips ahead to capitals).
_UNIT_BED = re.compile(
    r"[A-Z](?<![A-Za-z][A-Z])(?:CU|ICU|HCU|SCU|GCU|PICU|NICU|MFICU|CCU|SICU|EICU)?(?<=CU)[- ]?[0-9]{1,2}(?![0-9A-Za-z.]|日|週|か|ヶ|カ|時|回|名|床|人|例)"
)


def wards(text: str) -> Iterator[tuple[int, int, float]]:
    """Wards, rooms and beds in ``text``."""
    if "病棟" in text or "号室" in text:
        for m in _WARD_WORD.finditer(text):
            ward = m.group() == "病棟"
            before = (_WARD_BEFORE if ward else _ROOM_BEFORE).search(text, max(0, m.start() - 12), m.start())
            if before and before.start() < m.start():
                bed = None if ward else _BED_AFTER.match(text, m.end())
                begin = before.start()
                if not ward:  # 回復期リハ病棟 2F 206号室: the ward and floor named before the room
                    ahead = _WARD_AHEAD.search(text, max(0, begin - 30), begin)
                    begin = ahead.start() if ahead else begin
                yield begin, bed.end() if bed else m.end(), 0.8
            elif ward and (code := _WARD_CODE.match(text, m.end())):
                # 小児病棟 3B-12: a bed code after a ward named by its function
                head = _WARD_NAME.search(text, max(0, m.start() - 10), m.start())
                yield head.start() if head else m.start(), code.end(), 0.75
    # ・601 九十九 寅吉（88）, ※605 肝付 様: a room number heading a roster line
    for m in _ROSTER_ROOM.finditer(text):
        yield m.start("room"), m.end("room"), 0.7
    if "CU" in text:
        # CCU-3, NICU-12: a bed of an intensive-care unit (the unit alone is generic)
        for m in _UNIT_BED.finditer(text):
            yield m.start(), m.end(), 0.75


def floor_start(text: str, start: int, end: int) -> int:
    """``start`` moved back over a floor written before a unit or room found at
    ``start:end`` after a space (2階 さくらユニット 205号室), or ``start`` itself."""
    if start and text[start - 1] == " " and _UNIT_WORD.search(text, start, end):
        floor = _FLOOR_BEFORE.search(text, max(0, start - 5), start)
        if floor is not None:
            return floor.start()
    return start

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

from jmedllm.deid.morphology import HIRAGANA, KANJI, KATAKANA

__all__ = ["floor_start", "wards"]

# Wards and rooms, found from their last word backwards (病棟, 号室 are rare; a regex
# that tried every position for the optional prefix would cost more than all the rest).
_WARD_WORD = re.compile("病棟|号室")
# 5階東病棟, 東4階病棟, 4階病棟, 西館3階東病棟, 第2病棟, 3東病棟, A病棟.
_WARD_BEFORE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:[東西南北本新旧中]館|[A-Z東西南北]棟) ?)?"
    r"(?:[東西南北]?第?\d{1,2}階 ?(?:[東西南北中]\d{0,2}|[A-D]\d{0,2})?"
    r"|[東西南北中]\d{0,2}|[東西南北]\d{1,2}条|第?\d{1,2}[東西南北ABCD]?|[A-D]\d{0,2})\Z"
)
# A ward named by its function after a floor (2階回復期病棟, 3F 緩和ケア病棟), and a floor
# after a ward (西病棟7階).
_FLOOR_WARD_BEFORE = re.compile(f"(?<![0-9])[0-9]{{1,2}}(?:階|F) ?[{KANJI}{KATAKANA}]{{1,12}}\\Z")
_FLOOR_AFTER = re.compile(r" ?[0-9]{1,2}(?:階|F)(?![0-9A-Za-z])")
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

# A floor and a wing standing for a ward (4東, 5階西, 3N, 4W), not inside a longer code.
# (A digit first, so that the scan skips ahead; what stands before it is checked after.)
_WING = re.compile(r"[東西南北NSEW](?![0-9]*[A-Za-z東西南北館棟側口])")
_FLOOR_BACK = re.compile(r"(?:1[0-9]|[1-9])階?\Z")
_NOT_BEFORE_WARD = frozenset("0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# A room after it (4東408, 3N-318-B, 4W 0412), a move or a bed count (4東へ転棟, 4西 1床).
_ROOM_AFTER = re.compile(r"[- ]?[0-9]{3,4}(?:号室)?(?:-(?:[A-D](?![A-Za-z])|[1-9](?![0-9])))?(?![0-9])")
_MOVE_AFTER = re.compile(r"(?:病棟)?(?:へ|に|から|より)?(?:転棟|転床|転室|入院| ?[0-9]床)")
_ALONE_BEFORE = re.compile(r"^|[\s()「【、,→:・/|]")
_ALONE_AFTER = re.compile(r"$|[\s()」】、,。:・/|→]|の|に|へ|で|から|より|空|病棟")
_WARD_CONTEXT_BEFORE = re.compile(r"(?:病棟|転棟|空床|病室|夜勤|日勤|準夜|深夜)[^\n]{0,4}\Z")


def wards(text: str) -> Iterator[tuple[int, int, float]]:
    """Wards, rooms and beds in ``text``."""
    if "病棟" in text or "号室" in text:
        for m in _WARD_WORD.finditer(text):
            ward = m.group() == "病棟"
            before = (_WARD_BEFORE if ward else _ROOM_BEFORE).search(text, max(0, m.start() - 12), m.start())
            if ward and not (before and before.start() < m.start()):
                before = _FLOOR_WARD_BEFORE.search(text, max(0, m.start() - 16), m.start())
            if before and before.start() < m.start():
                bed = _FLOOR_AFTER.match(text, m.end()) if ward else _BED_AFTER.match(text, m.end())
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
    yield from _ward_codes(text)
    yield from _rooms(text)


# A room number and its bed (503, 715-2, 1012): a floor, then a room number up to 60.
_ROOM = r"(?:[1-9]|1[0-9])(?:[0-5][0-9]|60)(?:-[1-9][0-9]?)?"
# A ward board's lines: a room first, then what lies in it (501 ヨシダ, 704-1 オリヴェイラ
# マルセロさん, 502 空) — not a count (120 回, 250 mL).
_BOARD_LINE = (
    rf"[ \t]*(?:[・\-*※●○■□]|[0-9]{{1,2}}[.)])?[ \t]*(?P<room>{_ROOM})(?:号室?)?[ \t]+"
    rf"(?![0-9]|(?:回|名|件|人|例|床|円|点|分|秒|日|時|週|年|月|歳|才|本|枚|錠|個|単位|以上|以下|未満|程度|前後|mg|mL|ml|g\b|kg|cc|cm|mm|%))"
    f"(?=[{KANJI}{KATAKANA}A-Za-z])"
)
# (a line's start, then a table cell's or a column gap's, as two scans: one pattern with
# all three would be tried at every position)
_BOARD_ROOM = re.compile("^" + _BOARD_LINE, re.MULTILINE)
_BOARD_CELL = re.compile(r"(?:\||  )" + _BOARD_LINE)
# Free beds and rooms listed after what they are: 空床 703・715-2・722-4, 空2（502、507-4）,
# 個室 720, 当棟507-4.
_ROOM_LIST = re.compile(
    rf"(?:空床|空き|空[0-9]?|個室|転床先?|転室先?|当棟|病室|部屋)[ :]*\(?(?P<list>{_ROOM}(?:[・、, /]{_ROOM})*)(?![0-9])"
)
_ROOM_IN_LIST = re.compile(_ROOM)
# A room and a bed in brackets after a patient (森 康介（503-2）), and a room before の and a
# patient (712のビナさん, 704号室の関さん).
_BRACKETED_BED = re.compile(r"\((?P<room>(?:[1-9]|1[0-9])(?:[0-5][0-9]|60)-[1-9])\)")
_ROOM_OF = re.compile(f"の(?=[{KANJI}{KATAKANA}{HIRAGANA}]{{1,8}}(?:さん|様|くん|ちゃん))")
_ROOM_BACK = re.compile(rf"(?P<room>{_ROOM})(?:号室)?\Z")  # (read back from の: the scan skips to it)
_NOT_BEFORE_ROOM = frozenset("0123456789.-/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# A room before its ward in brackets (510（5東）), and a numbered operating room (第3手術室).
_ROOM_BEFORE_WARD = re.compile(rf"(?P<room>{_ROOM})(?=\((?:1[0-9]|[1-9])階?[東西南北]\))")
_OPERATING_ROOM = re.compile(r"第[0-9]{1,2}手術室")
# What may follow a room named again elsewhere in the document (not a unit or a decimal).
_ROOM_AGAIN_AFTER = re.compile(
    r"(?![0-9.:/]|-[0-9]|[ ]?(?:mg|mL|ml|g\b|kg|cc|cm|mm|%|回|名|件|人|円|点|分|秒|歳|才|単位))"
)


def _rooms(text: str) -> Iterator[tuple[int, int, float]]:
    """Room numbers on ward boards and in bed lists, and the same rooms named again in the
    document (612 は中止, 701と708-3で9時に): a number that heads two or more lines of a
    board, or follows 空床/個室, is a room wherever it stands alone."""
    rooms: dict[str, None] = {}
    board = list(_BOARD_ROOM.finditer(text))
    if "|" in text or "  " in text:
        board += _BOARD_CELL.finditer(text)
    if len(board) >= 2:  # one line headed by a number may be anything; a board has several
        for m in board:
            rooms[m.group("room")] = None
            yield m.start("room"), m.end("room"), 0.7
    for m in _BRACKETED_BED.finditer(text):
        rooms[m.group("room")] = None
        yield m.start("room"), m.end("room"), 0.65
    for of in _ROOM_OF.finditer(text):
        if not of.start() or not ("0" <= text[of.start() - 1] <= "9" or text[of.start() - 1] == "室"):
            continue
        m = _ROOM_BACK.search(text, max(0, of.start() - 10), of.start())
        if m is None or (m.start() and text[m.start() - 1] in _NOT_BEFORE_ROOM):
            continue
        rooms[m.group("room")] = None
        yield m.start("room"), m.end("room"), 0.65
    if "(" in text:
        for m in _ROOM_BEFORE_WARD.finditer(text):
            if not (m.start() and text[m.start() - 1] in _NOT_BEFORE_ROOM):
                rooms[m.group("room")] = None
                yield m.start("room"), m.end("room"), 0.7
    if "手術室" in text:
        for m in _OPERATING_ROOM.finditer(text):
            yield m.start(), m.end(), 0.7
    for m in _ROOM_LIST.finditer(text):
        for r in _ROOM_IN_LIST.finditer(text, m.start("list"), m.end("list")):
            rooms[r.group()] = None
            yield r.start(), r.end(), 0.7
    for room in rooms:
        for m in re.finditer(rf"(?<![0-9A-Za-z.\-:/]){re.escape(room)}", text):
            if _ROOM_AGAIN_AFTER.match(text, m.end()):
                yield m.start(), m.end(), 0.65


def _ward_codes(text: str) -> Iterator[tuple[int, int, float]]:
    """Wards written as a floor and a wing without 病棟 (4東, 5階西, 3N, 4W), where a room
    follows (4東408, 3N-318-B) or a move between wards or a free bed is spoken of (4東へ転棟,
    空床 4西 1床, 夜勤記録（3N）). Alone, 4東 or 3N could be anything."""
    for w in _WING.finditer(text):
        # the wing first (rarer than digits), then the floor before it
        floor = _FLOOR_BACK.search(text, max(0, w.start() - 3), w.start())
        if floor is None or (text[w.start() - 1] == "階" and w.group() in "NSEW"):
            continue
        start, end = floor.start(), w.end()
        if start and text[start - 1] in _NOT_BEFORE_WARD:
            continue  # inside a longer code or number (H3N2, 25W)
        room = _ROOM_AFTER.match(text, end)
        if room is not None and (text[end] in "- " or text[end - 1] > "~"):
            # a room glued to the ward only after a kanji wing (4東408; 4W0412 may be a code)
            yield start, room.end(), 0.75
        elif (
            _MOVE_AFTER.match(text, end)
            or _WARD_CONTEXT_BEFORE.search(text, max(0, start - 8), start)
            or (
                text[end - 1] > "~"
                and _ALONE_BEFORE.match(text, start - 1 if start else 0)
                and _ALONE_AFTER.match(text, end)
            )
        ):
            # 7西 申し送り, → 6西空きなし, 5東の東さん: a kanji wing standing alone is a ward
            # (3W alone is as often three weeks)
            yield start, end, 0.7


def floor_start(text: str, start: int, end: int) -> int:
    """``start`` moved back over a floor written before a unit or room found at
    ``start:end`` after a space (2階 さくらユニット 205号室), or ``start`` itself."""
    if start and text[start - 1] == " " and _UNIT_WORD.search(text, start, end):
        floor = _FLOOR_BEFORE.search(text, max(0, start - 5), start)
        if floor is not None:
            return floor.start()
    return start

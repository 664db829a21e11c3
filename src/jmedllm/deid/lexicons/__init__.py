"""Word lists the name, facility and protection rules consult (package data).

Names (surnames, given names in kanji and kana, romaji, foreign katakana names, the kanji
names are made of), the context around names (titles, honorifics, roles, relations, form
labels, stop words), facility words (type suffixes, care-home kinds, corporations, stop
and generic words) and eponymous medical terms. Keeping them as data keeps the rules
readable and lets an institution review or extend a list without touching code.

Each ``<name>.txt`` holds one entry per line; lines starting with ``#`` are comments and
every file's header says where its entries come from. Entries are NFKC-normalised on
load because recognizers only ever see normalised text (a list written with full-width
or compatibility characters must still match).

Lists are read through :mod:`importlib.resources`, so they work from a wheel or a zip as
well as from a source tree, and each is read once per process.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

__all__ = ["LEXICONS", "load_lexicon", "name_kanji"]

#: The bundled lists, by name (file name without ``.txt``).
LEXICONS = (
    # names
    "surnames",
    "given_names",
    "romaji_surnames",
    "romaji_given_names",
    "foreign_names",
    "name_kanji",
    "name_readings_surnames",
    "name_readings_given",
    # context around names
    "person_titles",
    "person_honorifics",
    "person_roles",
    "person_relations",
    "person_labels",
    "person_stopwords",
    "katakana_roles",
    "departments",
    # facilities
    "facility_suffixes",
    "facility_weak_suffixes",
    "facility_kinds",
    "corporations",
    "facility_stopwords",
    "facility_generic",
    # places named alone
    "japanese_cities",
    "municipalities",
    "city_names",
    "foreign_places",
    # protected terms
    "eponyms",
)


@cache
def load_lexicon(name: str) -> frozenset[str]:
    """The entries of the bundled list ``name`` (e.g. ``"surnames"``), NFKC-normalised.

    Raises :class:`KeyError` for a name that is not in :data:`LEXICONS`.
    """
    if name not in LEXICONS:
        raise KeyError(f"unknown lexicon {name!r}; bundled: {', '.join(LEXICONS)}")
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    entries = (unicodedata.normalize("NFKC", line.strip()) for line in text.splitlines())
    return frozenset(e for e in entries if e and not e.startswith("#"))


@cache
def name_kanji() -> frozenset[str]:
    """Kanji that occur in personal names: those of the surname and given-name lists plus
    ``name_kanji.txt``, minus a few that only medical and role words use (科, 院, 病 …).

    An unknown word next to a name cue, or the name part of a facility, that is made of
    these characters is likely a name (鴨畑, 北斗); 結節, 腫瘍 or 化学 are not.
    """
    chars = {c for name in ("surnames", "given_names", "name_kanji") for w in load_lexicon(name) for c in w}
    return frozenset(c for c in chars if _KANJI.fullmatch(c)) - _NEVER_IN_NAMES


_KANJI = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NEVER_IN_NAMES = frozenset("科院病症医師室棟様殿氏君者員診療術査剤薬患")

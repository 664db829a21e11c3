"""Tokenisation for de-identification: exact offsets, UniDic POS, sharing, speed helpers."""

from __future__ import annotations

import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("fugashi")
pytest.importorskip("unidic_lite")

import itertools

from jmedllm.deid.base import TextContext, Token
from jmedllm.deid.morphology import (
    MAX_CHUNK,
    Morphemes,
    analyze,
    is_unknown_word,
    morphemes,
    token_ending_at,
    token_starting_at,
    tokenize,
    words_regex,
)

# Japanese clinical characters, ASCII, and every kind of whitespace MeCab might skip or keep.
_ALPHABET = st.sampled_from(
    [
        *list("山田太郎様さんは病院にてアキレス腱反射ー・、。（）()髙﨑𠮷々0123456789abcXYZ:/-."),
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\u3000",
        "\x00",
        "\x0b",
        "\x0c",
        "\xa0",
        "\u2028",
        "\ufe0f",  # a variation selector
    ]
)


def _check_offsets(text: str) -> None:
    tokens = tokenize(text)
    pos = 0
    for tok in tokens:
        assert text[tok.start : tok.end] == tok.surface
        assert tok.start >= pos and tok.end > tok.start
        assert len(tok.pos) == 4
        pos = tok.end
    # Everything between tokens is whitespace MeCab skipped (or nothing).
    covered = "".join(t.surface for t in tokens)
    assert re.sub(r"\s|\x00", "", covered) == re.sub(r"\s|\x00", "", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_offsets_are_exact_on_random_text(text: str) -> None:
    _check_offsets(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_offsets_are_exact_on_arbitrary_unicode(text: str) -> None:
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.surface for t in tokens)
    assert all(a.end <= b.start for a, b in itertools.pairwise(tokens))


def test_pos_levels_from_unidic() -> None:
    tokens = tokenize("山田太郎様は川崎市の病院に行った。")
    by_surface = {t.surface: t.pos for t in tokens}
    assert by_surface["山田"] == ("名詞", "固有名詞", "人名", "姓")
    assert by_surface["太郎"] == ("名詞", "固有名詞", "人名", "名")
    assert by_surface["川崎"][2] == "地名"
    assert by_surface["は"][0] == "助詞"
    assert by_surface["様"][0] == "接尾辞"
    assert all(isinstance(t, Token) for t in tokens)


def test_whitespace_never_becomes_a_token_and_offsets_survive_it() -> None:
    text = "\n\n  山田\t太郎\r\n様　 \n"
    tokens = tokenize(text)
    assert [t.surface for t in tokens] == ["山田", "太郎", "様"]
    _check_offsets(text)


def test_empty_and_blank_text() -> None:
    assert tokenize("") == []
    assert tokenize("   \n\t ") == []


def test_nul_and_tab_do_not_break_the_field_format() -> None:
    text = "患者\x00山田\t様"
    _check_offsets(text)
    assert "山田" in [t.surface for t in tokenize(text)]


def test_long_text_is_cut_into_pieces_without_losing_offsets() -> None:
    line = "主治医の山田太郎先生より紹介された72歳の男性。"
    text = "\n".join([line] * (2 * MAX_CHUNK // len(line) + 3))
    assert len(text) > 2 * MAX_CHUNK
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.surface for t in tokens)
    assert sum(t.surface == "山田" for t in tokens) == text.count("山田")


def test_long_text_without_line_breaks() -> None:
    text = "あ" * (MAX_CHUNK + 500) + "山田様"
    tokens = tokenize(text)
    assert text[tokens[-1].start : tokens[-1].end] == tokens[-1].surface == "様"


def test_morphemes_are_shared_per_context_and_match_tokens() -> None:
    context = TextContext("担当看護師 佐藤花子。橋本病の既往あり。")
    first = morphemes(context)
    assert morphemes(context) is first
    assert isinstance(first, Morphemes)
    assert first.tokens() == context.tokens == tokenize(context.text)
    assert first[1] == context.tokens[1]
    assert first[1:3] == context.tokens[1:3]
    assert len(first) == len(context.tokens)


def test_morphemes_reuse_tokens_already_built() -> None:
    context = TextContext("妻の花子さん")
    tokens = context.tokens
    assert morphemes(context).tokens() == tokens


def test_token_lookup_by_offset() -> None:
    context = TextContext("山田 太郎様")
    assert token_starting_at(context, 0) == 0
    assert token_starting_at(context, 1) == -1
    assert token_ending_at(context, 2) == 0
    assert token_ending_at(context, 5) == 1
    assert token_starting_at(context, 99) == -1


def test_indices_finds_pos() -> None:
    m = analyze("山田さんと田中さん")
    assert [m.surfaces[i] for i in m.indices(("名詞", "固有名詞", "人名", "姓"))] == ["山田", "田中"]


def test_indices_by_identity_matches_the_comparison_search() -> None:
    text = "山田さんと田中さん、鈴木一郎は東京に住む。整。"
    m = analyze(text)
    assert m.shared  # analyze() shares one POS object per value: identity search
    copy = Morphemes.from_tokens(m.tokens(), text)
    assert not copy.shared  # built from tokens: the tuple comparison
    for pos in {*m.pos, ("名詞", "固有名詞", "人名", "姓"), ("no", "such", "pos", "")}:
        assert m.indices(pos) == copy.indices(pos)
    assert len({id(p) for p in m.pos}) == len(set(m.pos))


def test_unknown_words() -> None:
    assert is_unknown_word("髙橋")  # a variant spelling UniDic lacks
    assert not is_unknown_word("結節")
    assert not is_unknown_word("")


def test_words_regex_prefers_longest() -> None:
    pattern = re.compile(words_regex(["主治", "主治医", "様", "さま", "a.b"]))
    assert [m.group() for m in pattern.finditer("主治医と主治とさまと様とa.bとaxb")] == [
        "主治医",
        "主治",
        "さま",
        "様",
        "a.b",
    ]
    assert words_regex([]) == ""


def test_one_tagger_per_thread() -> None:
    results: list[list[str]] = []

    def work() -> None:
        results.append([t.surface for t in tokenize("山田太郎様は橋本病で通院中")])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r == results[0] for r in results)

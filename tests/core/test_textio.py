"""Tests for jmedllm.core.jatext.textio: strict decoding and encoding detection of clinical text.

All clinical text here is synthetic; no real person is described.
"""

from __future__ import annotations

import codecs
import dataclasses
import errno
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jmedllm.core.errors import EncodingDetectionError, InputFileError
from jmedllm.core.jatext.textio import (
    SUPPORTED_ENCODINGS,
    DecodedText,
    decode_bytes,
    detect_encoding,
    iter_lines,
    read_text,
)

# Encodes in UTF-8 and CP932 (half-width katakana, ①②, ㈱ and ～ are CP932, not JIS X 0208).
NOTE_CP932 = "患者は60代男性。主訴は胸痛。血圧 140/90 mmHg。ｱｾﾄｱﾐﾉﾌｪﾝ 500mg 内服。～①②㈱"
# Plain JIS X 0208: encodes in Shift_JIS, EUC-JP and ISO-2022-JP.
NOTE_JIS = "既往歴：高血圧症、糖尿病。内服薬：アムロジピン 5mg 1日1回 朝食後。\n頭部CT：明らかな出血なし。"


def _write(tmp_path: Path, data: bytes, name: str = "note.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


# --- detection of each encoding ---------------------------------------------------------


def test_utf8_without_bom(tmp_path: Path) -> None:
    text = NOTE_CP932 + "〜"  # U+301C WAVE DASH: UTF-8 keeps it apart from ～
    result = read_text(_write(tmp_path, text.encode("utf-8")))
    assert result == DecodedText(text, "utf-8", False)


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    result = read_text(_write(tmp_path, codecs.BOM_UTF8 + NOTE_JIS.encode("utf-8")))
    assert result == DecodedText(NOTE_JIS, "utf-8", True)
    assert not result.text.startswith("\ufeff")


def test_cp932(tmp_path: Path) -> None:
    assert read_text(_write(tmp_path, NOTE_CP932.encode("cp932"))) == DecodedText(NOTE_CP932, "cp932", False)


def test_shift_jis_content_is_read_as_cp932() -> None:
    assert decode_bytes(NOTE_JIS.encode("shift_jis")) == DecodedText(NOTE_JIS, "cp932", False)


def test_euc_jp(tmp_path: Path) -> None:
    result = read_text(_write(tmp_path, NOTE_JIS.encode("euc_jp")))
    assert result == DecodedText(NOTE_JIS, "euc_jp", False)


def test_euc_jp_half_width_katakana() -> None:
    text = "処方：ﾛｷｿﾆﾝ 60mg 1日3回。"
    assert decode_bytes(text.encode("euc_jp")) == DecodedText(text, "euc_jp", False)


def test_iso2022_jp() -> None:
    text = "件名：検査結果のお知らせ\n血糖 180 mg/dL、HbA1c 7.5%。"
    data = text.encode("iso2022_jp")
    assert data.isascii()  # 7-bit: it would pass as UTF-8 too, so the order matters
    assert decode_bytes(data) == DecodedText(text, "iso2022_jp", False)


def test_iso2022_jp_ext_half_width_katakana() -> None:
    text = "処方：ｶﾛﾅｰﾙ錠"
    assert detect_encoding(text.encode("iso2022_jp_ext")) == "iso2022_jp_ext"
    assert decode_bytes(text.encode("iso2022_jp_ext")).text == text


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom(tmp_path: Path, bom: bytes, codec: str) -> None:
    text = NOTE_CP932 + "\r\n"
    result = read_text(_write(tmp_path, bom + text.encode(codec)))
    assert result == DecodedText(text, "utf-16", True)


def test_empty_file(tmp_path: Path) -> None:
    assert read_text(_write(tmp_path, b"")) == DecodedText("", "utf-8", False)
    assert list(iter_lines(tmp_path / "note.txt")) == []


def test_ascii_is_utf8() -> None:
    assert decode_bytes(b"BP 140/90 mmHg, HR 72\n") == DecodedText("BP 140/90 mmHg, HR 72\n", "utf-8", False)


# --- CP932 specifics --------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["①", "㈱", "～", "Ⅲ", "髙"])
def test_cp932_only_characters(extra: str) -> None:
    text = f"検査値 {extra} 異常なし"
    data = text.encode("cp932")
    with pytest.raises(UnicodeEncodeError):
        text.encode("euc_jp")
    assert decode_bytes(data) == DecodedText(text, "cp932", False)


def test_wave_dash_written_by_cp932_reads_back_as_fullwidth_tilde() -> None:
    # CP932 byte 81 60 is ～ (U+FF5E); Windows also writes 〜 (U+301C) as those bytes.
    assert decode_bytes("10〜20mg".encode("cp932")).text == "10～20mg"


def test_nec_gaiji_decodes_to_private_use() -> None:
    # User-defined characters (外字, F040-F9FC) appear in real exports, e.g. rare name kanji.
    data = "氏名：".encode("cp932") + b"\xf0\x40" + "田　様".encode("cp932")
    result = decode_bytes(data)
    assert result == DecodedText("氏名：\ue000田　様", "cp932", False)


def test_stray_single_bytes_are_not_taken_as_cp932() -> None:
    # Python's cp932 maps lone 80/A0/FD-FF to U+0080/U+F8F0-F8F3; detection refuses them ...
    data = "血圧".encode("cp932") + b"\xfd"
    with pytest.raises(EncodingDetectionError) as info:
        decode_bytes(data)
    assert info.value.tried["cp932"] == 4
    # ... but an explicit encoding is taken at its word.
    assert decode_bytes(data, encoding="cp932").text == "血圧\uf8f1"


# --- data valid in both CP932 and EUC-JP ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("患者は60代男性。主訴は胸痛。", "euc_jp"),
        ("経過観察とし、2週間後に再診予定。", "euc_jp"),
        ("CRP 3.2 mg/dL、WBC 12000 /μL。", "euc_jp"),
        ("右下肺野に浸潤影", "euc_jp"),
        ("心電図 洞調律 ST変化なし", "euc_jp"),
        ("体温 37.2℃、SpO2 98%", "euc_jp"),
        ("全身倦怠感", "euc_jp"),
        ("看護師", "euc_jp"),
        ("患者ID,氏名ｶﾅ,性別", "euc_jp"),
        ("00123,ﾀﾅｶ ｲﾁﾛｳ,M", "euc_jp"),
        ("ｱｾﾄｱﾐﾉﾌｪﾝ 500mg", "euc_jp"),
        # Legacy CP932 exports write drug names in half-width katakana; EUC-JP reads
        # even-length runs of it as junk kanji (ﾌﾛｾﾐﾄﾞ -> 黙笑爪).
        ("ﾌﾛｾﾐﾄﾞ", "cp932"),
        ("ｱﾑﾛｼﾞﾋﾟﾝ 5mg", "cp932"),
        ("ﾜｰﾌｧﾘﾝ 1mg", "cp932"),
        ("ﾌﾟﾚﾄﾞﾆｿﾞﾛﾝ", "cp932"),
        ("ｼﾞｽﾛﾏｲｼﾝ", "cp932"),
        ("ﾔﾏﾀﾞ 2T", "cp932"),
    ],
)
def test_ambiguous_bytes_choose_the_plausible_encoding(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    assert _decodes(data, "cp932") and _decodes(data, "euc_jp"), "sample must be ambiguous"
    assert decode_bytes(data) == DecodedText(text, encoding, False)


def test_multi_line_euc_jp_export(tmp_path: Path) -> None:
    text = "00123,ﾀﾅｶ ｲﾁﾛｳ,M\n00124,ﾔﾏﾀﾞ ﾊﾅｺ,F\n"
    data = text.encode("euc_jp")
    assert _decodes(data, "cp932")
    assert read_text(_write(tmp_path, data)).encoding == "euc_jp"


def test_large_ambiguous_file_is_scored_on_a_sample(tmp_path: Path) -> None:
    # ~700 KB, past the 256 KiB scoring sample, which ends inside a character (3 + 34n + 1).
    text = "ID\n" + "経過観察とし、2週間後に再診予定。\n" * 20_000
    data = text.encode("euc_jp")
    assert _decodes(data, "cp932")
    assert read_text(_write(tmp_path, data)) == DecodedText(text, "euc_jp", False)


# --- explicit encodings -----------------------------------------------------------------


def test_explicit_encoding_overrides_detection() -> None:
    data = "ﾔﾏﾀﾞ 2T".encode("cp932")  # detected as cp932 ...
    assert decode_bytes(data, encoding="euc_jp") == DecodedText("塹折 2T", "euc_jp", False)


def test_explicit_utf8_strips_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + b"ok", encoding="utf-8") == DecodedText("ok", "utf-8", True)


def test_explicit_encoding_failure(tmp_path: Path) -> None:
    path = _write(tmp_path, b"BP " + "血圧".encode("cp932"))
    with pytest.raises(EncodingDetectionError) as info:
        read_text(path, encoding="utf-8")
    err = info.value
    assert (err.path, err.offset, err.tried) == (str(path), 3, {"utf-8": 3})
    assert str(path) in err.one_line() and "offset 3" in err.one_line()


def test_explicit_utf8_failure_offset_counts_the_bom() -> None:
    with pytest.raises(EncodingDetectionError) as info:
        decode_bytes(codecs.BOM_UTF8 + b"ab\xff", encoding="utf-8")
    assert info.value.offset == 5


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("shift_jis", "cp932"),
        ("Shift-JIS", "cp932"),
        ("SJIS", "cp932"),
        ("MS932", "cp932"),
        ("Windows-31J", "cp932"),
        ("CP932", "cp932"),
        ("eucjp", "euc_jp"),
        ("EUC-JP", "euc_jp"),
        ("UTF8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("ISO-2022-JP", "iso2022_jp"),
        ("UTF-16", "utf-16"),
    ],
)
def test_encoding_aliases(alias: str, canonical: str) -> None:
    assert canonical in SUPPORTED_ENCODINGS
    text = "内科外来"
    data = text.encode(canonical)
    assert decode_bytes(data, encoding=alias) == DecodedText(text, canonical, canonical == "utf-16")


@pytest.mark.parametrize("name", ["latin-9", "utf-32", "rot13", ""])
def test_unknown_encoding_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputFileError) as info:
        decode_bytes(b"abc", encoding=name)
    assert not isinstance(info.value, EncodingDetectionError)
    message = info.value.one_line()
    assert repr(name) in message and "cp932" in message and "euc_jp" in message
    # An encoding typo is reported before the file is even looked for.
    with pytest.raises(InputFileError, match="unknown encoding"):
        read_text(tmp_path / "missing.txt", encoding=name)


# --- undecodable data -------------------------------------------------------------------


def test_undecodable_bytes_after_valid_text(tmp_path: Path) -> None:
    data = "主訴：胸痛".encode("cp932") + b"\xff\xfe\xfd\x80"
    path = _write(tmp_path, data, "export.csv")
    with pytest.raises(EncodingDetectionError) as info:
        read_text(path)
    err = info.value
    # UTF-8 and EUC-JP fail at the first byte; CP932 gets through the 10 bytes of text.
    assert err.tried == {"utf-8": 0, "cp932": 10, "euc_jp": 0}
    assert err.offset == 10
    assert err.path == str(path)
    assert isinstance(err, UnicodeError) and isinstance(err, InputFileError)
    message = err.one_line()
    assert "export.csv" in message and "offset 10" in message
    assert "主訴" not in message and "胸痛" not in message


def test_broken_utf16_after_bom() -> None:
    with pytest.raises(EncodingDetectionError) as info:
        decode_bytes(codecs.BOM_UTF16_LE + "血圧".encode("utf-16-le") + b"\x00")
    assert (info.value.offset, info.value.tried) == (6, {"utf-16": 6})


def test_broken_iso2022_jp_is_not_passed_off_as_utf8() -> None:
    data = b"\x1b$B\x7f\x7f\x1b(B"
    assert _decodes(data, "utf-8")
    with pytest.raises(EncodingDetectionError) as info:
        decode_bytes(data, source="mail.eml")
    assert set(info.value.tried) == {"iso2022_jp", "iso2022_jp_ext"}
    assert "mail.eml" in info.value.one_line()


def test_error_message_never_contains_text(tmp_path: Path) -> None:
    secret = "氏名：架空太郎 生年月日 1960/01/01 住所 東京都"
    path = _write(tmp_path, secret.encode("euc_jp") + b"\xa1", "patient.txt")
    with pytest.raises(EncodingDetectionError) as info:
        read_text(path)
    rendered = info.value.one_line() + str(info.value) + repr(info.value)
    for fragment in ("架空", "太郎", "東京", "1960"):
        assert fragment not in rendered


def test_decoded_text_repr_hides_text() -> None:
    result = decode_bytes("架空太郎 心不全".encode())
    assert "架空" not in repr(result) and "utf-8" in repr(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]


@given(st.binary(max_size=64))
def test_any_bytes_decode_strictly_or_raise(data: bytes) -> None:
    try:
        result = decode_bytes(data)
    except EncodingDetectionError as err:
        assert err.offset == max(err.tried.values())
        assert 0 <= err.offset < len(data)
        return
    body = data[3:] if result.bom and result.encoding == "utf-8" else data
    assert body.decode(result.encoding) == result.text  # strict, never replaced


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_utf8_text_round_trips(text: str) -> None:
    if any(esc in text for esc in ("\x1b$B", "\x1b$@", "\x1b(J", "\x1b(I", "\x1b$(D")):
        return  # such text looks like ISO-2022-JP by design
    assert decode_bytes(text.encode("utf-8")).text == text


# --- reading files ----------------------------------------------------------------------


def test_read_text_accepts_str_and_pathlike(tmp_path: Path) -> None:
    path = _write(tmp_path, NOTE_JIS.encode("utf-8"))
    assert read_text(str(path)) == read_text(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no_such_note.txt"
    with pytest.raises(InputFileError) as info:
        read_text(path)
    assert not isinstance(info.value, EncodingDetectionError)
    assert str(path) in info.value.one_line() and "check the path" in info.value.one_line()


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="is a directory"):
        read_text(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, non-root")
def test_permission_denied(tmp_path: Path) -> None:
    path = _write(tmp_path, b"secret")
    path.chmod(0)
    try:
        with pytest.raises(InputFileError, match="permission denied"):
            read_text(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied: "),
        (OSError(errno.EIO, "Input/output error"), "cannot read "),
    ],
)
def test_os_errors_become_input_file_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, expected: str
) -> None:
    path = _write(tmp_path, b"BP 140/90")

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(Path, "open", fail)
    with pytest.raises(InputFileError) as info:
        read_text(path)
    assert info.value.one_line().startswith(f"{expected}{path}")


def test_max_bytes(tmp_path: Path) -> None:
    data = NOTE_CP932.encode("cp932")
    path = _write(tmp_path, data)
    assert read_text(path, max_bytes=len(data)).text == NOTE_CP932
    with pytest.raises(InputFileError) as info:
        read_text(path, max_bytes=len(data) - 1)
    message = info.value.one_line()
    assert f"{len(data):,} bytes" in message and f"limit of {len(data) - 1:,} bytes" in message
    assert str(path) in message and "患者" not in message
    with pytest.raises(ValueError):
        read_text(path, max_bytes=-1)


# --- lines ------------------------------------------------------------------------------


def test_iter_lines_handles_every_line_ending(tmp_path: Path) -> None:
    text = "主訴：胸痛\r\n既往歴：なし\r\r所見：異常なし\n\f改ページ後\n"
    path = _write(tmp_path, text.encode("cp932"))
    assert list(iter_lines(path)) == [
        (1, "主訴：胸痛"),
        (2, "既往歴：なし"),
        (3, ""),
        (4, "所見：異常なし"),
        (5, "\f改ページ後"),
    ]


def test_iter_lines_last_line_without_newline(tmp_path: Path) -> None:
    path = _write(tmp_path, "一行目\n二行目".encode("euc_jp"))
    assert list(iter_lines(path, encoding="euc-jp")) == [(1, "一行目"), (2, "二行目")]


def test_iter_lines_raises_on_call(tmp_path: Path) -> None:
    with pytest.raises(InputFileError):
        iter_lines(tmp_path / "missing.txt")  # not deferred to the first next()

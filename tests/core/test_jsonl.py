"""JSONL reading: line-numbered errors, counted skips, no content in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmedllm.core.errors import InputFileError
from jmedllm.core.jsonl import ReadStats, RecordError, open_output, read_records, write_record

REQUIRED = {"id": (str, int), "text": str}


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_reads_records_with_line_numbers_and_bom(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "in.jsonl",
        [b'\xef\xbb\xbf{"id": 1, "text": "a"}', b"", '{"id": "b", "text": "患者"}'.encode()],
    )
    stats = ReadStats()
    assert [(n, r["id"]) for n, r in read_records(path, required=REQUIRED, stats=stats)] == [(1, 1), (3, "b")]
    assert stats.read == 2 and stats.blank == 1


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"id": 1, "text": "x"', "invalid JSON"),
        (b'["id", "text"]', "expected a JSON object"),
        (b'{"id": 1}', "missing field 'text'"),
        (b'{"id": 1, "text": 5}', "field 'text' must be a string"),
        (b'{"id": true, "text": "x"}', "field 'id' must be"),
        ('{"id": 1, "text": "山田"}'.encode("cp932"), "not UTF-8"),
    ],
)
def test_bad_lines_stop_with_the_line_number(tmp_path: Path, line: bytes, problem: str) -> None:
    path = _write(tmp_path / "in.jsonl", [b'{"id": 0, "text": "ok"}', line])
    with pytest.raises(RecordError) as info:
        list(read_records(path, required=REQUIRED))
    assert info.value.line == 2 and problem in str(info.value)
    assert "山田" not in str(info.value) and "--on-error skip" in str(info.value)


def test_skip_counts_every_bad_line_by_reason(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [b"{bad", b'{"id": 1}', b'{"id": 2, "text": "ok"}', b"{bad again"])
    stats = ReadStats()
    records = list(read_records(path, required=REQUIRED, on_error="skip", stats=stats))
    assert [r["id"] for _, r in records] == [2]
    assert stats.total_skipped == 3 and stats.skipped["invalid JSON"] == 2


def test_missing_input_and_output_round_trip(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        list(read_records(tmp_path / "nope.jsonl"))
    target = tmp_path / "sub" / "out.jsonl"
    with open_output(target) as out:
        write_record(out, {"id": 1, "text": "患者"})
    assert target.read_text(encoding="utf-8") == '{"id":1,"text":"患者"}\n'

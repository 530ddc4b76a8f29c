"""Journal files: whole-line appends, torn-tail repair, readers skip torn lines and refuse new schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from analyze.journal.records import JournalFormatError
from analyze.journal.store import (
    Journal,
    JournalBusyError,
    JsonlAppender,
    SymlinkRefused,
    iter_journal,
    judged_task_ids,
    repair_torn_tail,
)


def test_append_adds_schema_and_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with JsonlAppender(path) as out:
        out.append({"task_id": "a", "text": "中文"})
        out.append({"task_id": "b"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"schema": 1, "task_id": "a", "text": "中文"},
        {"schema": 1, "task_id": "b"},
    ]


def test_torn_tail_is_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"schema": 1, "task_id": "a"}\n{"schema": 1, "task_id": "b", "cand')
    assert judged_task_ids(tmp_path.joinpath("x")) == set()
    assert [r["task_id"] for r in iter_journal(path)] == ["a"]
    with JsonlAppender(path) as out:
        out.append({"task_id": "c"})
    assert [r["task_id"] for r in iter_journal(path)] == ["a", "c"]


def test_repair_cuts_a_file_that_is_one_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"task_id": "a"')
    assert repair_torn_tail(path) is True and path.read_bytes() == b""
    assert repair_torn_tail(path) is False


def test_repair_walks_back_over_long_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"task_id": "a"}\n' + b"x" * 200_000)
    assert repair_torn_tail(path) is True
    assert path.read_bytes() == b'{"task_id": "a"}\n'


def test_readers_skip_garbage_lines_and_refuse_future_schema(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"schema": 1, "task_id": "a"}\nnot json\n[1]\n', encoding="utf-8")
    assert judged_task_ids(tmp_path) == {"a"}
    path.write_text('{"schema": 2, "task_id": "a"}\n', encoding="utf-8")
    with pytest.raises(JournalFormatError, match=r"results\.jsonl:1: field 'schema' is 2"):
        judged_task_ids(tmp_path)


def test_a_line_without_schema_is_refused_like_a_future_one(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text('{"task_id": "a"}\n', encoding="utf-8")
    with pytest.raises(JournalFormatError, match=r"results\.jsonl:1: field 'schema' is None"):
        judged_task_ids(tmp_path)


def test_rejects_are_rewritten_each_run_results_kept(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        journal.rejects.append({"line": 1})
        journal.results.append({"task_id": "a"})
    with Journal(tmp_path) as journal:
        journal.results.append({"task_id": "b"})
    assert list(iter_journal(tmp_path / "rejects.jsonl")) == []
    assert judged_task_ids(tmp_path) == {"a", "b"}


def test_second_writer_on_one_directory_is_refused(tmp_path: Path) -> None:
    with Journal(tmp_path), pytest.raises(JournalBusyError, match="another analyze run is writing to"):
        Journal(tmp_path)
    with Journal(tmp_path) as journal:  # released on close
        journal.results.append({"task_id": "a"})


@pytest.mark.parametrize("name", ["rejects.jsonl", "results.jsonl", ".analyze.lock"])
def test_a_journal_file_planted_as_a_symlink_is_refused_and_its_target_untouched(
    tmp_path: Path, name: str
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(target)
    with pytest.raises(SymlinkRefused, match=rf"{re.escape(name)} is a symbolic link"), Journal(out):
        pass
    assert target.read_text() == "keep me\n"

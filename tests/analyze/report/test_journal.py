import json

import pytest
from analyze.report.journal import Execution, JournalError, read_journal

from .journal_factory import JournalDir, execution


def test_missing_files_read_as_empty(journal: JournalDir) -> None:
    data = read_journal(journal.path)
    assert data.candidates == [] and data.runs == [] and data.rejects == [] and data.warnings == []


def test_torn_last_line_is_ignored(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5), ("B", 4)])
    journal.append_raw("results.jsonl", '{"schema": 1, "task_id": "t2", "candidates": [')
    data = read_journal(journal.path)
    assert data.result_task_ids == {"t1"}
    assert data.warnings == ["results.jsonl line 2: torn last line (no newline) ignored"]


def test_complete_json_without_newline_is_still_torn(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)])
    journal.append_raw("results.jsonl", json.dumps({"schema": 1, "task_id": "t2"}))
    assert read_journal(journal.path).result_task_ids == {"t1"}


def test_torn_line_followed_by_later_lines_is_skipped(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)])
    journal.append_raw("results.jsonl", '{"schema": 1, "task_id": "t2", "cand\n')  # a crash, then a new run
    journal.result("t2", [("A", 5)])
    data = read_journal(journal.path)
    assert data.result_task_ids == {"t1", "t2"}
    assert data.warnings == ["results.jsonl line 2: not JSON (torn write) ignored"]


def test_future_schema_is_refused(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)], schema=2)
    with pytest.raises(JournalError, match=r"results.jsonl line 1: field 'schema' is 2"):
        read_journal(journal.path)


def test_missing_field_is_named(journal: JournalDir) -> None:
    line = journal.result("t1", [("A", 5), ("B", 4)])
    del line["candidates"][1]["rank"]
    (journal.path / "results.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(JournalError, match=r"line 1: field 'candidates\[1\].rank' is missing"):
        read_journal(journal.path)


def test_ill_typed_score_is_named(journal: JournalDir) -> None:
    journal.result("t1", [("A", {"overall": "high"})])
    with pytest.raises(JournalError, match=r"field 'candidates\[0\].scores.overall' has 'high'"):
        read_journal(journal.path)


def test_boolean_is_not_a_number(journal: JournalDir) -> None:
    journal.result("t1", [("A", {"overall": True})])
    with pytest.raises(JournalError, match="overall"):
        read_journal(journal.path)


def test_ranks_must_be_a_permutation(journal: JournalDir) -> None:
    line = journal.result("t1", [("A", 5), ("B", 4)])
    line["candidates"][1]["rank"] = 1
    (journal.path / "results.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(JournalError, match="not a permutation"):
        read_journal(journal.path)


def test_second_result_for_a_task_is_ignored(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5), ("B", 4)])
    journal.result("t1", [("B", 9), ("A", 1)])
    data = read_journal(journal.path)
    assert [(c.model, c.rank) for c in data.candidates] == [("A", 1), ("B", 2)]
    assert data.warnings == ["results.jsonl line 2: second result for task 't1' ignored"]


def test_chinese_text_round_trips(journal: JournalDir) -> None:
    issue = {
        "candidate_id": "c1",
        "model": "模型甲",
        "category": "健壮性",
        "severity": "high",
        "text": "没有检查空输入",
    }
    journal.result("t1", [("模型甲", 5)], issues=[issue])
    data = read_journal(journal.path)
    assert data.issues[0].text == "没有检查空输入" and data.candidates[0].model == "模型甲"


def test_failure_needs_a_kind(journal: JournalDir) -> None:
    journal.append("failures.jsonl", {"schema": 1, "task_id": "t9", "reason": "x"})
    with pytest.raises(JournalError, match=r"failures.jsonl line 1: field 'kind' is missing"):
        read_journal(journal.path)


@pytest.mark.parametrize(
    "tail",
    [
        '{"schema": 1, "task_id": "t2", "candidates": [',  # cut mid-line
        json.dumps({"schema": 1, "task_id": "t2"}),  # complete JSON, newline missing
        '{"schema": 1, "task_id": "t2", "cand\n',  # torn, then a newline from a later append
        "[1, 2]\n",  # not an object: the report refuses it, resume must not count it either
    ],
)
def test_resume_and_report_agree_on_what_results_hold(journal: JournalDir, tail: str) -> None:
    from analyze.journal.store import judged_task_ids

    journal.result("t1", [("A", 5)])
    journal.append_raw("results.jsonl", tail)
    done = judged_task_ids(journal.path)
    try:
        reported = read_journal(journal.path).result_task_ids
    except JournalError:
        reported = {"t1"}  # refused with the line named: nothing beyond t1 counted
    assert done == reported == {"t1"}


def test_execution_and_passed_source_are_read(journal: JournalDir) -> None:
    journal.result(
        "t1",
        [("A", 8), ("B", 6), ("C", 4)],
        executions=[execution("passed"), execution("timeout", 1, 3, "case 1: 2 s"), execution("not_run")],
    )
    journal.result("t2", [("A", 5)], passed=[True], passed_source=["input"])
    a, b, c, d = read_journal(journal.path).candidates
    assert (a.passed, a.passed_source, a.execution) == (True, "execution", Execution("passed", 3, 3, 0.1, ""))
    assert (b.passed, b.execution.status, b.execution.tests_passed, b.execution.detail) == (
        False,
        "timeout",
        1,
        "case 1: 2 s",
    )
    assert (c.passed, c.passed_source, c.execution.definite) == (None, None, False)
    assert (d.passed, d.passed_source, d.execution) == (True, "input", None)


def test_old_lines_have_no_execution(journal: JournalDir) -> None:
    journal.result("t1", [("A", 5)], passed=[False])
    (candidate,) = read_journal(journal.path).candidates
    assert (candidate.passed, candidate.passed_source, candidate.execution) == (False, None, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"passed_source": "oracle"}, r"'candidates\[0\].passed_source' has 'oracle', expected one of input"),
        ({"passed_source": 1}, r"'candidates\[0\].passed_source' has 1, expected str"),
        ({"passed": "yes"}, r"'candidates\[0\].passed' has 'yes', expected bool"),
        ({"execution": "passed"}, r"'candidates\[0\].execution' has 'passed', expected an object or null"),
        ({"execution": {"tests_passed": 1}}, r"'candidates\[0\].execution.status' is missing"),
        (
            {"execution": execution("crashed")},
            r"'candidates\[0\].execution.status' has 'crashed', expected one of passed, failed",
        ),
        (
            {"execution": execution("passed") | {"tests_total": "3"}},
            r"'candidates\[0\].execution.tests_total' has '3', expected int",
        ),
        (
            {"execution": execution("passed") | {"tests_passed": True}},
            r"'candidates\[0\].execution.tests_passed' has True, expected int",
        ),
        (
            {"execution": {k: v for k, v in execution("failed").items() if k != "duration_s"}},
            r"'candidates\[0\].execution.duration_s' is missing",
        ),
        (
            {"execution": execution("failed") | {"detail": 7}},
            r"'candidates\[0\].execution.detail' has 7, expected str",
        ),
    ],
)
def test_bad_execution_fields_are_named(journal: JournalDir, change: dict, message: str) -> None:
    line = journal.result("t1", [("A", 5)])
    line["candidates"][0] |= change
    (journal.path / "results.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(JournalError, match=r"results.jsonl line 1: field " + message):
        read_journal(journal.path)

"""Console: seed banners in Chinese or English, report steps numbered 3..6, plain progress off a terminal."""

from __future__ import annotations

import io

from analyze.progress import Console


def test_report_steps_continue_after_judging() -> None:
    out = io.StringIO()
    console = Console("zh", stream=out)
    for i, title in enumerate(["生成统计表格", "绘制图表", "生成词云", "生成 HTML 报告"]):
        console.report_step(i, title)
    text = out.getvalue()
    assert "📊 [步骤 3/6] 生成统计表格..." in text and "📝 [步骤 6/6] 生成 HTML 报告..." in text


def test_plain_progress_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console("en", stream=out, interval_s=0.0)
    console.start_bar(3)
    console.task_done(True)
    console.task_done(False)
    console.close_bar()
    lines = [line for line in out.getvalue().splitlines() if "judging:" in line]
    assert lines[0].strip().startswith("judging: 1/3 ok=1 failed=0")
    assert lines[-1].strip().startswith("judging: 2/3 ok=1 failed=1")


def test_tick_prints_while_nothing_finishes() -> None:
    out = io.StringIO()
    console = Console("zh", stream=out, interval_s=0.0)
    console.start_bar(5)
    console.tick()
    assert "分析任务: 0/5 成功=0 失败=0" in out.getvalue()


def test_report_steps_use_the_consoles_own_titles_in_its_language() -> None:
    report_titles = ["tables", "charts", "word cloud", "HTML page"]  # what build_report passes
    texts = {}
    for lang in ("zh", "en"):
        out = io.StringIO()
        console = Console(lang, stream=out)
        for i, title in enumerate(report_titles, start=1):
            console.report_step(i, title)
        texts[lang] = out.getvalue()
    assert "☁️ [步骤 5/6] 生成词云..." in texts["zh"] and "📈 [步骤 4/6] 绘制图表..." in texts["zh"]
    assert not any(title in texts["zh"] for title in ("tables", "charts", "word cloud"))
    assert "📝 [step 6/6] Writing the HTML report..." in texts["en"]

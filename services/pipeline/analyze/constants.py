"""Fixed vocabulary of the pipeline: rubric, severities, labels, journal names and banner texts.

Tunable defaults (ports, timeouts, concurrency) live in `analyze.settings`; this module holds what the
journal format and the prompt contract depend on, so changing it is a format change.
"""

from __future__ import annotations

from typing import Final

RUBRIC_DIMENSIONS: Final = ("correctness", "readability", "efficiency", "robustness", "maintainability")
OVERALL: Final = "overall"
SCORE_KEYS: Final = (*RUBRIC_DIMENSIONS, OVERALL)
SCORE_MIN: Final = 1
SCORE_MAX: Final = 10

SEVERITIES: Final = ("low", "medium", "high", "critical")

# The verdict's format (field order, bounds, enums): part of every run's fingerprint, so a journal never
# silently mixes verdicts of two formats. 2: issues, rationale, scores, ranking; every string bounded.
VERDICT_SCHEMA_VERSION: Final = 2
# Overall scores are half points (an enum), so the largest verdict has a known size (a free number
# could carry any count of digits) and ties are rarer than with integers.
OVERALL_STEP: Final = 0.5
# Up to this many candidates the schema lists every ranking permutation (N! entries: 120 at 5), so even
# a constrained random sampler cannot repeat a label; above it the ranking is N labels from the enum.
# Either way the final ranking is rebuilt from the scores (analyze.judging.ranking), so a repeat is repaired.
RANKING_PERMUTATIONS_MAX_CANDIDATES: Final = 5
# What a verdict may hold at most, preferred and least: the token budget (analyze.judging.budget) starts
# from the preferred bounds and tightens them, never below the least, until the largest verdict fits
# max_tokens.
ISSUES_MAX_PER_CANDIDATE: Final = 3
ISSUE_TEXT_MAX_CHARS: Final = 240
RATIONALE_MAX_CHARS: Final = 600
ISSUES_MIN_PER_CANDIDATE: Final = 1
ISSUE_TEXT_MIN_CHARS: Final = 40
RATIONALE_MIN_CHARS: Final = 80
# The worst case of one character of a bounded string: 4 UTF-8 bytes. xgrammar compiles a string with
# maxLength to at most that many code points and no escapes; every token of a byte-level BPE (or
# byte-fallback) tokenizer is at least one byte, so tokens <= bytes.
MAX_BYTES_PER_CHAR: Final = 4
# "," and ":" counted with one space each: xgrammar 0.2.8 may emit ", " even when asked for compact JSON.
SEPARATOR_BYTES: Final = 2
# The end-of-sequence token after the JSON.
EOS_TOKENS: Final = 1
# Chat-template tokens around each message and before the answer (role markers), over-counted.
PROMPT_TOKENS_PER_MESSAGE: Final = 8
# Kept free between prompt and max_tokens for rounding in the estimate.
BUDGET_MARGIN_TOKENS: Final = 16
# How much of a rejected reply a repair turn quotes back to the model.
REPAIR_QUOTE_MAX_CHARS: Final = 2000
# How much of a cut reply's end the journal keeps, to show why it ran long (repetition, whitespace).
REPLY_TAIL_CHARS: Final = 120
# Issues may name a rubric dimension or one of these broader kinds; anything else becomes "other".
ISSUE_CATEGORIES: Final = (*RUBRIC_DIMENSIONS, "security", "style", "other")

LABEL_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

FAILURE_KINDS: Final = ("retries_exhausted", "invalid_verdict", "context_length", "timeout", "error")

ORDER_FORWARD: Final = "forward"
# --swap: the second pass rotates the forward order by N // 2, which moves every candidate (a reversal
# leaves the middle one of an odd N where it was).
ORDER_ROTATED: Final = "rotated"

# Field spellings found in the wild, in order of preference.
TASK_ID_KEYS: Final = ("task_id", "id", "problem_id")  # problem_id: APPS
PROBLEM_KEYS: Final = ("problem", "prompt", "question", "instruction", "text")  # text: MBPP
CANDIDATES_KEYS: Final = ("candidates", "responses", "solutions", "answers")
CANDIDATE_CODE_KEYS: Final = ("code", "content", "response", "solution")
CANDIDATE_MODEL_KEYS: Final = ("model", "name")
# Optional ground truth per candidate (true/false, e.g. its unit tests passed); the report checks the judge
# against it.
CANDIDATE_PASSED_KEY: Final = "passed"
DEFAULT_LANGUAGE: Final = "python"
UNKNOWN_MODEL: Final = "unknown"
# An input line nested deeper than this is rejected: a task needs 4 levels, `meta` a few more, and every
# later json.dumps (request body, journal line) recurses once per level.
MAX_INPUT_JSON_DEPTH: Final = 64

TRUNCATION_MARKER: Final = "\n... [TRUNCATED by analyze: showing {shown} of {total} characters] ..."

# Server error texts that mean "the prompt does not fit": retrying cannot help.
CONTEXT_LENGTH_MARKERS: Final = (
    "maximum context length",
    "context length",
    "context_length_exceeded",
    "prompt is too long",
    "too many tokens",
)

# Response headers naming the instance that served a request, most specific first.
SERVED_BY_HEADERS: Final = ("x-served-by", "x-upstream-addr")

# The request header a balancer keeps a session on one instance by (the vLLM router's consistent_hash
# and cache_aware policies): one value per task (analyze.judging.request.session_id), so every request
# of a task, both passes of --swap and every retry, reuses one instance's prefix cache.
SESSION_HEADER: Final = "X-Session-ID"
SESSION_ID_CHARS: Final = 16  # hex digits of the task id's SHA-256: 64 bits, no collision in practice

PIPELINE_STEPS: Final = 6
BANNERS: Final = {
    "zh": {
        "title": "🚀 开始运行 1vN 代码质量分析 Pipeline",
        "multi": "🚀 启用多 vLLM 实例并发模式",
        "multi_detail": "   使用 {n} 个 vLLM 实例: {urls}",
        "read": "📖 [步骤 1/6] 读取任务数据...",
        "read_done": "   ✓ 成功读取 {valid} 个任务 (跳过已完成 {skipped}, 拒绝 {rejected})",
        "judge": "🤖 [步骤 2/6] 调用 LLM 分析任务...",
        "judge_done": "   ✓ 成功 {ok}, 失败 {failed}",
        "report": "{icon} [步骤 {step}/6] {title}...",
        # Keyed by pipeline step: the report passes its own English titles, which these replace.
        "report_steps": {3: "生成统计表格", 4: "绘制图表", 5: "生成词云", 6: "生成 HTML 报告"},
        "bar": "分析任务",
        "ok": "成功",
        "failed": "失败",
        "interrupted": "⚠️  已中断: 已完成的结果已保存。继续运行: {command}",
        "wait_ready": "⏳ 等待 vLLM 实例就绪: {n} 个后端, 模型 {model} (最多 {limit} 秒, --wait-ready)",
        "wait_ready_progress": "   … 已等待 {seconds} 秒: {details}",
        "ready": "   ✓ {up}/{n} 个后端已提供模型 {model} (等待 {seconds} 秒)",
        "ready_join": "   ✓ {url} 已就绪, 加入运行",
        "sandbox": "🧪 沙箱 {address}: {slots} 个执行槽 ({languages}), 任务自带的测试将在评审前运行",
        "sandbox_absent": "⚠️  沙箱 {address} 无响应 ({reason}): 不运行测试 (--execute on 时此为错误)",
        "stopping": "⛔ 停止运行: {reason}",
        "stopped": "⛔ 已停止: 已完成的结果已保存。修正后继续运行: {command}",
        "done": "✅ 完成, 输出目录: {output_dir}",
        "panel_wait": "⏳ 评审团: 等待 {n} 个后端列出模型 (最多 {limit} 秒, --wait-ready)",
        "panel_left_out": "⚠️  评审团: 这些后端未列出模型, 不参与: {urls}",
        "panel_judge": "⚖️  评审 {index}/{n}: {model} @ {urls} → {output_dir}",
        "panel_jury": "⚖️  评审团对比 (analyze compare --jury): {output_dir}",
    },
    "en": {
        "title": "🚀 Starting the 1vN code-quality analysis pipeline",
        "multi": "🚀 Multi-instance vLLM mode",
        "multi_detail": "   Using {n} vLLM instances: {urls}",
        "read": "📖 [step 1/6] Reading tasks...",
        "read_done": "   ✓ Read {valid} tasks (already done {skipped}, rejected {rejected})",
        "judge": "🤖 [step 2/6] Judging tasks with the LLM...",
        "judge_done": "   ✓ ok {ok}, failed {failed}",
        "report": "{icon} [step {step}/6] {title}...",
        "report_steps": {
            3: "Writing tables",
            4: "Drawing charts",
            5: "Drawing the word cloud",
            6: "Writing the HTML report",
        },
        "bar": "judging",
        "ok": "ok",
        "failed": "failed",
        "interrupted": "⚠️  Interrupted: finished results are saved. Resume with: {command}",
        "wait_ready": "⏳ Waiting for the fleet: {n} backend(s), model {model} (--wait-ready {limit} s)",
        "wait_ready_progress": "   … waited {seconds} s: {details}",
        "ready": "   ✓ {up}/{n} backend(s) serve {model} (after {seconds} s)",
        "ready_join": "   ✓ {url} is up and joins the run",
        "sandbox": "🧪 Sandbox {address}: {slots} slot(s) ({languages}); tasks' tests run before judging",
        "sandbox_absent": "⚠️  Sandbox {address} is silent ({reason}): tests not run (--execute on: error)",
        "stopping": "⛔ Stopping: {reason}",
        "stopped": "⛔ Stopped: finished results are saved. Once fixed, resume with: {command}",
        "done": "✅ Done, output directory: {output_dir}",
        "panel_wait": "⏳ Panel: waiting for {n} backend(s) to list their models (--wait-ready {limit} s)",
        "panel_left_out": "⚠️  Panel: these backends list no model and take no part: {urls}",
        "panel_judge": "⚖️  Judge {index}/{n}: {model} on {urls} → {output_dir}",
        "panel_jury": "⚖️  The panel compared (analyze compare --jury): {output_dir}",
    },
}
REPORT_STEP_ICONS: Final = ("📊", "📈", "☁️", "📝")

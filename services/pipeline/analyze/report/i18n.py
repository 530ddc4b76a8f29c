"""Every word the report shows, in Chinese and English: page headings, captions, table headers, the
judge-trust banner and its warning sentences, chart titles and axes.

`Texts(lang)` looks a key up in its language; a key missing there falls back to English, so a new string
never breaks a report, and tests/analyze/report/test_page.py checks that both tables hold the same keys.
"""

from __future__ import annotations

from typing import Any

from analyze.report import constants as c
from analyze.report.judge_trust import Finding

LANGUAGES = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}

EN: dict[str, str] = {
    "title": "judge-fleet report",
    "judge": "judge",
    "generated": "generated",
    # --- trust section ---
    "trust_heading": "Can this ranking be trusted?",
    "trust_untrusted": "Do not trust this ranking: the judge's verdicts show the problems below.",
    "trust_unverified": (
        'No warning, but nothing checks the judge: no candidate carries ground truth ("passed").'
    ),
    "trust_trusted": "The judge beats chance on the ground truth and shows none of the biases checked.",
    "trust_figures": "The judge's figures",
    "trust_col_figure": "figure",
    "trust_col_value": "value",
    "trust_col_reference": "chance / ideal",
    "trust_col_threshold": "warning when",
    "trust_docs": "Formulas and thresholds: docs/report.md, section “Can this ranking be trusted?”.",
    "fig_truth_accuracy": "pairwise accuracy on ground truth (passed ranked above failed)",
    "fig_truth_top1": "rank-1 candidate passed",
    "fig_position_order": "ranking = presentation order",
    "fig_position_corr": "correlation of shown position and rank",
    "fig_constant": "verdicts with one overall score for all",
    "fig_length_corr": "correlation of overall score and code length (within task)",
    "fig_length_coef": "length coefficient of the length-controlled fit",
    "fig_swap_tau": "Kendall tau between the two --swap passes",
    "fig_swap_top1": "same best candidate in both --swap passes",
    "fig_retries": "requests that needed another attempt",
    "fig_length_cuts": "attempts cut at max_tokens",
    "fig_repairs": "verdicts whose ranking was repaired",
    "pairs_n": "{n} pairs",
    "tasks_n": "{n} tasks",
    "not_measured": "not measured",
    "no_labels": "no labelled pairs",
    "no_swap": "run with --swap",
    "not_logged": "not in the journal",
    "ref_chance": "chance {value}",
    "ref_ideal": "ideal {value}",
    "warn_ci_reaches": "95% interval reaches {value}",
    "warn_at_most_chance": "≤ chance",
    "warn_excess": "≥ chance + {value}",
    "warn_abs": "|r| ≥ {value}",
    "warn_at_least": "≥ {value}",
    "warn_below": "< {value}",
    # --- tests and ground truth ---
    "exec_heading": "Tests and ground truth",
    "exec_none": "No tests were run: no candidate in this journal carries an execution result.",
    "exec_pass_rates": "Pass rate per model",
    "exec_overall": (
        "{executed} candidates ran to an outcome and {passed} passed ({rate}, 95% interval {low}-{high}); "
        "{not_run} could not run; {without} have no execution (their task carries no tests)."
    ),
    "exec_pass_rate_note": (
        "Pass rate: passed / (passed + failed + error + timeout) of the model's executed candidates, with a "
        "95% Wilson score interval; not run is counted apart."
    ),
    "exec_not_run": "{n} candidates not run, by reason",
    "not_run_more": "The {shown} most frequent of {total} reasons; all are in summary.json.",
    "col_executed": "executed",
    "col_exec_passed": "passed",
    "col_pass_rate": "pass rate",
    "col_wilson": "95% Wilson interval",
    "col_not_run": "not run",
    "grounded_heading": "Grounded ranking beside the judge's",
    "grounded_rule": (
        "Within a task, a candidate that passed its tests ranks above one that failed; the judge orders "
        "candidates with the same outcome. Candidates whose outcome is unknown are left out, and the rest of "
        "their task is ranked among itself. Both strengths are Bradley-Terry fits with the same weights, "
        "prior and bootstrap."
    ),
    "col_judge_rank": "judge rank",
    "col_grounded_rank": "grounded rank",
    "col_grounded_bt": "grounded BT strength",
    "grounded_tau": (
        "Kendall tau between the two model orders: {tau} over {models} models (1 = the same order)."
    ),
    "grounded_counts": (
        "Grounded on {tasks} tasks and {candidates} candidates; {left_out} candidates left out "
        "(unknown outcome, or the only known one of their task)."
    ),
    "misses_heading": "The judge's first choice failed while another candidate passed: {n} of {tasks} tasks",
    "misses_none": "None: wherever a candidate passed, the judge's first choice passed.",
    "misses_first": "First {shown} of {total}; all are in {file}.",
    "col_task": "task",
    "col_chosen": "first choice",
    "col_exec_status": "its result",
    "col_detail": "detail",
    "col_best_passing": "best passing candidate",
    "col_its_rank": "its judge rank",
    "status_input_label": "failed (input label)",
    "status_passed": "passed",
    "status_failed": "failed",
    "status_error": "error",
    "status_timeout": "timeout",
    "status_not_run": "not run",
    "source_input": "input label",
    "source_execution": "execution",
    "fig_truth_sources": "ground truth from",
    "truth_sources_value": "input labels {input}, test executions {execution}",
    "fig_truth_auroc": "AUROC of the correctness score, passing vs failing (pooled)",
    "auroc_value": "{value} [{low}, {high}], {passed} passed / {failed} failed",
    "fig_first_choice": "first choice failed while another candidate passed",
    "first_choice_value": "{rate}, {n} of {tasks} tasks",
    "no_labelled_candidates": "no labelled candidates",
    "def_auroc": "AUROC of the correctness score",
    "def_auroc_text": (
        "The chance that a candidate that passed its tests got a higher correctness score than one that "
        "failed, ties counting half, over all such pairs of every task (pooled): 0.5 is chance, 1 a perfect "
        "separation. The interval is the 2.5-97.5 percentile over bootstrap draws of the tasks."
    ),
    # --- warning sentences (summary.json["judge"]["warnings"]) ---
    "finding_truth_chance": (
        "The judge is no better than chance: it ranked the candidate that passed its tests above the one "
        "that failed in {accuracy:.0%} of {pairs} pairs (95% interval {low:.0%}-{high:.0%}, chance 50%)."
    ),
    "finding_truth_worse_than_chance": (
        "The judge is no better than chance, worse even: it ranked the candidate that passed its tests above "
        "the one that failed in only {accuracy:.0%} of {pairs} pairs (95% interval {low:.0%}-{high:.0%}, "
        "chance 50%)."
    ),
    "finding_truth_top1": (
        "The candidate ranked first passed its tests in {rate:.0%} of {tasks} labelled tasks, "
        "no more often than a random pick ({chance:.0%})."
    ),
    "finding_position_order": (
        "{rate:.0%} of rankings are exactly the order the candidates were shown in "
        "(chance for these tasks: {chance:.0%}): the judge ranks by position, not by code."
    ),
    "finding_position_corr": (
        "Rank follows the position a candidate was shown at (correlation {corr:.2f}): strong position bias."
    ),
    "finding_constant_scores": (
        "{rate:.0%} of verdicts gave every candidate the same overall score: the scores do not discriminate."
    ),
    "finding_swap_tau": (
        "Judged again in another order, the rankings agree poorly (mean Kendall tau {tau:.2f} over {tasks} "
        "tasks; 1 = identical)."
    ),
    "finding_length_bias": (
        "Scores follow code length (within-task correlation {corr:.2f}): compare the length-controlled "
        "strength column."
    ),
    "finding_length_cuts": "{rate:.0%} of the judge's replies were cut at max_tokens.",
    "finding_retries": "{rate:.0%} of requests needed another attempt before a valid verdict.",
    "finding_repairs": (
        "{rate:.0%} of verdicts had a ranking that contradicted their own scores and was repaired."
    ),
    # --- other sections ---
    "warnings": "Warnings",
    "overview": "Overview",
    "card_tasks": "tasks",
    "card_succeeded": "succeeded",
    "card_failed": "failed",
    "card_rejected": "rejected",
    "card_skipped": "skipped",
    "card_elapsed": "elapsed",
    "card_tasks_per_s": "tasks / s",
    "card_tokens_per_s": "tokens / s",
    "card_position_consistency": "position consistency",
    "empty_title": "No judged tasks yet.",
    "empty_body": (
        "results.jsonl holds no verdicts, so there are no scores, rankings or charts. "
        "Run <code>analyze run</code> on this directory first."
    ),
    "ranking": "Ranking",
    "ranking_note": (
        "Strongest first by Bradley-Terry strength. Mean rank: 0 = always best, 1 = always worst. "
        "Read it with the trust section above."
    ),
    "col_rank": "#",
    "col_model": "model",
    "col_candidates": "candidates",
    "col_mean": "{dimension} mean",
    "col_ci": "95% CI",
    "col_mean_rank": "mean rank",
    "col_win_rate": "win rate",
    "col_bt": "BT strength",
    "col_bt_lc": "BT, length-controlled",
    "per_dimension": "Mean score per dimension",
    "charts": "Charts",
    "head_to_head": "Head to head (row beats column)",
    "issues": "Issues",
    "no_issues": "The judge reported no issues.",
    "col_category": "category",
    "col_total": "total",
    "by_severity": "By severity",
    "backends": "Backends",
    "col_backend": "backend",
    "col_requests": "requests",
    "col_share": "share",
    "col_p50": "p50 s",
    "col_p95": "p95 s",
    "col_p99": "p99 s",
    "col_for_failed": "for failed tasks",
    "failures": "Failures and rejects",
    "failed_by_kind": "Failed tasks by kind",
    "col_kind": "kind",
    "col_tasks": "tasks",
    "rejected_lines": "Rejected input lines ({n})",
    "col_line": "line",
    "col_reason": "reason",
    "scores": "Scores",
    "scores_first": "First {shown} of {total} rows; all are in {file}.",
    "how_to_read": "How to read this",
    "def_win_rate": "Win rate",
    "def_win_rate_text": (
        "Over all pairs of candidates of different models in the same task, the share in which the "
        "model's candidate was ranked better."
    ),
    "def_bt": "Bradley-Terry strength",
    "def_bt_text": (
        "P(a beats b) = s_a / (s_a + s_b), fitted to every within-task pair, each pair weighing 1/(N-1) so "
        "every task counts the same whatever its N, with {prior} pseudo-wins per side of each model pair; "
        "geometric mean 1. The interval is the 2.5-97.5 percentile over {resamples} bootstrap refits on "
        "resampled tasks."
    ),
    "def_bt_lc": "Length-controlled strength",
    "def_bt_lc_text": (
        "The same fit with the pair's normalised code-length difference as a covariate (Arena-Hard's "
        "style control): the strength a model keeps when the judge's taste for longer code is taken out."
    ),
    "def_mean_rank": "Mean rank",
    "def_mean_rank_text": (
        "Mean of (rank - 1) / (N - 1) over the model's candidates: 0 always best, 1 always worst."
    ),
    "def_ci": "95% CI of a mean",
    "def_ci_text": "Student t-interval; none for a single value.",
    "def_consistency": "Position consistency",
    "def_consistency_text": (
        "With --swap: share of tasks whose best candidate was the same in both presentation orders."
    ),
    # --- captions ---
    "cap_ranking": "Bradley-Terry strength per model with its 95% bootstrap interval (resampled tasks).",
    "cap_win_rates": "Share of within-task pairs the row model won against the column model.",
    "cap_scores_by_model": "Distribution of each model's scores (box: quartiles, triangle: mean).",
    "cap_dimensions": "Mean score per dimension and model with 95% t-intervals.",
    "cap_backends": "Requests per backend and their latency.",
    "cap_wordcloud": (
        "Keywords of the judge's issue texts, sized by TF-IDF over this run's issues (stop words removed)."
    ),
    "alt_wordcloud": "word cloud of issue keywords",
    # --- charts ---
    "chart_scores_title": "{dimension} score by model",
    "chart_score_axis": "score (1-10)",
    "chart_dimensions_title": "mean score per dimension (95% CI)",
    "chart_win_title": "win rate of row model vs column model",
    "chart_opponent": "opponent",
    "chart_model": "model",
    "chart_bt_title": "Bradley-Terry strength (95% bootstrap CI, geometric mean 1)",
    "chart_bt_axis": "strength (log)",
    "chart_share_title": "share of requests",
    "chart_share_axis": "share",
    "chart_latency_title": "request latency",
    "chart_latency_axis": "seconds",
    # --- vocabulary ---
    "dim_correctness": "correctness",
    "dim_readability": "readability",
    "dim_efficiency": "efficiency",
    "dim_robustness": "robustness",
    "dim_maintainability": "maintainability",
    "dim_overall": "overall",
    "dim_security": "security",
    "dim_style": "style",
    "dim_other": "other",
    "sev_low": "low",
    "sev_medium": "medium",
    "sev_high": "high",
    "sev_critical": "critical",
    "sev_(none)": "(none)",
    "score_task_id": "task",
    "score_candidate_id": "candidate",
    "score_model": "model",
    "score_label": "label",
    "score_position": "position",
    "score_truncated": "truncated",
    "score_code_chars": "code chars",
    "score_passed": "passed",
    "score_passed_source": "truth from",
    "score_exec_status": "execution",
    "score_tests_passed": "tests passed",
    "score_tests_total": "tests",
    "score_rank": "rank",
    # --- analyze compare ---
    "cmp_title": "judge-fleet comparison of runs",
    "cmp_agreement_heading": "Do the runs agree?",
    "cmp_level_strong": (
        "{a} and {b} agree: mean Kendall tau per task {tau} (95% interval {low} to {high}) over {tasks} "
        "tasks; the same best candidate in {top1} of them (chance {chance})."
    ),
    "cmp_level_weak": (
        "{a} and {b} agree only weakly: mean Kendall tau per task {tau} (95% interval {low} to {high}) over "
        "{tasks} tasks; the same best candidate in {top1} of them (chance {chance}). Read the tasks below "
        "before trusting either ranking."
    ),
    "cmp_level_chance": (
        "{a} and {b} agree no better than chance: mean Kendall tau per task {tau} (95% interval {low} to "
        "{high} reaches 0, what two unrelated rankings give) over {tasks} tasks; the same best candidate in "
        "{top1} of them (chance {chance}). What was varied decides the verdicts: neither ranking can be "
        "trusted."
    ),
    "cmp_level_opposed": (
        "{a} and {b} disagree systematically: mean Kendall tau per task {tau} (95% interval {low} to {high}, "
        "below 0) over {tasks} tasks; one tends to rank in the reverse of the other."
    ),
    "cmp_level_unknown": "{a} and {b}: no common task of two or more candidates to compare.",
    "cmp_level_too_few": (
        "{a} and {b}: only {tasks} common tasks, too few to say whether they agree (mean Kendall tau per "
        "task {tau}, 95% interval {low} to {high}; the same best candidate in {top1} of them, chance "
        "{chance}). Compare at least {min_tasks} tasks."
    ),
    "cmp_tasks": (
        "{compared} tasks compared (judged by every run, with the same content); left out: {changed} whose "
        "content or candidates changed between runs, {missing} not judged by every run."
    ),
    "cmp_by_id": (
        "{n} of the compared tasks have no content digest in some run (a journal written before it was "
        "kept): they are compared by task id alone, so a task changed under its id would go unnoticed."
    ),
    "cmp_varied": "What was varied",
    "cmp_varied_none": (
        "The runs' recorded settings are the same: what differs is the judge's own randomness "
        "(or a setting the journal does not record)."
    ),
    "cmp_col_setting": "setting",
    # the run fingerprint's settings (judging/fingerprint.py), named as the CLI option they come from
    "cmp_setting_judge_model": "judge model",
    "cmp_setting_prompts": "prompts (digest)",
    "cmp_setting_verdict_schema": "verdict schema",
    "cmp_setting_seed": "seed (--seed)",
    "cmp_setting_swap": "both orders (--swap)",
    "cmp_setting_temperature": "temperature (--temperature)",
    "cmp_setting_structured_output": "structured output",
    "cmp_setting_max_input_tokens": "input token budget",
    "cmp_setting_max_output_tokens": "output token limit",
    "cmp_setting_max_model_len": "judge context (max_model_len)",
    "cmp_setting_retry_temperature": "retry temperature",
    "cmp_setting_retry_frequency_penalty": "retry frequency penalty",
    "cmp_setting_execution.feedback": "execution results shown to the judge",
    "cmp_setting_execution.timeout_s": "test time limit (s)",
    "cmp_value_true": "yes",
    "cmp_value_false": "no",
    "cmp_pairs": "Pairs of runs",
    "cmp_col_a": "run A",
    "cmp_col_b": "run B",
    "cmp_col_tasks": "common tasks",
    "cmp_col_lb_tau": "leaderboard Kendall tau",
    "cmp_col_top1": "same best candidate",
    "cmp_col_chance": "chance",
    "cmp_col_task_tau": "mean Kendall tau per task",
    "cmp_col_agreement": "agreement",
    "cmp_agree_strong": "agree",
    "cmp_agree_weak": "weak",
    "cmp_agree_chance": "chance",
    "cmp_agree_opposed": "opposed",
    "cmp_agree_unknown": "–",
    "cmp_agree_too_few": "too few tasks",
    "cmp_pair_heading": "{a} and {b}",
    "cmp_spearman": "Score correlation per dimension (Spearman)",
    "cmp_col_dimension": "dimension",
    "cmp_col_rho": "Spearman rho",
    "cmp_moved": "Models placed differently beyond both runs' intervals",
    "cmp_moved_none": "No model's place differs beyond both runs' intervals.",
    "cmp_col_place_a": "place in A",
    "cmp_col_place_b": "place in B",
    "cmp_col_strength_a": "strength in A",
    "cmp_col_strength_b": "strength in B",
    "cmp_queue": "Tasks that disagree most: read these first",
    "cmp_queue_none": "Every common task is ranked alike.",
    "cmp_col_task": "task",
    "cmp_col_best_a": "best in A",
    "cmp_col_best_b": "best in B",
    "cmp_col_tau": "Kendall tau",
    "cmp_col_link_a": "A's report",
    "cmp_col_link_b": "B's report",
    "cmp_open": "open",
    "cmp_jury": "The runs as a jury",
    "cmp_jury_w": (
        "Kendall's W over the {judges} judges: {w} (mean over {tasks} tasks; 1 = every judge ranks alike, "
        "0 = no agreement)."
    ),
    "cmp_jury_models": "Pooled ranking",
    "cmp_col_mean_z": "mean normalised score",
    "cmp_col_weighted_bt": "weighted BT strength",
    "cmp_jury_judges": "Each judge beside the pool",
    "cmp_col_judge": "judge",
    "cmp_col_tau_pool": "mean Kendall tau with the pool",
    "cmp_col_top1_pool": "same best as the pool",
    "cmp_col_lb_pool": "leaderboard tau with the pool",
    "cmp_col_accuracy": "pairwise accuracy",
    "cmp_col_weight": "weight",
    "cmp_jury_truth": (
        "On the ground truth the unweighted jury ranks the passed candidate above the failed one in "
        "{unweighted} of {pairs} pairs, the accuracy-weighted jury in {weighted} (its weights are fitted on "
        "the same pairs, so this is optimistic)."
    ),
    "cmp_jury_truth_none": "No judge beats chance on the ground truth, so there is no weighted jury.",
    "cmp_def_lb_tau": "leaderboard Kendall tau",
    "cmp_def_lb_tau_text": (
        "Kendall's tau between the two runs' model orders by Bradley-Terry strength, both fitted on the "
        "common tasks; the interval refits both on the same bootstrap draws of those tasks."
    ),
    "cmp_def_top1": "same best candidate",
    "cmp_def_top1_text": (
        "Share of common tasks whose rank-1 candidate is the same; chance is the mean of 1/N."
    ),
    "cmp_def_task_tau": "mean Kendall tau per task",
    "cmp_def_task_tau_text": (
        "Mean over common tasks of Kendall's tau between the two runs' rankings of the task: 1 identical, "
        "0 unrelated (what two random judges give), -1 reversed. Its interval reaching 0 reads as chance."
    ),
    "cmp_def_spearman": "Spearman rho",
    "cmp_def_spearman_text": (
        "Rank correlation of the same candidates' scores in the two runs, per dimension."
    ),
    "cmp_def_w": "Kendall's W",
    "cmp_def_w_text": (
        "Agreement of m judges ranking one task's n candidates: 12 S / (m² (n³ − n)), S the squared "
        "deviations of the rank sums from their mean; averaged over tasks."
    ),
}

ZH: dict[str, str] = {
    "title": "judge-fleet 评测报告",
    "judge": "评审模型",
    "generated": "生成于",
    "trust_heading": "这个排名可信吗？",
    "trust_untrusted": "请勿相信这个排名：评审模型的判决存在下列问题。",
    "trust_unverified": '没有警告，但无从核验评审模型：没有候选答案带有真实标签（"passed"）。',
    "trust_trusted": "评审模型在真实标签上优于随机，且未发现所检查的偏差。",
    "trust_figures": "评审模型的各项指标",
    "trust_col_figure": "指标",
    "trust_col_value": "数值",
    "trust_col_reference": "随机 / 理想",
    "trust_col_threshold": "警告条件",
    "trust_docs": "公式与阈值见 docs/report.md 的“Can this ranking be trusted?”一节。",
    "fig_truth_accuracy": "真实标签上的成对准确率（通过者排在未通过者之前）",
    "fig_truth_top1": "排名第一的候选通过测试",
    "fig_position_order": "排名等于展示顺序",
    "fig_position_corr": "展示位置与排名的相关系数",
    "fig_constant": "所有候选综合分相同的判决",
    "fig_length_corr": "综合分与代码长度的相关系数（任务内）",
    "fig_length_coef": "长度控制拟合的长度系数",
    "fig_swap_tau": "两次 --swap 评审之间的 Kendall tau",
    "fig_swap_top1": "两次 --swap 评审的最佳候选相同",
    "fig_retries": "需要重试的请求",
    "fig_length_cuts": "在 max_tokens 处被截断的尝试",
    "fig_repairs": "排名被修复的判决",
    "pairs_n": "{n} 对",
    "tasks_n": "{n} 个任务",
    "not_measured": "未测量",
    "no_labels": "没有带标签的候选对",
    "no_swap": "需使用 --swap 运行",
    "not_logged": "日志中没有记录",
    "ref_chance": "随机 {value}",
    "ref_ideal": "理想 {value}",
    "warn_ci_reaches": "95% 区间达到 {value}",
    "warn_at_most_chance": "≤ 随机",
    "warn_excess": "≥ 随机 + {value}",
    "warn_abs": "|r| ≥ {value}",
    "warn_at_least": "≥ {value}",
    "warn_below": "< {value}",
    "exec_heading": "测试与真实结果",
    "exec_none": "没有运行测试：本日志中没有候选带有执行结果。",
    "exec_pass_rates": "各模型的通过率",
    "exec_overall": (
        "{executed} 个候选运行出了结果，其中 {passed} 个通过（{rate}，95% 区间 {low}-{high}）；"
        "{not_run} 个无法运行；{without} 个没有执行（其任务不带测试）。"
    ),
    "exec_pass_rate_note": (
        "通过率：该模型已执行候选中 通过 / (通过 + 失败 + 错误 + 超时)，附 95% Wilson 区间；"
        "未运行的单独计数。"
    ),
    "exec_not_run": "{n} 个候选未运行，按原因统计",
    "not_run_more": "共 {total} 种原因，显示最常见的 {shown} 种；全部见 summary.json。",
    "col_executed": "已执行",
    "col_exec_passed": "通过",
    "col_pass_rate": "通过率",
    "col_wilson": "95% Wilson 区间",
    "col_not_run": "未运行",
    "grounded_heading": "以测试为准的排名与评审排名对照",
    "grounded_rule": (
        "在同一任务中，通过测试的候选排在未通过的之前；结果相同的候选按评审模型的名次排列。"
        "结果未知的候选不参与，其任务中其余候选在彼此之间排名。两种强度都用相同权重、先验和 bootstrap 的 "
        "Bradley-Terry 拟合。"
    ),
    "col_judge_rank": "评审名次",
    "col_grounded_rank": "测试名次",
    "col_grounded_bt": "测试 BT 强度",
    "grounded_tau": "两种模型顺序之间的 Kendall tau：{tau}（{models} 个模型；1 表示顺序相同）。",
    "grounded_counts": (
        "基于 {tasks} 个任务、{candidates} 个候选；{left_out} 个候选未参与"
        "（结果未知，或是其任务中唯一结果已知的）。"
    ),
    "misses_heading": "评审模型的首选未通过测试而另有候选通过：{tasks} 个任务中的 {n} 个",
    "misses_none": "没有：凡有候选通过的任务，评审模型的首选都通过了。",
    "misses_first": "显示前 {shown} 个（共 {total} 个）；完整列表见 {file}。",
    "col_task": "任务",
    "col_chosen": "首选",
    "col_exec_status": "其结果",
    "col_detail": "详情",
    "col_best_passing": "最佳通过候选",
    "col_its_rank": "其评审名次",
    "status_input_label": "未通过（输入标签）",
    "status_passed": "通过",
    "status_failed": "失败",
    "status_error": "错误",
    "status_timeout": "超时",
    "status_not_run": "未运行",
    "source_input": "输入标签",
    "source_execution": "测试执行",
    "fig_truth_sources": "真实结果来源",
    "truth_sources_value": "输入标签 {input} 个，测试执行 {execution} 个",
    "fig_truth_auroc": "正确性分数区分通过与未通过候选的 AUROC（合并计算）",
    "auroc_value": "{value} [{low}, {high}]，通过 {passed} 个 / 未通过 {failed} 个",
    "fig_first_choice": "首选未通过而另有候选通过",
    "first_choice_value": "{rate}，{tasks} 个任务中的 {n} 个",
    "no_labelled_candidates": "没有带标签的候选",
    "def_auroc": "正确性分数的 AUROC",
    "def_auroc_text": (
        "在所有任务的全部（通过，未通过）候选对中（合并计算），通过者的正确性分数高于未通过者的概率，"
        "相等计一半：0.5 为随机，1 为完全区分。区间是对任务做 bootstrap 重抽样的 2.5-97.5 百分位。"
    ),
    "finding_truth_chance": (
        "评审模型不比随机猜测更好：在 {pairs} 对候选中，它只在 {accuracy:.0%} 的情况下把通过测试的候选"
        "排在未通过的之前（95% 区间 {low:.0%}-{high:.0%}，随机为 50%）。"
    ),
    "finding_truth_worse_than_chance": (
        "评审模型不比随机猜测更好，甚至更差：在 {pairs} 对候选中，"
        "它仅在 {accuracy:.0%} 的情况下把通过测试的候选排在未通过的之前"
        "（95% 区间 {low:.0%}-{high:.0%}，随机为 50%）。"
    ),
    "finding_truth_top1": (
        "在 {tasks} 个有标签的任务中，排名第一的候选有 {rate:.0%} 通过测试，"
        "并不比随机挑选（{chance:.0%}）更好。"
    ),
    "finding_position_order": (
        "{rate:.0%} 的排名与候选的展示顺序完全相同（这些任务的随机概率为 {chance:.0%}）："
        "评审模型按位置而不是按代码排名。"
    ),
    "finding_position_corr": "排名跟随候选的展示位置（相关系数 {corr:.2f}）：存在严重的位置偏差。",
    "finding_constant_scores": "{rate:.0%} 的判决给所有候选打了相同的综合分：分数没有区分度。",
    "finding_swap_tau": (
        "换一种顺序再评一次，两次排名的一致性很差"
        "（{tasks} 个任务的平均 Kendall tau 为 {tau:.2f}；1 表示完全相同）。"
    ),
    "finding_length_bias": "分数跟随代码长度（任务内相关系数 {corr:.2f}）：请对照长度控制后的强度一列。",
    "finding_length_cuts": "评审模型的回复中有 {rate:.0%} 在 max_tokens 处被截断。",
    "finding_retries": "{rate:.0%} 的请求需要重试才得到有效判决。",
    "finding_repairs": "{rate:.0%} 的判决排名与其自身分数矛盾，已被修复。",
    "warnings": "警告",
    "overview": "概览",
    "card_tasks": "任务",
    "card_succeeded": "成功",
    "card_failed": "失败",
    "card_rejected": "拒绝",
    "card_skipped": "跳过",
    "card_elapsed": "耗时",
    "card_tasks_per_s": "任务 / 秒",
    "card_tokens_per_s": "token / 秒",
    "card_position_consistency": "位置一致性",
    "empty_title": "还没有评审过的任务。",
    "empty_body": (
        "results.jsonl 中没有判决，因此没有分数、排名或图表。请先在该目录上运行 <code>analyze run</code>。"
    ),
    "ranking": "排名",
    "ranking_note": (
        "按 Bradley-Terry 强度从强到弱排列。平均名次：0 表示总是最好，1 表示总是最差。"
        "请结合上方的可信度一节阅读。"
    ),
    "col_rank": "#",
    "col_model": "模型",
    "col_candidates": "候选数",
    "col_mean": "{dimension}均值",
    "col_ci": "95% 置信区间",
    "col_mean_rank": "平均名次",
    "col_win_rate": "胜率",
    "col_bt": "BT 强度",
    "col_bt_lc": "BT（长度控制）",
    "per_dimension": "各维度平均分",
    "charts": "图表",
    "head_to_head": "两两对比（行胜列）",
    "issues": "问题",
    "no_issues": "评审模型没有报告问题。",
    "col_category": "类别",
    "col_total": "合计",
    "by_severity": "按严重程度",
    "backends": "后端",
    "col_backend": "后端",
    "col_requests": "请求数",
    "col_share": "占比",
    "col_p50": "p50 秒",
    "col_p95": "p95 秒",
    "col_p99": "p99 秒",
    "col_for_failed": "失败任务的请求",
    "failures": "失败与拒绝",
    "failed_by_kind": "按类型统计的失败任务",
    "col_kind": "类型",
    "col_tasks": "任务数",
    "rejected_lines": "被拒绝的输入行（{n}）",
    "col_line": "行",
    "col_reason": "原因",
    "scores": "分数",
    "scores_first": "显示前 {shown} 行（共 {total} 行）；完整数据见 {file}。",
    "how_to_read": "如何阅读",
    "def_win_rate": "胜率",
    "def_win_rate_text": "在同一任务中不同模型的所有候选对里，该模型的候选排名更靠前的比例。",
    "def_bt": "Bradley-Terry 强度",
    "def_bt_text": (
        "P(a 胜 b) = s_a / (s_a + s_b)，用任务内的每一对候选拟合，每对的权重为 1/(N-1)，使每个任务无论 N "
        "多大都同等重要；每对模型两侧各加 {prior} 个伪胜场；几何平均为 1。区间是对任务重抽样 {resamples} 次"
        "重新拟合后的 2.5-97.5 百分位。"
    ),
    "def_bt_lc": "长度控制强度",
    "def_bt_lc_text": (
        "同一拟合加入候选对的归一化代码长度差作为协变量（Arena-Hard 的风格控制）："
        "去掉评审模型偏爱长代码的影响后模型保留的强度。"
    ),
    "def_mean_rank": "平均名次",
    "def_mean_rank_text": "该模型所有候选的 (名次 - 1) / (N - 1) 的平均值：0 表示总是最好，1 表示总是最差。",
    "def_ci": "均值的 95% 置信区间",
    "def_ci_text": "Student t 区间；只有一个值时不给出。",
    "def_consistency": "位置一致性",
    "def_consistency_text": "使用 --swap 时：两种展示顺序下最佳候选相同的任务比例。",
    "cap_ranking": "每个模型的 Bradley-Terry 强度及其 95% bootstrap 区间（重抽样任务）。",
    "cap_win_rates": "行模型在任务内对列模型获胜的比例。",
    "cap_scores_by_model": "各模型分数的分布（箱体：四分位数，三角：均值）。",
    "cap_dimensions": "各模型在各维度上的平均分及 95% t 区间。",
    "cap_backends": "各后端的请求数及其延迟。",
    "cap_wordcloud": "评审模型问题描述中的关键词，字号按本次运行所有问题上的 TF-IDF 权重（已去除停用词）。",
    "alt_wordcloud": "问题关键词词云",
    "chart_scores_title": "各模型的{dimension}分数",
    "chart_score_axis": "分数 (1-10)",
    "chart_dimensions_title": "各维度平均分（95% 置信区间）",
    "chart_win_title": "行模型对列模型的胜率",
    "chart_opponent": "对手",
    "chart_model": "模型",
    "chart_bt_title": "Bradley-Terry 强度（95% bootstrap 区间，几何平均为 1）",
    "chart_bt_axis": "强度（对数）",
    "chart_share_title": "请求占比",
    "chart_share_axis": "占比",
    "chart_latency_title": "请求延迟",
    "chart_latency_axis": "秒",
    "dim_correctness": "正确性",
    "dim_readability": "可读性",
    "dim_efficiency": "效率",
    "dim_robustness": "健壮性",
    "dim_maintainability": "可维护性",
    "dim_overall": "综合",
    "dim_security": "安全",
    "dim_style": "风格",
    "dim_other": "其他",
    "sev_low": "低",
    "sev_medium": "中",
    "sev_high": "高",
    "sev_critical": "严重",
    "sev_(none)": "（无）",
    "score_task_id": "任务",
    "score_candidate_id": "候选",
    "score_model": "模型",
    "score_label": "标签",
    "score_position": "位置",
    "score_truncated": "截断",
    "score_code_chars": "代码字符数",
    "score_passed": "通过测试",
    "score_passed_source": "真实结果来源",
    "score_exec_status": "执行结果",
    "score_tests_passed": "通过的测试",
    "score_tests_total": "测试数",
    "score_rank": "名次",
    # --- analyze compare ---
    "cmp_title": "judge-fleet 运行对比",
    "cmp_agreement_heading": "这些运行的结论一致吗？",
    "cmp_level_strong": (
        "{a} 与 {b} 一致：{tasks} 个任务上每个任务的平均 Kendall tau 为 {tau}（95% 区间 {low} 至 {high}）；"
        "其中 {top1} 的任务最佳候选相同（随机为 {chance}）。"
    ),
    "cmp_level_weak": (
        "{a} 与 {b} 仅弱一致：{tasks} 个任务上每个任务的平均 Kendall tau 为 {tau}"
        "（95% 区间 {low} 至 {high}）；"
        "其中 {top1} 的任务最佳候选相同（随机为 {chance}）。相信任一排名之前，请先阅读下面列出的任务。"
    ),
    "cmp_level_chance": (
        "{a} 与 {b} 的一致程度不比随机更好：{tasks} 个任务上每个任务的平均 Kendall tau 为 {tau}"
        "（95% 区间 {low} 至 {high}，包含 0，即两个互不相关的排名所得）；其中 {top1} 的任务最佳候选相同"
        "（随机为 {chance}）。评审结论取决于被改变的设置：两个排名都不可信。"
    ),
    "cmp_level_opposed": (
        "{a} 与 {b} 系统性地相反：{tasks} 个任务上每个任务的平均 Kendall tau 为 {tau}"
        "（95% 区间 {low} 至 {high}，低于 0）；一方的排名倾向于另一方的倒序。"
    ),
    "cmp_level_unknown": "{a} 与 {b}：没有含两个及以上候选的共同任务可比较。",
    "cmp_level_too_few": (
        "{a} 与 {b}：只有 {tasks} 个共同任务，太少，无法判断是否一致（每个任务的平均 Kendall tau 为 {tau}，"
        "95% 区间 {low} 至 {high}；其中 {top1} 的任务最佳候选相同，随机为 {chance}）。"
        "请至少比较 {min_tasks} 个任务。"
    ),
    "cmp_tasks": (
        "比较了 {compared} 个任务（每次运行都评审过且内容相同）；未比较："
        "{changed} 个任务的内容或候选在运行之间有变化，"
        "{missing} 个任务并非每次运行都评审过。"
    ),
    "cmp_by_id": (
        "所比较的任务中有 {n} 个在某次运行里没有内容摘要（记录摘要之前写的日志）：只按任务 id 比较，"
        "因此同一 id 下内容的变化无法察觉。"
    ),
    "cmp_varied": "改变了哪些设置",
    "cmp_varied_none": "各次运行记录的设置相同：差别来自评审模型自身的随机性（或日志未记录的设置）。",
    "cmp_col_setting": "设置",
    "cmp_setting_judge_model": "评审模型",
    "cmp_setting_prompts": "提示词（摘要）",
    "cmp_setting_verdict_schema": "评审结果格式版本",
    "cmp_setting_seed": "随机种子（--seed）",
    "cmp_setting_swap": "两种顺序各评一次（--swap）",
    "cmp_setting_temperature": "采样温度（--temperature）",
    "cmp_setting_structured_output": "结构化输出",
    "cmp_setting_max_input_tokens": "输入 token 预算",
    "cmp_setting_max_output_tokens": "输出 token 上限",
    "cmp_setting_max_model_len": "评审模型上下文（max_model_len）",
    "cmp_setting_retry_temperature": "重试时的采样温度",
    "cmp_setting_retry_frequency_penalty": "重试时的频率惩罚",
    "cmp_setting_execution.feedback": "向评审展示测试执行结果",
    "cmp_setting_execution.timeout_s": "测试时限（秒）",
    "cmp_value_true": "是",
    "cmp_value_false": "否",
    "cmp_pairs": "运行两两对比",
    "cmp_col_a": "运行 A",
    "cmp_col_b": "运行 B",
    "cmp_col_tasks": "共同任务",
    "cmp_col_lb_tau": "排行榜 Kendall tau",
    "cmp_col_top1": "最佳候选相同",
    "cmp_col_chance": "随机水平",
    "cmp_col_task_tau": "每个任务的平均 Kendall tau",
    "cmp_col_agreement": "一致性",
    "cmp_agree_strong": "一致",
    "cmp_agree_weak": "弱",
    "cmp_agree_chance": "随机",
    "cmp_agree_opposed": "相反",
    "cmp_agree_unknown": "–",
    "cmp_agree_too_few": "任务太少",
    "cmp_pair_heading": "{a} 与 {b}",
    "cmp_spearman": "各维度评分的相关性（Spearman）",
    "cmp_col_dimension": "维度",
    "cmp_col_rho": "Spearman 相关系数",
    "cmp_moved": "名次差异超出两次运行区间的模型",
    "cmp_moved_none": "没有模型的名次差异超出两次运行的区间。",
    "cmp_col_place_a": "A 中名次",
    "cmp_col_place_b": "B 中名次",
    "cmp_col_strength_a": "A 中强度",
    "cmp_col_strength_b": "B 中强度",
    "cmp_queue": "分歧最大的任务：请先阅读",
    "cmp_queue_none": "所有共同任务的排名都相同。",
    "cmp_col_task": "任务",
    "cmp_col_best_a": "A 的最佳",
    "cmp_col_best_b": "B 的最佳",
    "cmp_col_tau": "Kendall tau",
    "cmp_col_link_a": "A 的报告",
    "cmp_col_link_b": "B 的报告",
    "cmp_open": "打开",
    "cmp_jury": "把各次运行当作评审团",
    "cmp_jury_w": (
        "{judges} 个评审之间的 Kendall W：{w}（{tasks} 个任务的平均；"
        "1 表示所有评审排名相同，0 表示毫无一致）。"
    ),
    "cmp_jury_models": "合并排名",
    "cmp_col_mean_z": "平均标准化得分",
    "cmp_col_weighted_bt": "加权 BT 强度",
    "cmp_jury_judges": "各评审与合并结果的对照",
    "cmp_col_judge": "评审",
    "cmp_col_tau_pool": "与合并结果的平均 Kendall tau",
    "cmp_col_top1_pool": "与合并结果最佳相同",
    "cmp_col_lb_pool": "与合并排行榜的 tau",
    "cmp_col_accuracy": "成对准确率",
    "cmp_col_weight": "权重",
    "cmp_jury_truth": (
        "以真实结果衡量，不加权的评审团在 {pairs} 对中的 {unweighted} 把通过的候选排在失败的之前，"
        "按准确率加权的评审团为 {weighted}（权重在同样的对上拟合，因此偏乐观）。"
    ),
    "cmp_jury_truth_none": "没有评审在真实结果上胜过随机，因此没有加权评审团。",
    "cmp_def_lb_tau": "排行榜 Kendall tau",
    "cmp_def_lb_tau_text": (
        "两次运行按 Bradley-Terry 强度排列的模型顺序之间的 Kendall tau，两者都只在共同任务上拟合；"
        "区间在这些任务的同一组自助抽样上重新拟合两者。"
    ),
    "cmp_def_top1": "最佳候选相同",
    "cmp_def_top1_text": "共同任务中第 1 名候选相同的比例；随机水平为 1/N 的平均。",
    "cmp_def_task_tau": "每个任务的平均 Kendall tau",
    "cmp_def_task_tau_text": (
        "共同任务上两次运行对该任务排名之间 Kendall tau 的平均：1 相同，0 无关（两个随机评审所得），-1 相反。"
        "区间包含 0 即视为随机水平。"
    ),
    "cmp_def_spearman": "Spearman 相关系数",
    "cmp_def_spearman_text": "同一批候选在两次运行中各维度评分的秩相关。",
    "cmp_def_w": "Kendall W",
    "cmp_def_w_text": (
        "m 个评审对一个任务 n 个候选排名的一致性：12 S / (m² (n³ − n))，S 为名次之和与其均值之差的平方和；"
        "对任务取平均。"
    ),
}

TABLES = {"en": EN, "zh": ZH}


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


class Texts:
    """The report's words in one language."""

    def __init__(self, lang: str = c.DEFAULT_LANG) -> None:
        self.lang = check_lang(lang)
        self.table = TABLES[lang]
        self.html_lang = HTML_LANG[lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.table.get(key, EN[key])
        return text.format(**values) if values else text

    def term(self, prefix: str, name: str) -> str:
        """A vocabulary word (dimension, severity, column) in this language; unknown names stay as is."""
        key = f"{prefix}_{name}"
        return self.table.get(key, EN.get(key, name))

    def dimension(self, name: str) -> str:
        return self.term("dim", name)

    def finding(self, finding: Finding) -> str:
        return self(f"finding_{finding.code}", **finding.values)

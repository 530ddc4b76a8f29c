"""One task's verdict: the prompt, the exact request and its token budget, the verdict schema and its
validation, retries that change the request, the merge of --swap passes, rankings, the run fingerprint.

Imports `analyze.fleet`, `analyze.inputs`, `analyze.journal` and the top-level vocabulary.
"""

"""The task JSONL: the streaming reader that normalises the spellings found in the wild and rejects bad
lines with their line number, and `analyze validate`.

Imports only `analyze.constants` and its own modules.
"""

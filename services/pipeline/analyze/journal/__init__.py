"""The output directory's JSONL journal (docs/journal-format.md): the append-only writer, the one reader,
the resume index.

Imports only `analyze.constants` and its own modules.
"""

"""Running the tests a task carries: the client of the sandbox service (services/sandbox, docs/sandbox.md)
and the executor that runs a task's candidates on it before the judge sees them.

Imports `analyze.inputs`, `analyze.journal` and the top-level vocabulary; nothing of judging.
"""

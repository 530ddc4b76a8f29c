"""The one error of the input: a line that is not a valid task."""

from __future__ import annotations


class TaskError(ValueError):
    """A line that is not a valid task; the message names the field at fault."""

"""The one error type of the evaluation's own inputs (gold cases have `GoldError`)."""

from __future__ import annotations


class EvalError(ValueError):
    """Bad evaluation input (gates file, baseline file): the message names the file and field."""

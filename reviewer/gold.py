"""The gold cases' old address, kept only so code written against `reviewer.gold` still imports
(several scripts and tests on other branches do); new code imports `reviewer.evaluate.cases`."""

from __future__ import annotations

from reviewer.evaluate.cases import (
    Expected,
    GoldCase,
    GoldCode,
    GoldContext,
    GoldError,
    load_case,
    load_cases,
)

__all__ = ["Expected", "GoldCase", "GoldCode", "GoldContext", "GoldError", "load_case", "load_cases"]

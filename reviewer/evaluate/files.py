"""Where the gold set, baselines and gates are: a folder laid out like the repository's eval/."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["EvalFiles", "bundled_eval_files"]


@dataclass(frozen=True)
class EvalFiles:
    """A folder laid out like the repository's eval/: gold/, baselines/<extractor>.json, gates.yaml."""

    root: Path
    packaged: bool  # inside an installed package: read-only, never rewritten

    @property
    def gold(self) -> Path:
        return self.root / "gold"

    @property
    def gates(self) -> Path:
        return self.root / "gates.yaml"

    def baseline(self, extractor: str) -> Path:
        return self.root / "baselines" / f"{extractor}.json"


def bundled_eval_files() -> EvalFiles | None:
    """The gold set, baselines and gates that come with this copy of the tool, so `reviewer
    eval` runs from any directory: a wheel ships them as reviewer/_eval (pyproject.toml,
    force-include); a source checkout (editable install) uses its own eval/ folder."""
    packaged = resources.files("reviewer").joinpath("_eval")
    if packaged.is_dir():
        return EvalFiles(Path(str(packaged)), packaged=True)
    checkout = Path(__file__).resolve().parents[2] / "eval"
    if (checkout / "gold").is_dir():
        return EvalFiles(checkout, packaged=False)
    return None

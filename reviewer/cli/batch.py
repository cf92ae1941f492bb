"""`reviewer batch`: pre-bill review of many notes, wired to reviewer.batch."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reviewer.cli.common import (
    ExtractorName,
    ExtractorOption,
    fail,
)

if TYPE_CHECKING:
    pass


class BatchEngine(StrEnum):
    local = "local"
    ray = "ray"


BatchInputArgument = Annotated[
    Path,
    typer.Argument(metavar="INPUT", help="A folder of .txt notes, a .jsonl or a .csv (id, text, ...)."),
]
BatchOutOption = Annotated[
    Path, typer.Option("--out", help="Output folder (results.jsonl, summary.csv, report.html).")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Worker processes (default: all cores; Ray: actors)."),
]
EngineOption = Annotated[
    BatchEngine,
    typer.Option("--engine", help="local, or ray (Ray Data: pip install 'op-note-reviewer[ray]')."),
]
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="SQLite cache of extractions (default: OUT/cache.sqlite).")
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, help="LLM calls in flight at once.")]
RpmOption = Annotated[
    float | None,
    typer.Option("--requests-per-minute", "--rpm", min=1, help="LLM requests per minute, at most."),
]
TpmOption = Annotated[
    float | None,
    typer.Option("--tokens-per-minute", "--tpm", min=1, help="LLM tokens per minute, at most."),
]
MaxCostOption = Annotated[
    float | None,
    typer.Option("--max-cost", min=0, help="Stop (resumably) once LLM spend reaches this, in USD."),
]
MaxTokensOption = Annotated[
    int | None,
    typer.Option("--max-tokens", min=1, help="Stop (resumably) once this many LLM tokens are used."),
]
PriceInputOption = Annotated[
    float | None,
    typer.Option(
        "--price-input", min=0, envvar="REVIEWER_PRICE_INPUT", help="USD per million prompt tokens."
    ),
]
PriceOutputOption = Annotated[
    float | None,
    typer.Option(
        "--price-output", min=0, envvar="REVIEWER_PRICE_OUTPUT", help="USD per million completion tokens."
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option("--ray-address", help="Ray cluster address (default: RAY_ADDRESS, else local)."),
]
FreshOption = Annotated[
    bool, typer.Option("--fresh", help="Start OUT again instead of resuming (keeps the cache).")
]


def batch_command(
    input_path: BatchInputArgument,
    out: BatchOutOption,
    workers: WorkersOption = None,
    engine: EngineOption = BatchEngine.local,
    cache: CacheOption = None,
    extractor: ExtractorOption = ExtractorName.rules,
    concurrency: ConcurrencyOption = 8,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    max_tokens: MaxTokensOption = None,
    price_input: PriceInputOption = None,
    price_output: PriceOutputOption = None,
    ray_address: RayAddressOption = None,
    fresh: FreshOption = False,
) -> None:
    """Review many notes against their intended claims: a ranked worklist of the claims at risk.

    Re-running the same command resumes. Exit status: 0 every note reviewed; 1 some rows failed
    (see their reason in summary.csv); 2 bad input; 4 stopped by --max-cost/--max-tokens
    (resumable); 130 interrupted (resumable)."""
    from reviewer.batch import BatchOptions, run_batch
    from reviewer.batch.local import LlmLimits
    from reviewer.batch.progress import Prices
    from reviewer.batch.runner import resume_command
    from reviewer.batch.summary import print_summary

    options = BatchOptions(
        input=input_path,
        out=out,
        extractor=extractor.value,
        engine=engine.value,
        workers=workers,
        cache=cache,
        limits=LlmLimits(concurrency=concurrency, requests_per_minute=rpm, tokens_per_minute=tpm),
        prices=Prices(input=price_input, output=price_output),
        max_cost=max_cost,
        max_tokens=max_tokens,
        ray_address=ray_address,
        fresh=fresh,
        command=resume_command(sys.argv[2:]),
    )
    try:
        run = run_batch(options)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    print_summary(run, options)
    if run.exit_code:
        raise typer.Exit(run.exit_code)

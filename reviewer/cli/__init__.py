"""The command line: typer wiring of the verbs, one module each (what they do lives in the
packages: pipeline, evaluate, batch, web). Errors are one line on stderr with a non-zero exit; a
traceback is shown only with REVIEWER_DEBUG=1."""

from __future__ import annotations

import os
import sys

import typer

from reviewer.cli import batch, evaluation, note, serving
from reviewer.cli.common import app, shown, write_atomically
from reviewer.terminal import text_width

__all__ = ["app", "main", "text_width", "write_atomically"]

# The verbs, in the order `reviewer --help` lists them.
app.command()(note.check)
app.command()(note.schemas)
app.command("eval")(evaluation.eval_command)
app.command()(serving.serve)
app.command()(note.mask)
app.command()(note.explain)
app.command("batch")(batch.batch_command)


def main() -> None:
    """Entry point: no traceback reaches the user unless REVIEWER_DEBUG is set."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("reviewer: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, non-zero exit
        if os.environ.get("REVIEWER_DEBUG"):
            raise
        typer.echo(shown(f"reviewer: internal error: {type(exc).__name__}: {exc}"), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""`jointel ensemble`: make one model of several trained seeds (see `jointel.model.ensemble`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from jointel.cli.errors import reports_user_errors


@reports_user_errors
def ensemble_command(
    members: Annotated[list[Path], typer.Argument(help="Model directories trained with one config (seeds).")],
    out: Annotated[Path, typer.Option(help="The ensemble's directory (ensemble.json and config.json).")],
) -> None:
    """Make OUT an ensemble of the MEMBERS: they decode in lockstep on their mean action probabilities and average
    their link probabilities. Every command that takes --model accepts OUT; members stay where they are.

    Example: jointel ensemble runs/x/joint-seed1/model runs/x/joint-seed2/model runs/x/joint-seed3/model --out runs/x3
    """
    from jointel.model.ensemble import save_ensemble

    if out.exists() and any(out.iterdir()) and not (out / "ensemble.json").is_file():
        raise FileExistsError(f"{out}: exists and is not an ensemble directory; choose a new --out")
    save_ensemble(out, members)
    Console().print(escape(f"{out}: an ensemble of {len(members)} models ({out / 'ensemble.json'})"), highlight=False)

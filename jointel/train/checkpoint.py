"""Atomic checkpoints: write to a temporary file beside the target, then rename, so a kill never leaves half a file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from jointel.data.files import write_atomic
from jointel.model.config import ConfigError
from jointel.model.joint import read_saved

STATE_KEYS = ("model", "optimizer", "average", "history", "random")
RESTART = "train again without --resume, or into a new --out"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    """The state `save_checkpoint` wrote; a missing, cut or foreign file is a one-line error naming it."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    # Not weights only: the state holds Python's and numpy's random states, which resuming restores.
    state = read_saved(Path(path), "checkpoint", RESTART, weights_only=False)
    if not isinstance(state, dict) or not set(STATE_KEYS) <= set(state):
        raise ConfigError(f"{path}: not a jointel checkpoint (expected {', '.join(STATE_KEYS)}); {RESTART}")
    return state

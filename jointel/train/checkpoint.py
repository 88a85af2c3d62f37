"""Atomic checkpoints: write to a temporary file beside the target, then rename, so a kill never leaves half a file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from jointel.data.files import write_atomic


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    return torch.load(path, map_location="cpu", weights_only=False)

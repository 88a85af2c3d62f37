"""Open a saved model directory of either kind: one trained model, or an ensemble of them (`jointel ensemble`).

Every user of a saved model (annotation, evaluation, calibration, scripts) loads through `load_model`, so a
`--model` option accepts both kinds without asking which one it is given.
"""

from __future__ import annotations

from pathlib import Path

from jointel.model.ensemble import ENSEMBLE_FILE, Ensemble, load_ensemble
from jointel.model.joint import JointModel


def is_ensemble(directory: Path) -> bool:
    """Whether `directory` holds an ensemble: the file naming its members is what tells the two kinds apart."""
    return (Path(directory) / ENSEMBLE_FILE).is_file()


def load_model(directory: Path) -> JointModel | Ensemble:
    """The model saved in `directory`: one `JointModel`, or an `Ensemble` if it holds `ensemble.json`."""
    return load_ensemble(directory) if is_ensemble(directory) else JointModel.load(directory)

"""A saved model's NIL threshold and NIL bias: deployment settings, not hyper-parameters.

Links less probable than the threshold become NIL at annotation and evaluation time (`Prediction.is_made_nil`),
once NIL's log-odds have been lowered by the bias (`Prediction.with_nil_bias`; 0 for models calibrated before it).
`jointel calibrate` chooses both on the dev split once the weights are trained, and writes them in their own file,
`nil_threshold.json` beside `config.json`, so that the hyper-parameters stay what training used. New weights make it
stale: `JointModel.save` removes it.

Models calibrated before the threshold had its own file kept it as the `nil_threshold` key of their `config.json`
(the bundled model among them). `load_nil_threshold` reads that key when there is no threshold file, and
`ModelConfig.load` passes over it (`MOVED_OUT`), so such a model loads and annotates as it always did.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from jointel.data.files import write_atomic
from jointel.model.config import ConfigError, json_object

THRESHOLD_FILE = "nil_threshold.json"
KEY = "nil_threshold"  # in the threshold file, and in the config.json of a model calibrated before it existed
BIAS_KEY = "nil_bias"  # in the threshold file only


def load_nil_threshold(directory: Path) -> float | None:
    """The threshold calibrated for the model in `directory` (None: keep every link).

    Its `nil_threshold.json` if there is one (`null` there clears a threshold its config.json kept), else the
    `nil_threshold` key of a config.json written before the threshold had its own file, else None.
    """
    for name in (THRESHOLD_FILE, "config.json"):
        path = Path(directory) / name
        if path.is_file():
            values = json_object(path)
            if name == THRESHOLD_FILE or KEY in values:
                return _threshold(path, values.get(KEY))
    return None


def load_nil_bias(directory: Path) -> float:
    """The NIL bias calibrated for the model in `directory`: 0 without a threshold file or a bias in it."""
    path = Path(directory) / THRESHOLD_FILE
    if not path.is_file():
        return 0.0
    value = json_object(path).get(BIAS_KEY, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ConfigError(f"{path}: {BIAS_KEY} must be a finite number ≥ 0, not {json.dumps(value, default=repr)}")
    return float(value)


def save_nil_threshold(directory: Path, threshold: float | None, bias: float = 0.0) -> Path:
    """Write `threshold` (None: none, even if an old config.json has one) and `bias` in one rename: a server may be
    reading the model directory. Returns the file written."""
    path = Path(directory) / THRESHOLD_FILE
    write_atomic(path, (json.dumps({KEY: threshold, BIAS_KEY: bias}, indent=2) + "\n").encode())
    return path


def forget_nil_threshold(directory: Path) -> None:
    """Remove the threshold file: it was calibrated for weights that are being replaced."""
    (Path(directory) / THRESHOLD_FILE).unlink(missing_ok=True)


def _threshold(path: Path, value: object) -> float | None:
    """`value` as a threshold: a finite number, or null for none; else a ConfigError naming the file."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{path}: {KEY} must be a finite number or null, not {json.dumps(value, default=repr)}")
    return value

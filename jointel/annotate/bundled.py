"""The models that ship inside the package, and how a model is named: a directory, or a bundled model's name.

Two models ship, each with its own speed and accuracy (BENCHMARKS.md, RESULTS.md): `default`, the fast one (no
transformer, about twice spaCy's speed on a CPU), and `accurate`, which also reads MiniLM's vectors (cut to its first
layers, int8) and needs the `contextual` extra. `jointel.load("accurate")`, `--model accurate` on every command and
the spaCy component's `model` setting all resolve names here.
"""

from __future__ import annotations

from pathlib import Path

MODELS = Path(__file__).resolve().parents[1] / "models"
DEFAULT = "default"
BUNDLED_NAMES = (DEFAULT, "accurate")


def bundled_model(name: str = DEFAULT) -> Path:
    """The directory of the bundled model `name` (which may not be installed)."""
    return MODELS / name


def model_directory(model: Path | str | None) -> Path:
    """The directory of `model`: a path, or a bundled model's name (None is the default one). A directory of that
    name in the working directory is a path, as it always was; a missing bundled model is a clear error."""
    if model is not None and (str(model) not in BUNDLED_NAMES or Path(model).is_dir()):
        return Path(model)
    name = DEFAULT if model is None else str(model)
    directory = bundled_model(name)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"the bundled model {name!r} is not installed ({directory} does not exist); pass a model directory: "
            "jointel.load('runs/joint/model') in Python, --model runs/joint/model on the command line"
        )
    return directory

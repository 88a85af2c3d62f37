"""The import arrows of STYLE.md §2, checked by parsing every module (nothing is run)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "jointel"
ALLOWED = {
    "data": set(),
    "kb": {"data"},
    "model": {"data", "kb"},
    "evaluate": {"data", "kb", "model"},
    "train": {"data", "kb", "model", "evaluate"},
    "annotate": {"data", "kb", "model"},
    "cli": {"data", "kb", "model", "evaluate", "train", "annotate", "server"},
    "server": {"annotate", "data"},
    "spacy_component": {"annotate", "data"},
    "__init__": {"data", "kb", "model", "evaluate", "train", "annotate"},
}
FORBIDDEN_LIBRARIES = {"data": {"torch", "sqlite3"}, "kb": {"torch"}}


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_follow_layers():
    for path in PACKAGE.rglob("*.py"):
        here = layer_of(path)
        for module in imported_modules(path):
            top, _, rest = module.partition(".")
            if top == "jointel" and rest:
                target = rest.split(".")[0]
                assert target in ALLOWED[here] | {here}, f"{path} imports jointel.{target}"
            assert top not in FORBIDDEN_LIBRARIES.get(here, set()), f"{path} imports {top}"


def test_transitions_import_only_data():
    path = PACKAGE / "model" / "transitions.py"
    if path.exists():
        for module in imported_modules(path):
            assert module.split(".")[0] != "torch", "transitions.py must stay pure Python"
            if module.startswith("jointel."):
                assert module.startswith("jointel.data"), module

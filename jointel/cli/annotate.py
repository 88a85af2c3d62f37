"""`jointel annotate`: typed, linked mentions of a text (a table) or of files (jsonl, conll or html)."""

from __future__ import annotations

import functools
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.style import Style
from rich.table import Table
from rich.text import Text

from jointel.annotate import Annotator, Mention, load
from jointel.annotate.annotator import BATCH_SIZE
from jointel.annotate.bundled import model_directory
from jointel.annotate.formats import (
    FORMATS,
    HTML_HEAD,
    HTML_TAIL,
    conll_record,
    count_texts,
    html_record,
    input_files,
    jsonl_record,
    read_texts,
)
from jointel.cli.errors import UsageError, reports_user_errors
from jointel.cli.outputs import check_output_file
from jointel.cli.paths import default_kb_path
from jointel.cli.progress import progress_bar
from jointel.data.files import replaced_atomically
from jointel.data.unicode import valid_unicode

_RECORDS = {"jsonl": jsonl_record, "conll": conll_record, "html": html_record}


def load_annotator(model: Path | None, kb: Path | None, nil_threshold: float | None = None) -> Annotator:
    """The model (default: the bundled one) with `kb`, else the model's own kb.sqlite, else .cache/kb.sqlite.

    `nil_threshold` (--nil-threshold, None = the model's) is checked here, where every command that takes the
    option (annotate, annotate-corpus, serve) passes it.
    """
    if nil_threshold is not None and not 0.0 <= nil_threshold <= 1.0:  # NaN too: it compares false with anything
        raise typer.BadParameter(f"{nil_threshold} is not a probability in [0, 1]", param_hint="'--nil-threshold'")
    directory = model_directory(model)
    if kb is None and model is not None and not (directory / "kb.sqlite").is_file() and default_kb_path().is_file():
        kb = default_kb_path()
    return load(directory, kb, nil_threshold)


ModelOption = Annotated[
    Path | None,
    typer.Option(help="Model directory (or ensemble, see jointel ensemble), or a bundled one: default, accurate."),
]
KBOption = Annotated[
    Path | None,
    typer.Option(help="Knowledge base (default: the Wikipedia KB once built, else the model's kb.sqlite)."),
]


@reports_user_errors
def annotate_command(
    text: Annotated[str | None, typer.Argument(help="Text to annotate (or use --input).", show_default=False)] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help=".txt file, directory of .txt files, or .jsonl ({id, text}); repeatable."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonl | conll | html (default: a table for TEXT, else jsonl).")
    ] = None,
    model: ModelOption = None,
    kb: KBOption = None,
    nil_threshold: Annotated[
        float | None, typer.Option(help="A link with probability below this becomes NIL (default: the model's).")
    ] = None,
    top_k: Annotated[int, typer.Option(min=0, help="Also list each mention's top-k candidates (jsonl).")] = 0,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Documents (of at most 1,000 tokens) per model call.")
    ] = BATCH_SIZE,
) -> None:
    """Find and link the named entities of TEXT, or of the --input files, with the bundled model or --model.

    A TEXT prints a table. Files stream to --output (or stdout) in --format, with a progress bar:
    `jointel annotate -i docs/ -o docs.html -f html` writes one page for every .txt file under docs/.
    """
    if (text is None) == (not inputs):
        raise typer.BadParameter("give either TEXT or --input, not both")
    if output_format is not None and output_format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    if text is not None:
        text = valid_unicode(text)  # Python reads bytes of argv that are not UTF-8 as lone surrogates
    files = input_files(inputs) if inputs else []
    if output is not None:
        check_output(output, files)
    total = count_texts(files)  # reads every input once: a malformed line stops the run before any work
    if inputs and total == 0:
        raise UsageError(f"nothing to annotate: no text in {', '.join(map(str, inputs))}")
    with load_annotator(model, kb, nil_threshold) as annotator:
        if text is not None and output_format is None and output is None:
            Console().print(mentions_table(annotator.annotate(text, top_k=top_k)))
            return
        with _opened(output) as handle:
            if text is not None:
                _write(handle, output_format or "jsonl", [("text", text)], annotator, batch_size, top_k)
            else:
                _write_files(handle, output_format or "jsonl", files, total, annotator, batch_size, top_k)
    if output is not None:
        Console(stderr=True).print(f"wrote {escape(str(output))}", highlight=False)


def mentions_table(mentions: list[Mention]) -> Table:
    table = Table(title=f"{len(mentions)} mentions")
    for column in ("span", "mention", "type", "entity", "NER", "link"):
        table.add_column(column, justify="right" if column in ("span", "NER", "link") else "left")
    for mention in mentions:  # texts, not markup: a title or a text may hold "[/x]"
        entity = Text(mention.entity, Style(link=mention.url)) if mention.entity else Text("NIL", "dim")
        table.add_row(
            f"{mention.start}–{mention.end}",
            Text(mention.text),
            Text(mention.label),
            entity,
            f"{mention.ner_score:.2f}",
            f"{mention.el_score:.2f}",
        )
    return table


def check_output(output: Path, inputs: list[Path]) -> None:
    """Refuse an --output that cannot be written or is one of the inputs (it would be replaced by its annotations)."""
    check_output_file(output, "--output", "out.jsonl")
    if output.exists() and any(output.samefile(file) for file in inputs):
        raise UsageError(f"--output {output} is also an --input: write the annotations to another file")


@contextmanager
def _opened(output: Path | None) -> Iterator[TextIO]:
    """stdout, or a temporary file renamed over `output` only once everything is written."""
    if output is None:
        yield sys.stdout
        return
    with replaced_atomically(output) as temp, temp.open("w", encoding="utf-8") as handle:
        yield handle


def _write_files(
    handle: TextIO,
    output_format: str,
    files: list[Path],
    total: int,
    annotator: Annotator,
    batch_size: int,
    top_k: int,
) -> None:
    with progress_bar("annotating", transient=True) as progress:
        task = progress.add_task("annotating", total=total)
        advance = functools.partial(progress.advance, task)
        _write(handle, output_format, read_texts(files), annotator, batch_size, top_k, advance)


def _write(
    handle: TextIO,
    output_format: str,
    texts: Iterable[tuple[str, str]],
    annotator: Annotator,
    batch_size: int,
    top_k: int,
    advance: Callable[[], None] = lambda: None,
) -> None:
    """Annotate `texts` ((id, text) pairs) as a stream and write each document in `output_format` as it is done."""
    record = _RECORDS[output_format]
    pending: deque[tuple[str, str]] = deque()  # texts read but not yet written: at most a batch of them

    def remembered() -> Iterator[str]:
        for document_id, text in texts:
            pending.append((document_id, text))
            yield text

    if output_format == "html":
        handle.write(HTML_HEAD)
    for mentions in annotator.annotate_many(remembered(), batch_size=batch_size, top_k=top_k):
        document_id, text = pending.popleft()
        handle.write(record(document_id, text, mentions))
        advance()
    if output_format == "html":
        handle.write(HTML_TAIL)

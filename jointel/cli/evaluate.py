"""`jointel evaluate-files GOLD PRED`: score any system's output with jointel's scorers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jointel.cli.errors import UsageError, reports_user_errors
from jointel.cli.outputs import check_output_file
from jointel.data import SPLITS
from jointel.data.files import write_atomic
from jointel.data.tsv import read_tagged_tsv
from jointel.evaluate import CorpusScores, score_corpus


def scores_table(scores: CorpusScores, title: str) -> Table:
    """NER per type and micro, EL micro/macro strong match, ED accuracy, NIL detection — in percent."""
    table = Table(title=escape(title))
    for column in ("", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(column, justify="right" if column else "left")

    def row(name: str, prf) -> None:
        percent = (f"{100 * value:.2f}" for value in (prf.precision, prf.recall, prf.f1))
        table.add_row(name, *percent, str(prf.tp), str(prf.fp), str(prf.fn))

    for label, prf in sorted(scores.ner.per_type.items()):
        row(f"NER {label}", prf)
    row("NER micro", scores.ner.micro)
    row("EL strong match micro (InKB)", scores.el.micro)
    el = scores.el
    table.add_row(
        "EL strong match macro", *(f"{100 * v:.2f}" for v in (el.macro_precision, el.macro_recall, el.macro_f1))
    )
    row("NIL detection", scores.nil)
    table.add_row("ED accuracy (gold mentions)", "", "", f"{100 * scores.ed.accuracy:.2f}", str(scores.ed.correct))
    return table


@reports_user_errors
def evaluate_files(
    gold: Annotated[Path, typer.Argument(help="Gold file in tagged-TSV format.")],
    pred: Annotated[Path, typer.Argument(help="Predictions in tagged-TSV format, same documents and tokens.")],
    scheme: Annotated[str, typer.Option(help="Tag scheme: iob1 (conlleval rules, reads BIO too) or bio (strict).")] = (
        "iob1"
    ),
    out: Annotated[Path | None, typer.Option(help="Also write the scores as JSON here.")] = None,
) -> None:
    """Score PRED against GOLD: NER per type, EL strong-match micro/macro F1, ED accuracy, NIL P/R/F1.

    Both files use the tagged-TSV format: `-DOCSTART- <doc id>` lines, blank lines between sentences, and
    `token<TAB>tag[<TAB>entity]` token lines (tags O/B-X/I-X; entity a Wikipedia title or --NME-- for NIL).
    """
    if out is not None:
        check_output_file(out, "--out", "scores.json")
    gold_docs, pred_docs = read_tagged_tsv(gold, scheme), read_tagged_tsv(pred, scheme)
    try:
        scores = score_corpus(gold_docs, pred_docs)
    except ValueError as error:  # documents not parallel: a user error about these two files
        raise UsageError(f"{pred} does not match {gold}: {error}") from None
    Console().print(scores_table(scores, f"{pred} against {gold}"))
    if out is not None:
        write_atomic(out, (json.dumps(scores.to_dict(), indent=2) + "\n").encode())


@reports_user_errors
def evaluate_command(
    model: Annotated[
        Path,
        typer.Option(help="Model directory (or ensemble, see jointel ensemble), or a bundled one: default, accurate."),
    ],
    split: Annotated[str, typer.Option(help="testa (dev) or testb (test) or train.")] = "testa",
    protocol: Annotated[
        str | None, typer.Option(help="Candidates: realistic, wikipedia or ppr (default: the model's).")
    ] = None,
    kb: Annotated[Path | None, typer.Option(help="Knowledge base (default: .cache/kb.sqlite).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None,
    predictions: Annotated[Path | None, typer.Option(help="Write predictions here (tagged-TSV).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the scores as JSON here.")] = None,
) -> None:
    """Score a trained model on a split: NER per type, EL strong match micro/macro, ED accuracy, NIL, tokens/s.

    The model's NIL bias and threshold (set by `jointel calibrate`) are applied as annotation applies them.
    """
    from jointel.annotate.bundled import model_directory
    from jointel.cli.data import load_corpus_with_status
    from jointel.cli.paths import default_kb_path
    from jointel.data.tsv import write_tagged_tsv
    from jointel.evaluate.model import evaluate_model
    from jointel.kb import PROTOCOLS
    from jointel.kb.lookup import KB
    from jointel.model.loading import load_model
    from jointel.model.threshold import load_nil_bias, load_nil_threshold

    if split not in SPLITS:
        raise typer.BadParameter(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    if protocol is not None and protocol not in PROTOCOLS:
        raise typer.BadParameter(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    for path, option, example in ((predictions, "--predictions", "predictions.tsv"), (out, "--out", "scores.json")):
        if path is not None:
            check_output_file(path, option, example)
    model = model_directory(model)
    joint = load_model(model)
    threshold, bias = load_nil_threshold(model), load_nil_bias(model)
    documents = load_corpus_with_status(data_dir)[split]
    with KB(kb or default_kb_path()) as knowledge_base, Console(stderr=True).status(f"Annotating {split}…"):
        protocol = protocol or joint.config.candidate_protocol
        evaluation = evaluate_model(joint, documents, knowledge_base, protocol, threshold, bias)
    Console().print(scores_table(evaluation.scores, f"{model} on {split} ({evaluation.protocol} candidates)"))
    if split == "train" or (split == "testa" and joint.config.train_with_dev):
        Console().print(f"[yellow]this model was trained on {split}: these are scores on its training data[/]")
    if evaluation.nil_threshold is not None:
        Console().print(
            f"NIL threshold {evaluation.nil_threshold:.4f} (NIL bias {evaluation.nil_bias:g}) of {escape(str(model))} "
            "applied, as in annotation: "
            f"{evaluation.made_nil:,} links below it became NIL"
        )
    if evaluation.el_no_nil is not None:
        no_nil = evaluation.el_no_nil.micro
        Console().print(
            f"EL micro F1 with every mention linked to its best candidate (never NIL; InKB scoring ignores gold NIL "
            f"mentions): {100 * no_nil.f1:.2f} (P {100 * no_nil.precision:.2f}, R {100 * no_nil.recall:.2f})"
        )
    Console().print(
        f"{evaluation.tokens_per_second:,.0f} tokens/s end to end ({evaluation.seconds:.1f} s for "
        f"{len(documents)} documents)"
    )
    if predictions is not None:
        write_tagged_tsv(predictions, evaluation.predicted)
    if out is not None:
        write_atomic(out, (json.dumps(evaluation.to_dict(), indent=2) + "\n").encode())

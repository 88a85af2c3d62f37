"""`jointel calibrate`: choose the NIL bias and threshold on dev and store them beside the model (`threshold.py`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jointel.annotate.annotator import Annotator, default_kb
from jointel.annotate.bundled import model_directory
from jointel.cli.data import load_corpus_with_status
from jointel.cli.errors import reports_user_errors
from jointel.cli.outputs import check_output_file
from jointel.cli.paths import default_kb_path
from jointel.cli.progress import progress_bar
from jointel.data import SPLITS, Document
from jointel.evaluate.calibrate import BiasTrial, Calibration, calibrate_nil
from jointel.evaluate.calibration_plot import plot_calibration
from jointel.evaluate.cases import read_link_cases, score_link_cases
from jointel.evaluate.model import predict_scored
from jointel.kb import KB, PROTOCOLS, text_protocol
from jointel.model.ensemble import Ensemble
from jointel.model.inputs import KBAccess
from jointel.model.joint import JointModel, Prediction
from jointel.model.loading import load_model
from jointel.model.threshold import THRESHOLD_FILE, save_nil_threshold

TEST_SPLIT = "testb"


@reports_user_errors
def calibrate_command(
    model: Annotated[
        Path,
        typer.Option(help="Model directory, or a bundled one by name; its nil_threshold.json receives the threshold."),
    ],
    kb: Annotated[
        Path | None,
        typer.Option(help="Knowledge base (default: the one annotation reads; for ppr, .cache/kb.sqlite)."),
    ] = None,
    split: Annotated[str, typer.Option(help="testa (dev) or train; testb needs --allow-test.")] = "testa",
    protocol: Annotated[
        str | None, typer.Option(help="Candidates: realistic, wikipedia or ppr (default: what annotation uses).")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Reliability plot PNG (default: MODEL/reliability.png).")] = None,
    sentences: Annotated[
        list[Path] | None,
        typer.Option(
            help="Hand-made sentences with expected links (JSONL, e.g. data/wikipedia_dev.jsonl; repeat for more "
            "files, whose links count together): the NIL bias is chosen on them too, their share of links right "
            "added to SPLIT's EL F1."
        ),
    ] = None,
    allow_test: Annotated[bool, typer.Option(help="Allow tuning on testb (never for reported numbers).")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None,
) -> None:
    """Choose the NIL bias and threshold that maximise EL strong-match micro F1 on SPLIT; write them to
    MODEL/nil_threshold.json.

    Annotation then lowers NIL's log-odds by the bias and makes every link whose probability is below the threshold
    NIL, and `jointel evaluate` scores the model that way. Also writes a reliability plot (link probability against
    accuracy, F1 by threshold, at the chosen bias).
    """
    _check_choices(split, protocol, allow_test)
    model = model_directory(model)
    plot_path = plot or model / "reliability.png"
    check_output_file(plot_path, "--plot", "reliability.png")
    check_output_file(model / THRESHOLD_FILE, "--model", THRESHOLD_FILE)
    joint = load_model(model)
    annotation = text_protocol(joint.config.candidate_protocol)
    protocol = protocol or annotation
    documents = load_corpus_with_status(data_dir)[split]
    with KB(_kb_path(model, kb, protocol)) as knowledge_base:
        access = KBAccess.for_model(knowledge_base, protocol, joint.config)
        predictions = _predict_with_progress(joint, documents, access)
        also = _links_right(joint, knowledge_base, sentences) if sentences else None
        best, trials = calibrate_nil(documents, predictions, also=also)
    bias, result = best.bias, best.calibration
    plot_calibration(result, plot_path)
    threshold_path = save_nil_threshold(model, result.threshold, bias)
    Console().print(bias_table(trials, split, sentences))
    Console().print(calibration_table(result, f"NIL threshold on {split} ({protocol} candidates, NIL bias {bias:g})"))
    Console().print(escape(_summary(result, bias, threshold_path, plot_path)), highlight=False, soft_wrap=True)
    if protocol != annotation:
        Console().print(f"note: annotation uses {annotation} candidates; this threshold was tuned on {protocol} ones")


def bias_table(trials: Sequence[BiasTrial], split: str, sentences: Sequence[Path] | None) -> Table:
    """Each NIL bias tried: its threshold and EL F1 on SPLIT, and the share of the sentences' links right."""
    table = Table(title="NIL biases tried (the chosen one: best sum of the last two columns)")
    names = " + ".join(path.name for path in sentences or ()) or "–"
    for column in ("NIL bias", "threshold", f"EL F1 {split}", f"links right, {names}"):
        table.add_column(column, justify="right")
    for trial in trials:
        share = "–" if trial.also is None else f"{100 * trial.also:.2f}"
        f1 = f"{100 * trial.calibration.after.f1:.2f}"
        table.add_row(f"{trial.bias:g}", _threshold_text(trial.calibration.threshold), f1, share)
    return table


def calibration_table(result: Calibration, title: str) -> Table:
    """EL strong-match micro precision, recall and F1 (percent) without and with the chosen threshold."""
    table = Table(title=title)
    for column in ("", "threshold", "links", "precision", "recall", "EL F1"):
        table.add_column(column, justify="right" if column else "left")
    for name, threshold, counts, links in (
        ("before", None, result.before, result.links),
        ("after", result.threshold, result.after, result.links - result.made_nil),
    ):
        percent = (f"{100 * value:.2f}" for value in (counts.precision, counts.recall, counts.f1))
        table.add_row(name, _threshold_text(threshold), f"{links:,}", *percent)
    return table


def _links_right(model: JointModel | Ensemble, kb: KB, paths: Sequence[Path]) -> Callable[[float, float | None], float]:
    """The share of the expected links of the sentences in `paths` (all files' links together) that annotation gets
    right with a NIL bias and threshold (`score_link_cases`)."""
    cases = [case for path in paths for case in read_link_cases(path)]

    def share(bias: float, threshold: float | None) -> float:
        annotator = Annotator(model, kb, threshold, nil_bias=bias)  # not closed: the KB is the caller's
        outcomes = score_link_cases(cases, list(annotator.annotate_many(case.text for case in cases)))
        return sum(outcome.right for outcome in outcomes) / max(len(outcomes), 1)

    return share


def _check_choices(split: str, protocol: str | None, allow_test: bool) -> None:
    if split not in SPLITS:
        raise typer.BadParameter(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    if protocol is not None and protocol not in PROTOCOLS:
        raise typer.BadParameter(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if split == TEST_SPLIT and not allow_test:
        Console(stderr=True).print(
            "[red]error:[/red] testb is the test split: tuning the NIL threshold on it would inflate test scores. "
            "Calibrate on testa (the dev split), or pass --allow-test if the model is not for reported numbers.",
            highlight=False,
        )
        raise typer.Exit(1)


def _kb_path(model: Path, kb: Path | None, protocol: str) -> Path:
    """`kb`; else what annotation reads (the Wikipedia KB once built, else the model's own kb.sqlite), which has no
    PPR lists; else .cache/kb.sqlite."""
    if kb is not None:
        return kb
    annotated = default_kb(model)
    return annotated if protocol != "ppr" and annotated.is_file() else default_kb_path()


def _predict_with_progress(
    model: JointModel | Ensemble, documents: Sequence[Document], access: KBAccess
) -> list[list[list[Prediction]]]:
    with progress_bar("predicting") as progress:
        task = progress.add_task("documents", total=len(documents))
        predictions = []
        for rows in predict_scored(model, documents, access):
            predictions.append(rows)
            progress.advance(task)
    return predictions


def _summary(result: Calibration, bias: float, threshold_path: Path, plot_path: Path) -> str:
    chosen = f"nil_bias = {bias!r} (NIL's log-odds lowered by it)"
    if result.threshold is None:
        return (
            f"No threshold beats keeping every link: {chosen}, nil_threshold cleared in {threshold_path}; "
            f"plot: {plot_path}"
        )
    return (
        f"{result.made_nil:,} of {result.links:,} links flipped to NIL. "
        f"{chosen}, nil_threshold = {result.threshold!r} written to {threshold_path}; plot: {plot_path}"
    )


def _threshold_text(threshold: float | None) -> str:
    return "none" if threshold is None else f"{threshold:.4f}"

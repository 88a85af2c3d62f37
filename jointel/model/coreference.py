"""A person named in part is the person named in full elsewhere in the document.

News names a person once in full and then by surname ("Randall Cunningham ... Cunningham threw"), sometimes by first
name. Linked alone, the short name is a namesake lottery: "Cunningham" has a dozen candidates, and the linker picked
Kenny_Cunningham six times in one AIDA testa story about Randall_Cunningham. So, as REL and AIDA's own systems do,
a PER mention whose words are a run of the words of a longer PER mention of the same document takes that mention's
link, its candidates and scores with it, so that a later NIL bias or threshold decides both alike. Only a longer
mention with candidates counts: a scorecard's "S. Law", which the KB cannot resolve, says nothing about "Law".
Persons only, as in REL: for places the shorter name is often another entity ("Texas" beside "Texas Rangers"), and
on AIDA testa the rule for every type undid more links than it mended (`scripts/ed_errors.py`; ORG alone would add
0.15 points there, too little to leave the rule known to hold for people).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from jointel.model.joint import Prediction

PERSON = "PER"


def share_person_links(
    rows: Sequence[Sequence[Prediction]], tokens: Sequence[Sequence[str]], labels: Collection[str] = (PERSON,)
) -> list[list[Prediction]]:
    """`rows` (one document's predictions per sentence, `tokens` its sentences) with each partly named person
    linked as the first longer PER mention with candidates of the document that contains its words in order.
    `labels` other than PER alone are for measuring the rule on other types (`scripts/ed_errors.py`)."""
    names = [
        (_words(tokens[i], prediction), prediction)
        for i, row in enumerate(rows)
        for prediction in row
        if prediction.span.label in labels and prediction.candidates
    ]
    return [[_as_full_name(prediction, tokens[i], names, labels) for prediction in row] for i, row in enumerate(rows)]


def _as_full_name(
    prediction: Prediction,
    tokens: Sequence[str],
    names: Sequence[tuple[tuple[str, ...], Prediction]],
    labels: Collection[str],
) -> Prediction:
    label = prediction.span.label
    if label not in labels:
        return prediction
    words = _words(tokens, prediction)
    full = next((other for name, other in names if other.span.label == label and _is_run_of(words, name)), None)
    if full is None:
        return prediction
    return replace(
        prediction,
        span=replace(prediction.span, entity=full.span.entity),
        el_score=full.el_score,
        candidates=full.candidates,
        nil_score=full.nil_score,
    )


def _words(tokens: Sequence[str], prediction: Prediction) -> tuple[str, ...]:
    return tuple(token.casefold() for token in tokens[prediction.span.start : prediction.span.end])


def _is_run_of(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Whether `short` is a run of consecutive words of `long`, and shorter."""
    n = len(short)
    return 0 < n < len(long) and any(long[k : k + n] == short for k in range(len(long) - n + 1))

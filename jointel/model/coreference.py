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

The parser reads a sentence at a time, so it may not know "Washington" for the tennis player named in full three
sentences before: `name_people_in_part` makes a one-word mention (or an untagged capitalised word) a person when it
is the surname of a person named in full in the same document whom the KB vouches for (the full name's best
candidate has the surname in its title). On AIDA testa that changed 22 mentions of the default model and 16 of the
accurate one, all to their gold label; without the KB's word, a parse error ("Lebed Chechnya" as one person) made
the story's Chechnyas people, and for organisations the same rule changed 27 mentions, none rightly
(`scripts/surname_rule.py`, RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from jointel.data.documents import Span
from jointel.model.candidate_features import title_words
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


def name_people_in_part(
    rows: Sequence[Sequence[Prediction]], tokens: Sequence[Sequence[str]], label: str = PERSON
) -> list[list[Prediction]]:
    """`rows` (one document's predictions per sentence, `tokens` its sentences) with the surname of a vouched-for
    person (`_vouched_surnames`) a person wherever the document writes it alone: a one-word mention of another
    type is relabelled PER, and an untagged word spelled as the surname (or in capitals) becomes a PER mention
    with the full name's NER score. Neither has the full name's link yet: `share_person_links` gives it. A `label`
    other than PER is for measuring the rule on other types (`scripts/surname_rule.py`)."""
    surnames = _vouched_surnames(rows, tokens, label)
    if not surnames:
        return [list(row) for row in rows]
    by_key = {surname.lower(): full for surname, full in surnames.items()}
    people = []
    for words, row in zip(tokens, rows, strict=True):
        kept = [_relabelled(prediction, words, by_key, label) for prediction in row]
        covered = {i for prediction in row for i in range(prediction.span.start, prediction.span.end)}
        added = [
            Prediction(Span(i, i + 1, label), by_key[word.lower()].ner_score, 0.0)
            for i, word in enumerate(words)
            if i not in covered and (word in surnames or (word.isupper() and word.lower() in by_key))
        ]
        people.append(sorted(kept + added, key=lambda prediction: prediction.span.start))
    return people


def _vouched_surnames(
    rows: Sequence[Sequence[Prediction]], tokens: Sequence[Sequence[str]], label: str
) -> dict[str, Prediction]:
    """Surname → the first `label` mention of two words or more that ends with it, capitalised, and whose best
    candidate's title has it: "MaliVai Washington" (MaliVai_Washington) vouches for "Washington"."""
    surnames: dict[str, Prediction] = {}
    for words, row in zip(tokens, rows, strict=True):
        for prediction in row:
            name = words[prediction.span.start : prediction.span.end]
            surname = name[-1]
            if (
                prediction.span.label == label
                and len(name) > 1
                and len(surname) > 1
                and surname[0].isupper()
                and prediction.candidates
                and surname.lower() in title_words(prediction.candidates[0][0])
            ):
                surnames.setdefault(surname, prediction)
    return surnames


def _relabelled(
    prediction: Prediction, words: Sequence[str], by_key: Mapping[str, Prediction], label: str
) -> Prediction:
    span = prediction.span
    if span.label == label or span.end - span.start != 1 or words[span.start].lower() not in by_key:
        return prediction
    return replace(prediction, span=replace(span, label=label))

"""The check that gold and predicted documents can be scored against each other."""

from __future__ import annotations

from collections.abc import Sequence

from jointel.data.documents import Document


def check_parallel(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> None:
    """Raise ValueError unless the two lists hold the same documents (ids) with the same sentences and token counts.

    Tokens themselves are not compared: an external system may normalise quotes or brackets, and scores only
    depend on token positions.
    """
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"gold has {len(gold_docs)} documents but predictions have {len(pred_docs)}")
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        if gold.id != pred.id:
            raise ValueError(f"document order differs: gold {gold.id!r} is paired with predicted {pred.id!r}")
        if len(gold.sentences) != len(pred.sentences):
            raise ValueError(
                f"document {gold.id!r}: gold has {len(gold.sentences)} sentences, predictions {len(pred.sentences)}"
            )
        for index, (gold_sentence, pred_sentence) in enumerate(zip(gold.sentences, pred.sentences, strict=True)):
            if len(gold_sentence.tokens) != len(pred_sentence.tokens):
                raise ValueError(
                    f"document {gold.id!r}, sentence {index}: gold has {len(gold_sentence.tokens)} tokens, "
                    f"predictions {len(pred_sentence.tokens)}"
                )

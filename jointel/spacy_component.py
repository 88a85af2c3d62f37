"""A spaCy pipeline component: `nlp.add_pipe("jointel")` sets `doc.ents` with `label_` and `kb_id_` (a Wikipedia
title, or "NIL") and the scores in extension attributes.

An adapter only: it hands `doc.text` to the Annotator, so a Doc gets exactly the mentions `annotate(text)` returns,
whatever spaCy's own tokenizer did, then snaps each mention to spaCy tokens (`char_span(..., "expand")`). Span
extensions: `jointel_ner_score`, `jointel_el_score`, `jointel_url` and `jointel_candidates` ((entity, probability)
pairs, best first, when `top_k` > 0). `nlp.pipe` sends `batch_size` texts through each model call.

    nlp = spacy.blank("en")
    nlp.add_pipe("jointel", config={"model": "runs/joint/model"})   # model None: the bundled model
    [(ent.text, ent.label_, ent.kb_id_) for ent in nlp("Germany beat Argentina.").ents]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

from jointel.annotate import Annotator, Mention, load

NIL = "NIL"
EXTENSIONS = ("jointel_ner_score", "jointel_el_score", "jointel_url", "jointel_candidates")


@Language.factory(
    "jointel",
    default_config={"model": None, "kb": None, "nil_threshold": None, "top_k": 0, "batch_size": 64},
)
def make_jointel(
    nlp: Language,
    name: str,
    model: str | None,
    kb: str | None,
    nil_threshold: float | None,
    top_k: int,
    batch_size: int,
) -> JointelComponent:
    """Load the model (directory `model`, default the bundled one) and its KB once, when the pipe is added."""
    return JointelComponent(load(model, kb, nil_threshold), top_k, batch_size)


class JointelComponent:
    def __init__(self, annotator: Annotator, top_k: int = 0, batch_size: int = 64):
        self.annotator = annotator
        self.top_k = top_k
        self.batch_size = batch_size
        for extension in EXTENSIONS:
            if not Span.has_extension(extension):
                Span.set_extension(extension, default=None)

    def __call__(self, doc: Doc) -> Doc:
        return _set_entities(doc, self.annotator.annotate(doc.text, top_k=self.top_k))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            texts = [doc.text for doc in batch]
            annotated = self.annotator.annotate_many(texts, batch_size=len(batch), top_k=self.top_k)
            for doc, mentions in zip(batch, annotated, strict=True):
                yield _set_entities(doc, mentions)


def _set_entities(doc: Doc, mentions: list[Mention]) -> Doc:
    """Write the mentions into `doc.ents` (replacing any), snapped outward to spaCy's token edges."""
    spans = []
    for mention in mentions:
        span = doc.char_span(
            mention.start, mention.end, label=mention.label, kb_id=mention.entity or NIL, alignment_mode="expand"
        )
        if span is None:
            continue
        span._.jointel_ner_score = mention.ner_score
        span._.jointel_el_score = mention.el_score
        span._.jointel_url = mention.url
        span._.jointel_candidates = mention.candidates
        spans.append(span)
    doc.ents = filter_spans(spans)
    return doc

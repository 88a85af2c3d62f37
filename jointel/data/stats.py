"""Counts that describe the corpus, compared with PROVENANCE.md by `jointel data stats` and the tests."""

from __future__ import annotations

from collections import Counter

from jointel.data.corpus import Corpus
from jointel.data.documents import LABELS, SPLITS


def corpus_statistics(corpus: Corpus) -> dict[str, dict[str, int]]:
    """Per split: documents, sentences, tokens, entities per type, AIDA mentions (linked/NIL) and alignment."""
    statistics = {}
    for split in SPLITS:
        documents = corpus[split]
        spans = [span for document in documents for sentence in document.sentences for span in sentence.spans]
        labels = Counter(span.label for span in spans)
        report = corpus.reports[split]
        statistics[split] = {
            "documents": len(documents),
            "sentences": sum(len(document.sentences) for document in documents),
            "tokens": sum(document.n_tokens for document in documents),
            **{label: labels[label] for label in LABELS},
            "entities": len(spans),
            "aida_mentions": report.aida_mentions,
            "aida_linked": report.aida_linked,
            "aida_nil": report.aida_nil,
            "conll_entities_beyond_aida": len(spans) - report.aida_mentions,
            "aida_mentions_split_by_sentence_break": report.aida_mentions_split_by_sentence_break,
            "linked_spans": sum(span.entity is not None for span in spans),
            "nil_spans": sum(span.is_nil for span in spans),
            "unannotated_spans": sum(not span.is_annotated for span in spans),
            "token_mismatches": report.token_mismatches,
        }
    return statistics

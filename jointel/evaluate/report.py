"""All scores of a corpus in one object (NER, end-to-end EL, ED, NIL), with a JSON-ready dictionary view.

What the scripts make of these dictionaries (headline figures, paired deltas, shared NER-only runs) is their own
bookkeeping: scripts/bookkeeping.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointel.data.documents import Document
from jointel.evaluate.el import EDScores, ELScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.ner import NERScores, ner_scores_documents
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF


@dataclass(frozen=True)
class CorpusScores:
    """Every score of one prediction run; `ed` is meaningful only when predictions were made on gold mentions."""

    ner: NERScores
    el: ELScores
    ed: EDScores
    nil: PRF

    def to_dict(self) -> dict:
        """Counts and scores (in [0, 1]) as nested plain dictionaries, for `json.dump`."""
        return {
            "ner": {
                "micro": _prf_dict(self.ner.micro),
                "per_type": {label: _prf_dict(prf) for label, prf in self.ner.per_type.items()},
            },
            "el": el_dict(self.el),
            "ed": {"correct": self.ed.correct, "total": self.ed.total, "accuracy": self.ed.accuracy},
            "nil": _prf_dict(self.nil),
        }


def score_corpus(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> CorpusScores:
    """Score predicted documents against parallel gold documents; raises ValueError if they are not parallel."""
    check_parallel(gold_docs, pred_docs)
    return CorpusScores(
        ner=ner_scores_documents(gold_docs, pred_docs),
        el=el_scores(gold_docs, pred_docs),
        ed=ed_accuracy(gold_docs, pred_docs),
        nil=nil_scores(gold_docs, pred_docs),
    )


def el_dict(el: ELScores) -> dict:
    return {
        "micro": _prf_dict(el.micro),
        "macro": {"precision": el.macro_precision, "recall": el.macro_recall, "f1": el.macro_f1},
        "n_documents": el.n_documents,
    }


def _prf_dict(prf: PRF) -> dict[str, float]:
    return {"tp": prf.tp, "fp": prf.fp, "fn": prf.fn, "precision": prf.precision, "recall": prf.recall, "f1": prf.f1}

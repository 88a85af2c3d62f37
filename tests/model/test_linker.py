import dataclasses

import numpy as np
import pytest
import torch

from jointel.model.batch import collate_candidates
from jointel.model.candidate_features import N_CANDIDATE_FEATURES, CandidateSet
from jointel.model.linker import Linker
from jointel.model.vocab import Vocab


def _candidate_set(entities, document):
    n = len(entities)
    return CandidateSet(
        tuple(entities), np.zeros((n, N_CANDIDATE_FEATURES), np.float32), np.zeros(n, np.int64), 0, document
    )


def test_topic_score_prefers_the_title_about_what_the_document_is_about(tiny_config):
    """One-hot word vectors and an identity projection: the score is the overlap of document and title words."""
    words = Vocab.build(["england", "national", "cricket", "football", "team", "innings", "wicket"])
    entities = Vocab.build(["England_national_cricket_team", "England_national_football_team"])
    embedding = torch.nn.Embedding(len(words), len(words), padding_idx=0)
    with torch.no_grad():
        embedding.weight.copy_(torch.eye(len(words)))
    config = dataclasses.replace(tiny_config, document_topic=True)
    linker = Linker(config, len(entities), embedding, config.hidden)
    with torch.no_grad():
        linker.topic.weight.copy_(torch.eye(len(words)))
    cricket = tuple(words.index(word) for word in ("cricket", "innings", "wicket"))
    football = (words.index("football"),)
    sets = [
        _candidate_set(entities.items[2:], cricket),
        _candidate_set(entities.items[2:], cricket),  # same document: its words are stored once
        _candidate_set(entities.items[2:], football),
    ]
    assert collate_candidates(sets, words, entities).documents.shape == (1, 1)  # no topic inputs unless asked
    candidates = collate_candidates(sets, words, entities, topic=True)
    assert candidates.documents.shape[0] == 2
    assert candidates.document_of.tolist() == [0, 0, 1]
    scores = linker.topic_scores(candidates).detach()
    assert scores[0, 0] > scores[0, 1]  # a cricket story: the cricket team
    assert scores[2, 1] > scores[2, 0]  # a football story: the football team
    # mean of 3 one-hot document words against the mean of the title's 4 words, one shared: (1/3)(1/4)
    assert float(scores[0, 0]) == pytest.approx(1 / 12)


@pytest.mark.parametrize("nil_from_mention", [True, False])
def test_nil_is_scored_from_the_mention_or_from_its_label_alone(tiny_config, nil_from_mention):
    """Two mentions of one label get one NIL score when NIL does not read the mention (a name new to the model is
    not evidence of NIL), and different ones when it does; another label, another score."""
    words = Vocab.build(["paris"])
    entities = Vocab.build(["Paris"])
    config = dataclasses.replace(tiny_config, nil_from_mention=nil_from_mention)
    linker = Linker(config, len(entities), torch.nn.Embedding(len(words), 4, padding_idx=0), config.hidden).eval()
    candidates = collate_candidates([_candidate_set(["Paris"], ())] * 3, words, entities)
    states, items = torch.randn(3, config.hidden), torch.randn(3, config.hidden)
    nil = linker(states, items, torch.tensor([1, 1, 2]), candidates)[:, -1].detach()
    assert (nil[0] == nil[1]) == (not nil_from_mention)
    assert nil[0] != nil[2]


def test_a_model_remembers_title_word_ids_between_linking_calls(tiny_config):
    """The memo gives the ids `title_word_ids` gives, padded, and the second call reads them from it."""
    from jointel.model.batch import MAX_TITLE_WORDS
    from jointel.model.joint import JointModel

    words = Vocab.build(["paris", "hilton", "saint", "germain"])
    entities = Vocab.build(["Paris", "Paris_Hilton", "Paris_Saint-Germain_F.C."])
    model = JointModel(tiny_config, {"words": words, "chars": Vocab(), "entities": entities})
    sets = [_candidate_set(entities.items[2:], ()), _candidate_set(["Paris_Hilton"], ())]
    first, second = model.collate_candidates(sets), model.collate_candidates(sets)
    hilton = [words.index("paris"), words.index("hilton")] + [0] * (MAX_TITLE_WORDS - 2)
    assert first.title[first.slot[1, 0]].tolist() == hilton
    assert torch.equal(first.title, second.title)
    assert torch.equal(first.title, collate_candidates(sets, words, entities).title)
    assert model.title_ids.cache_info().hits == 3  # the second call's three distinct entities

import torch

from jointel.model.inputs import gold_features
from jointel.model.joint import JointModel
from jointel.model.stack_lstm import legal_mask, reverse_padded
from jointel.model.tokens import TokenIds


def test_decoder_forced_on_gold_reproduces_teacher_forced_states(tiny_config, tiny_vocabs, tiny_documents):
    """The batched teacher-forced computation and the step-by-step decoder are the same network."""
    model = JointModel(tiny_config, tiny_vocabs).eval()
    features = gold_features(tiny_documents, TokenIds(tiny_vocabs["words"], tiny_vocabs["chars"]), None)
    batch = model.batch(features, with_candidates=False)
    with torch.no_grad():
        tokens = model.encoder(batch)
        teacher_forced, _ = model.parser.teacher_forced(tokens, batch)
        decoded = model.parser.decode(tokens, batch.lengths, forced=batch.actions)
    valid = batch.actions != -100
    assert decoded.step_states.shape == teacher_forced.shape
    assert torch.allclose(decoded.step_states[valid], teacher_forced[valid], atol=1e-5)
    # Forced on gold, the decoder rebuilds the gold spans.
    gold = [[(s.start, s.end, s.label) for s in sentence.spans] for d in tiny_documents for sentence in d.sentences]
    assert [[(s.start, s.end, s.label) for s in spans] for spans in decoded.spans] == gold


def test_reverse_padded_reverses_within_length():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]]).unsqueeze(-1)
    assert reverse_padded(x, torch.tensor([3, 2])).squeeze(-1).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


def test_legal_mask_follows_the_transition_rules():
    # columns: SHIFT, OUT, REDUCE ×4
    mask = legal_mask(torch.tensor([0, 2, 1]), torch.tensor([3, 1, 0]))
    assert mask.tolist() == [
        [True, True, False, False, False, False],
        [True, False, True, True, True, True],
        [False, False, True, True, True, True],
    ]

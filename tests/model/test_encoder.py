import torch

from jointel.model.encoder import CharEncoder, LayerMix


def test_char_encoder_reads_each_spelling_once_as_if_alone():
    encoder = CharEncoder(n_chars=10, char_dim=4, hidden=3).eval()
    spellings = torch.tensor([[0, 0, 0], [1, 2, 3], [4, 5, 0], [6, 0, 0]])  # (U=4, L=3), row 0 = no token
    spelling_of = torch.tensor([[1, 2, 1], [2, 0, 3]])  # (B=2, T=3)
    with torch.no_grad():
        batched = encoder(spellings, spelling_of)
        alone = [encoder(spellings[u : u + 1], torch.zeros(1, 1, dtype=torch.long))[0, 0] for u in range(4)]
    assert batched.shape == (2, 3, 6)
    for b in range(2):
        for t in range(3):
            assert torch.allclose(batched[b, t], alone[int(spelling_of[b, t])], atol=1e-6)
    assert torch.equal(batched[0, 0], batched[0, 2])  # same spelling, same vector


def test_layer_mix_starts_as_the_mean_and_learns_to_pick_a_layer():
    mix = LayerMix(3)
    stacked = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 12)  # 2 tokens, 3 layers of width 4
    layers = stacked.reshape(2, 3, 4)
    assert torch.allclose(mix(stacked), layers.mean(dim=1))
    with torch.no_grad():
        mix.weights.copy_(torch.tensor([0.0, 50.0, 0.0]))
        mix.scale.fill_(2.0)
    assert torch.allclose(mix(stacked), 2 * layers[:, 1])

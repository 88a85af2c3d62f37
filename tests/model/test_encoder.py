import torch

from jointel.model.encoder import CharEncoder


def test_char_encoder_shares_repeated_spellings_without_changing_results():
    encoder = CharEncoder(n_chars=10, char_dim=4, hidden=3).eval()
    chars = torch.tensor([[[1, 2, 3], [4, 5, 0], [1, 2, 3]], [[4, 5, 0], [0, 0, 0], [6, 0, 0]]])  # (B=2, T=3, L=3)
    with torch.no_grad():
        batched = encoder(chars)
        one_by_one = torch.stack([torch.stack([encoder(token.view(1, 1, -1))[0, 0] for token in row]) for row in chars])
    assert batched.shape == (2, 3, 6)
    assert torch.allclose(batched, one_by_one, atol=1e-6)
    assert torch.equal(batched[0, 0], batched[0, 2])  # same spelling, same vector

"""Float32 matrix products of the shapes the fast model multiplies, through torch (its bundled BLAS) and through
numpy (its own BLAS), one thread each: how far the network's arithmetic is from what this CPU's cores do.

Shapes (rows × inputs × outputs): the decoder's parser state for a lone document and for a wide batch, an LSTM's
gates for an encoder batch, and the encoder's input projection of a whole batch of tokens. Median of `--repeat`
rounds of many products each, after a warm-up; GFLOP/s = 2 · rows · inputs · outputs per product.

    .venv/bin/python benchmarks/gemm.py [--repeat 5] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from common import header, load_average, parser, publish, thread_limit

SHAPES = {  # rows, inputs, outputs
    "parser state p_t, a lone document (16 rows)": (16, 300, 100),
    "parser state p_t, a wide decoding step (1,000 rows)": (1000, 300, 100),
    "LSTM gates h·W_hh, an encoder batch (256 rows)": (256, 100, 400),
    "LSTM input gates x·W_ih, a batch of tokens (5,000 rows)": (5000, 200, 400),
}
WORK = 2e8  # floating-point operations per round, whatever the shape


def seconds_per_product(product: Callable[[], object], count: int, repeat: int) -> float:
    for _ in range(max(1, count // 10)):
        product()
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(count):
            product()
        rounds.append((time.perf_counter() - start) / count)
    return statistics.median(rounds)


def main() -> None:
    args = parser(__doc__, repeat=5).parse_args()
    load_at_start = load_average()
    generator = torch.Generator().manual_seed(0)
    rows = []
    with thread_limit(1), torch.inference_mode():
        for name, (m, k, n) in SHAPES.items():
            x, w = torch.randn(m, k, generator=generator), torch.randn(k, n, generator=generator)
            x_np, w_np = x.numpy(), w.numpy()
            flops = 2 * m * k * n
            count = max(10, int(WORK / flops))
            torch_rate = flops / seconds_per_product(lambda x=x, w=w: torch.mm(x, w), count, args.repeat) / 1e9
            numpy_rate = flops / seconds_per_product(lambda a=x_np, b=w_np: a @ b, count, args.repeat) / 1e9
            rows.append(f"| {name} | {m} × {k} × {n} | {torch_rate:.0f} | {numpy_rate:.0f} |")
    lines = [
        "## Matrix products: torch's BLAS beside numpy's, one thread",
        "",
        header("1", load_at_start),
        f"torch {torch.__version__} ({'MKL' if torch.backends.mkl.is_available() else 'no MKL'}), numpy "
        f"{np.__version__}; `torch.mm` and numpy's `@` on the same float32 matrices, median of {args.repeat} rounds.",
        "",
        "| product | shape | torch GFLOP/s | numpy GFLOP/s |",
        "|---|---|---|---|",
        *rows,
    ]
    publish(args.out, "gemm", lines)


if __name__ == "__main__":
    main()

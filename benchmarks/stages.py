"""Where the time of annotating AIDA testb goes: each stage of `annotate_many`, and the arithmetic rate of the
encoder's LSTMs, which tells compute from overhead.

Stages are timed by wrapping the network's methods that do them (the token encoder, the greedy decoder, the linker);
the rest is Python: tokenising, token features, candidate sets and their document context, building mentions. Over
the whole of testb as raw text at one torch thread, median of `--repeat` rounds after a warm-up. Each `nn.LSTM` of
the network is timed too, with the floating-point operations its inputs call for (2 · tokens · 4H · (inputs + H) per
direction): an LSTM near the core's rate is compute-bound, and only a smaller network or cheaper arithmetic makes it
faster.

    .venv/bin/python benchmarks/stages.py [--model default] [--repeat 3] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import NamedTuple

from common import header, load_average, parser, publish, raw_text, split_documents, thread_limit
from torch import nn

import jointel
from jointel.annotate import Annotator
from jointel.model import JointModel

STAGES = {  # stage → the method of the network that does it
    "token encoder (`JointModel.encode`)": "encode",
    "greedy decoder (`JointModel.decode`)": "decode",
    "linker (`JointModel.link`)": "link",
}


@contextmanager
def timed(name: str, key: str, seconds: Counter) -> Iterator[None]:
    """`JointModel.name` adds its time to `seconds[key]` while the block runs."""
    original = getattr(JointModel, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        result = original(*args, **kwargs)
        seconds[key] += time.perf_counter() - start
        return result

    setattr(JointModel, name, wrapper)
    try:
        yield
    finally:
        setattr(JointModel, name, original)


@contextmanager
def timed_lstms(model: nn.Module, seconds: Counter, flops: Counter) -> Iterator[None]:
    """Every `nn.LSTM` of `model` adds its time and its floating-point operations under its name."""
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, nn.LSTM):
            hooks.append(module.register_forward_pre_hook(_started(name, seconds)))
            hooks.append(module.register_forward_hook(_finished(name, module, seconds, flops)))
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def _started(name: str, seconds: Counter) -> Callable:
    def hook(module: nn.Module, inputs: tuple) -> None:
        seconds[name] -= time.perf_counter()

    return hook


def _finished(name: str, lstm: nn.LSTM, seconds: Counter, flops: Counter) -> Callable:
    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        seconds[name] += time.perf_counter()
        x = inputs[0]
        rows = x.data.shape[0] if isinstance(x, nn.utils.rnn.PackedSequence) else x.shape[0] * x.shape[1]
        directions = 2 if lstm.bidirectional else 1
        flops[name] += 2 * rows * 4 * lstm.hidden_size * (lstm.input_size + lstm.hidden_size) * directions

    return hook


class Round(NamedTuple):
    """One pass over the texts: total seconds, seconds per stage, seconds and floating-point operations per LSTM."""

    total: float
    stages: Counter
    lstm_seconds: Counter
    lstm_flops: Counter


def one_round(annotator: Annotator, texts: list[str]) -> Round:
    stages, lstm_seconds, lstm_flops = Counter(), Counter(), Counter()
    with ExitStack() as stack:
        for key, name in STAGES.items():
            stack.enter_context(timed(name, key, stages))
        stack.enter_context(timed_lstms(annotator.model, lstm_seconds, lstm_flops))
        start = time.perf_counter()
        for _ in annotator.annotate_many(texts):
            pass
        total = time.perf_counter() - start
    return Round(total, stages, lstm_seconds, lstm_flops)


def main() -> None:
    arguments = parser(__doc__, repeat=3)
    arguments.add_argument("--model", default=None, help="a bundled model's name or a model directory")
    args = arguments.parse_args()
    load_at_start = load_average()
    texts = [raw_text(document) for document in split_documents("testb", args.data_dir)]
    annotator = jointel.load(args.model)
    with thread_limit(1):
        one_round(annotator, texts[:20])  # warm-up: caches, allocator
        rounds = [one_round(annotator, texts) for _ in range(args.repeat)]
    totals = [one.total for one in rounds]
    median = statistics.median(totals)
    stage_rows = [(key, statistics.median(one.stages[key] for one in rounds)) for key in STAGES]
    rest = median - sum(value for _, value in stage_rows)
    lstm_rows = [  # every round does the same arithmetic: the first one's count stands for all
        (name, statistics.median(one.lstm_seconds[name] for one in rounds), work / 1e9)
        for name, work in rounds[0].lstm_flops.items()
    ]
    lines = [
        f"## Where the time goes: {args.model or 'default'} model, AIDA testb",
        "",
        header("1", load_at_start),
        f"All {len(texts)} testb documents as raw text through `annotate_many`: median of {args.repeat} rounds "
        f"{median:.2f} s (rounds {min(totals):.2f}–{max(totals):.2f} s). The LSTMs of the second table all run "
        "inside the token encoder's stage; the decoder steps its LSTMs with its own arithmetic, not timed apart.",
        "",
        "| stage | seconds | share |",
        "|---|---|---|",
        *[f"| {key} | {value:.2f} | {value / median:.0%} |" for key, value in stage_rows],
        f"| the rest (Python): tokens, features, candidate sets, mentions | {rest:.2f} | {rest / median:.0%} |",
        "",
        "| LSTM | seconds | GFLOP | GFLOP/s |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {spent:.2f} | {work:.1f} | {work / spent:.0f} |" for name, spent, work in lstm_rows]
    publish(args.out, "stages", lines)


if __name__ == "__main__":
    main()

"""MiniLM, the accurate model's encoder, in four runtimes side by side: torch float32 and dynamic int8, ONNX Runtime
float32 and dynamic int8 (issue 22: which one to ship).

Every runtime reads the same windows (`ContextualEncoder`'s plan for the first N AIDA testb documents: sentences
with their neighbours as context, batches of 16 sorted by length) and returns the read-out the model uses (the mean
of the last four hidden states of MiniLM cut to `--depth` layers). Reported: words/s (words read out, not pieces)
and how close each runtime's vectors stay to torch float32's (cosine per wordpiece, mean and minimum). The ONNX
graph is exported from the same cut model with eager attention, so that padding is masked as in torch, and
quantized with `onnxruntime.quantization.quantize_dynamic` (int8 weights). Needs the `bench` and `contextual`
extras.

    .venv/bin/python benchmarks/minilm_runtimes.py [--depth 3] [--documents 60] [--repeat 3] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from common import header, load_average, noisy_rows, parser, publish, split_documents, time_rounds

from jointel.model import LAST_LAYERS, ContextualEncoder, load_minilm, minilm_directory

Batch = tuple[np.ndarray, np.ndarray]  # (ids, attention mask), int64, padded
TORCH_INT8 = "torch dynamic int8"


def batches(encoder: ContextualEncoder, documents: Sequence[Sequence[Sequence[str]]]) -> tuple[list[Batch], int]:
    """The padded batches of windows the encoder would run over `documents`, and the number of words read out."""
    windows = sorted((w for document in documents for w in encoder.windows(document)), key=lambda w: len(w.pieces))
    size = encoder.batch_size
    result = [encoder.padded(windows[first : first + size]) for first in range(0, len(windows), size)]
    return result, sum(len(sentence) for document in documents for sentence in document)


class ReadOut(torch.nn.Module):
    """MiniLM's read-out as one output, so that ONNX Runtime computes what torch does."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states = self.model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        return torch.stack(states[-LAST_LAYERS:]).mean(dim=0)


def torch_runner(model: torch.nn.Module, data: Sequence[Batch]) -> Callable[[], list[np.ndarray]]:
    def run() -> list[np.ndarray]:
        read_out = ReadOut(model)
        with torch.inference_mode():
            return [read_out(torch.from_numpy(ids), torch.from_numpy(mask)).numpy().copy() for ids, mask in data]

    return run


def onnx_runners(depth: int, directory: Path, data: Sequence[Batch]) -> dict[str, Callable[[], list[np.ndarray]]]:
    """ONNX Runtime float32 and int8 sessions (one thread each) of MiniLM cut to `depth` layers."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    model = AutoModel.from_pretrained(minilm_directory(), local_files_only=True, attn_implementation="eager").eval()
    model.encoder.layer = model.encoder.layer[:depth]
    model.config.num_hidden_layers = depth
    ids = torch.randint(1000, 5000, (3, 37))
    mask = torch.ones_like(ids)
    mask[1, 20:] = 0  # padding in the example, so that the exported graph masks it
    float32, int8 = directory / "minilm.onnx", directory / "minilm-int8.onnx"
    axes = {0: "batch", 1: "pieces"}
    torch.onnx.export(
        ReadOut(model),
        (ids, mask),
        float32,
        input_names=["ids", "mask"],
        output_names=["vectors"],
        dynamic_axes={"ids": axes, "mask": axes, "vectors": axes},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(float32, int8, weight_type=QuantType.QInt8)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1

    def runner(path: Path) -> Callable[[], list[np.ndarray]]:
        session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return lambda: [session.run(None, {"ids": ids, "mask": mask})[0] for ids, mask in data]

    return {"ONNX Runtime float32": runner(float32), "ONNX Runtime dynamic int8": runner(int8)}


def closeness(reference: Sequence[np.ndarray], vectors: Sequence[np.ndarray], data: Sequence[Batch]) -> np.ndarray:
    """Cosine of each real (unpadded) wordpiece's vector with the reference's."""
    cosines = []
    for expected, found, (_, mask) in zip(reference, vectors, data, strict=True):
        a, b = expected[mask.astype(bool)], found[mask.astype(bool)]
        cosines.append((a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1))
    return np.concatenate(cosines)


def main() -> None:
    arguments = parser(__doc__, repeat=3)
    arguments.add_argument("--depth", type=int, default=3, help="MiniLM layers kept (1-6)")
    arguments.add_argument("--documents", type=int, default=60, help="first N testb documents")
    arguments.add_argument("--section", default="minilm-runtimes")
    args = arguments.parse_args()
    load_at_start = load_average()
    torch.set_num_threads(1)
    documents = [[s.tokens for s in d.sentences] for d in split_documents("testb", args.data_dir)[: args.documents]]
    encoder = ContextualEncoder(depth=args.depth)
    data, words = batches(encoder, documents)
    runs = {"torch float32": torch_runner(load_minilm(args.depth, False)[1], data)}
    runs[TORCH_INT8] = torch_runner(load_minilm(args.depth, True)[1], data)
    with tempfile.TemporaryDirectory() as directory:
        runs.update(onnx_runners(args.depth, Path(directory), data))
        timings = time_rounds(runs, args.repeat)
        outputs = {name: run() for name, run in runs.items()}
    reference = outputs["torch float32"]
    lines = [
        "## MiniLM runtimes: torch and ONNX Runtime, float32 and int8",
        "",
        header("1 (torch and ONNX Runtime)", load_at_start),
        f"MiniLM cut to {args.depth} layers; the first {args.documents} AIDA testb documents: {words:,} words, "
        f"{sum(ids.shape[0] for ids, _ in data)} windows of at most {encoder.max_wordpieces} pieces, "
        f"{int(sum(mask.sum() for _, mask in data)):,} real pieces. Median of {args.repeat} rounds after a warm-up.",
        "",
        "| runtime | seconds | words/s | cosine to torch float32: mean | min |",
        "|---|---|---|---|---|",
    ]
    for name, timing in timings.items():
        cosine = closeness(reference, outputs[name], data)
        lines.append(f"| {name} | {timing} | {words / timing.median:,.0f} | {cosine.mean():.4f} | {cosine.min():.4f} |")
    lines += ["", *noisy_rows(timings)]
    publish(args.out, args.section, lines)


if __name__ == "__main__":
    main()

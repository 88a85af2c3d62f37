"""Ship a trained model as a compact bundle: pruned word vocabulary, half-precision weights (word vectors in 8 bits),
realistic KB slice.

    .venv/bin/python scripts/bundle.py runs/reproduce/joint-seed1/model jointel/models/default [--words 100000]
    .venv/bin/python scripts/bundle.py runs/accurate/model jointel/models/accurate --share-kb jointel/models/default

Kept words: every training word (of train, and of testa for a model trained on it too) plus the `--words` most
frequent GloVe words; the others map to UNK, so accuracy must be measured on the bundle itself (`jointel evaluate
--model BUNDLE --kb BUNDLE/kb.sqlite`). With `--share-kb DIR`, the bundle's kb.sqlite is a relative link to DIR's,
which must be the same slice of the same KB: git stores the file once, and a wheel copies it into both. A model
trained on testa too cannot be calibrated on it: `--calibration-from RUN` takes the NIL threshold and bias of a run
of the same settings trained without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from jointel.cli import default_cache_dir, default_kb_path, resolve_data_dir
from jointel.data import Document, load_corpus, replaced_directory
from jointel.kb import slice_realistic
from jointel.model import (
    CLUSTERS_FILE,
    INT8,
    INT8_SCALE,
    JointModel,
    ModelConfig,
    Vocab,
    load_nil_bias,
    load_nil_threshold,
    quantized_rows,
    save_nil_threshold,
    save_vocabs,
)


def kept_words(model: JointModel, train_words: set[str], top: int) -> list[str]:
    """Vocabulary order is PAD, UNK, GloVe by frequency, then training words GloVe lacks."""
    words = model.vocabs["words"].items
    return words[:2] + [word for i, word in enumerate(words[2:]) if i < top or word in train_words]


def trained_words(corpus: Mapping[str, Sequence[Document]], with_dev: bool) -> set[str]:
    """The lower-cased words of the splits a model trained on: train, and testa for one trained on it too."""
    splits = ("train", "testa") if with_dev else ("train",)
    return {
        token.lower()
        for split in splits
        for document in corpus[split]
        for sentence in document.sentences
        for token in sentence.tokens
    }


def bundle(
    model_dir: Path,
    out: Path,
    kb_path: Path,
    train_words: set[str],
    top: int,
    share_kb: Path | None = None,
    calibration: Path | None = None,
) -> None:
    """`calibration`: the model directory whose NIL threshold and bias the bundle takes instead of `model_dir`'s."""
    model = JointModel.load(model_dir)
    keep = kept_words(model, train_words, top)
    old = model.vocabs["words"]
    rows = torch.tensor([old.index(word) for word in keep], dtype=torch.long)
    state = model.state_dict()
    state["encoder.words.weight"] = state["encoder.words.weight"][rows]
    state["linker.words.weight"] = state["encoder.words.weight"]
    with replaced_directory(out) as temp:
        model.config.save(temp / "config.json")
        save_vocabs(temp / "vocabs.json", {**model.vocabs, "words": Vocab(keep)})
        words = ("encoder.words.weight", "linker.words.weight")  # one shared tensor, the largest: in 8 bits
        half = {
            name: value.half() if value.is_floating_point() else value
            for name, value in state.items()
            if name not in words
        }
        vectors, scales = quantized_rows(state["encoder.words.weight"])
        for name in words:
            half[name + INT8], half[name + INT8_SCALE] = vectors, scales
        torch.save(half, temp / "weights.pt")
        if model.clusters is not None:  # the word classes, in half precision too
            model.clusters.compact().save(temp / CLUSTERS_FILE)
        tuned = model.contextual.tuned if model.contextual is not None else None
        if tuned is not None:  # the tuned MiniLM layers the model reads (`minilm.pt`), already half precision
            shutil.copyfile(tuned, temp / tuned.name)
        if share_kb is None:
            slice_realistic(kb_path, temp / "kb.sqlite")
        else:
            (temp / "kb.sqlite").symlink_to(os.path.relpath(share_kb / "kb.sqlite", out.parent.resolve() / out.name))
        calibrated = calibration or model_dir
        threshold, bias = load_nil_threshold(calibrated), load_nil_bias(calibrated)
        if threshold is not None or bias:  # calibrated on the full-precision weights, kept as before
            save_nil_threshold(temp, threshold, bias)
    sizes = {path.name: path.stat().st_size / 1e6 for path in out.iterdir() if not path.is_symlink()}
    print(f"{out}: {sum(sizes.values()):.1f} MB " + ", ".join(f"{name} {mb:.1f}" for name, mb in sizes.items()))
    print(f"words kept: {len(keep):,} of {len(old):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--words", type=int, default=100_000, help="most frequent GloVe words kept (default: all)")
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--share-kb", type=Path, default=None, help="link kb.sqlite to this bundle's, not a copy")
    parser.add_argument(
        "--calibration-from",
        type=Path,
        default=None,
        help="take the NIL threshold and bias of this model (for one trained on the dev split too, which cannot be "
        "calibrated on it: a run of the same settings without it)",
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    with_dev = ModelConfig.load(args.model / "config.json", saved_model=True).train_with_dev
    train_words = trained_words(corpus, with_dev)
    bundle(
        args.model,
        args.out,
        args.kb or default_kb_path(),
        train_words,
        args.words,
        args.share_kb,
        args.calibration_from,
    )


if __name__ == "__main__":
    main()

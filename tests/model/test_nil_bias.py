"""The NIL bias: NIL's log-odds lowered after training, chosen on dev with the threshold (`calibrate_nil`)."""

import math

import pytest

import jointel
from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.calibrate import calibrate_nil
from jointel.model.config import ConfigError
from jointel.model.joint import JointModel, Prediction
from jointel.model.threshold import THRESHOLD_FILE, load_nil_bias, load_nil_threshold, save_nil_threshold


def nil_prediction(start, candidates, nil):
    return Prediction(Span(start, start + 1, "PER", None), 0.9, nil, candidates, nil)


def test_a_bias_renormalises_and_can_turn_nil_into_a_link():
    prediction = nil_prediction(0, (("A", 0.2), ("B", 0.1)), 0.7)
    biased = prediction.with_nil_bias(math.log(7))  # NIL 0.7 → 0.1 before renormalising over 0.4
    assert biased.span.entity == "A"
    assert biased.el_score == pytest.approx(0.5)
    assert [p for _, p in biased.candidates] == pytest.approx([0.5, 0.25])
    assert biased.nil_score == pytest.approx(0.25)


def test_no_bias_or_no_candidate_leaves_the_prediction_as_it_is():
    prediction = nil_prediction(0, (("A", 0.2),), 0.8)
    assert prediction.with_nil_bias(0.0) is prediction
    alone = nil_prediction(0, (), 1.0)
    assert alone.with_nil_bias(8.0) is alone


def test_calibration_chooses_the_smallest_bias_of_the_best_f1():
    gold = [Document("1 A", "testa", (Sentence(("Ann", "met", "Bob"), (Span(0, 1, "PER", "A"), Span(2, 3, "PER"))),))]
    # "Ann" (gold A): NIL 0.7 against A 0.3; "Bob" (gold NIL): NIL 0.9 against X 0.1.
    predictions = [[[nil_prediction(0, (("A", 0.3),), 0.7), nil_prediction(2, (("X", 0.1),), 0.9)]]]
    best, trials = calibrate_nil(gold, predictions, biases=(0.0, 1.0, 2.0, 8.0))
    bias, result = best.bias, best.calibration
    assert [trial.calibration.after.tp for trial in trials] == [0, 1, 1, 1]
    assert bias == 1.0  # 0: no link, F1 0; from 1 on "Ann" is linked to A (F1 1), and X on a gold NIL scores nothing
    assert (result.after.tp, result.after.fp, result.after.fn) == (1, 0, 0)


def test_the_threshold_file_keeps_the_bias(tiny_config, tiny_vocabs, tmp_path, tiny_model_dir):
    JointModel(tiny_config, tiny_vocabs).save(tmp_path / "model")
    assert load_nil_bias(tmp_path / "model") == 0.0  # uncalibrated, and every model calibrated before the bias
    save_nil_threshold(tmp_path / "model", 0.5, 3.0)
    assert (load_nil_threshold(tmp_path / "model"), load_nil_bias(tmp_path / "model")) == (0.5, 3.0)
    (tmp_path / "model" / THRESHOLD_FILE).write_text('{"nil_threshold": 0.5, "nil_bias": -1}')
    with pytest.raises(ConfigError, match="nil_bias"):
        load_nil_bias(tmp_path / "model")
    annotated = tmp_path / "annotated"
    annotated.mkdir()
    for name in ("vocabs.json", "weights.pt", "kb.sqlite", "config.json"):
        (annotated / name).write_bytes((tiny_model_dir / name).read_bytes())
    save_nil_threshold(annotated, 0.25, 2.0)
    with jointel.load(annotated) as annotator:
        assert (annotator.nil_threshold, annotator.nil_bias) == (0.25, 2.0)


def test_a_second_dev_set_can_outweigh_an_equal_f1():
    gold = [Document("1 A", "testa", (Sentence(("Ann", "met", "Bob"), (Span(0, 1, "PER", "A"), Span(2, 3, "PER"))),))]
    predictions = [[[nil_prediction(0, (("A", 0.3),), 0.7), nil_prediction(2, (("X", 0.1),), 0.9)]]]
    seen = []

    def modern_sentences(bias, threshold):
        seen.append(bias)
        return 0.5 if bias == 8.0 else 0.25

    best, trials = calibrate_nil(gold, predictions, biases=(0.0, 1.0, 2.0, 8.0), also=modern_sentences)
    bias, result = best.bias, best.calibration
    assert bias == 8.0 and seen == [0.0, 1.0, 2.0, 8.0] and [trial.also for trial in trials] == [0.25] * 3 + [0.5]
    assert (result.after.tp, result.after.fp, result.after.fn) == (1, 0, 0)  # the F1 is the best one still

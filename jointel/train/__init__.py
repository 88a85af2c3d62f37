"""Training: epochs, dev evaluation, early stopping, checkpoints and resume (`train_model`)."""

from jointel.train.loop import EpochResult, is_finished, train_model
from jointel.train.minilm import TuneConfig, tune_minilm

__all__ = ["EpochResult", "TuneConfig", "is_finished", "train_model", "tune_minilm"]

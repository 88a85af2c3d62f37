"""Training: epochs, dev evaluation, early stopping, checkpoints and resume (`train_model`)."""

from jointel.train.loop import EpochResult, is_finished, train_model

__all__ = ["EpochResult", "is_finished", "train_model"]

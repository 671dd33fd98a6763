"""One observer adapter shared by the recipes that call ``models.train`` once per epoch."""
from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["Relabelled"]


class Relabelled:
    """Forwards one run's per-epoch ``train`` calls to an observer as one run of ``epochs`` epochs.

    A recipe that augments afresh each epoch (or scores between epochs) calls
    ``models.train`` for one epoch at a time; the page's progress bar and live
    curves should still see one run of ``epochs`` epochs, named ``label`` if given.
    """

    def __init__(self, observer: Any, epochs: int, label: str | None = None):
        self.observer, self.epochs, self.label, self.started = observer, epochs, label, False

    def on_train_begin(self, info):
        if not self.started and hasattr(self.observer, "on_train_begin"):
            self.started = True
            extra = {"epochs": self.epochs} if self.label is None else {"epochs": self.epochs, "run": self.label}
            return self.observer.on_train_begin({**info, **extra})
        return None

    def on_batch_end(self, progress):
        if hasattr(self.observer, "on_batch_end"):
            return self.observer.on_batch_end(dataclasses.replace(progress, epochs=self.epochs))
        return None

    def on_epoch_end(self, progress, model):
        if hasattr(self.observer, "on_epoch_end"):
            return self.observer.on_epoch_end(dataclasses.replace(progress, epochs=self.epochs), model)
        return None

    def end(self, history):
        if hasattr(self.observer, "on_train_end"):
            self.observer.on_train_end(history)

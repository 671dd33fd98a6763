"""Every convolutional model a page can train really trains, in a child process (a native crash fails here).

The loss-landscape page's ResNet used to kill the Streamlit server on AVX-512 CPUs
(oneDNN's strided 1×1 weight gradient; models/onednn.py). Split from the dense
pages' file so the two halves run on both cores.
"""
import pytest

from models.page_models import page_trainings
from _page_smoke import train_pages_in_subprocess

PAGES = ["loss_landscape", "residual", "cnn", "saliency", "receptive_fields", "pooling", "trust", "shortcut", "volumes"]


@pytest.mark.slow
def test_every_convolutional_page_configuration_trains_two_epochs_without_a_native_crash():
    expected = sum(t.page in PAGES for t in page_trainings())
    train_pages_in_subprocess(PAGES, expected)

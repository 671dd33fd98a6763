"""The other pages' models (attention, playground, neuron, train-any, segmentation) train in a child process too."""
import pytest

from models.page_models import page_trainings
from _page_smoke import train_pages_in_subprocess
from test_page_trainings_convolutional import PAGES as CONV_PAGES


def test_the_two_smoke_files_cover_every_page_that_trains():
    assert set(CONV_PAGES) | set(OTHER_PAGES) == {t.page for t in page_trainings()}


OTHER_PAGES = ["attention", "mlp_playground", "neuron", "train_any", "segmentation", "detection"]


@pytest.mark.slow
def test_every_other_page_configuration_trains_two_epochs_without_a_native_crash():
    expected = sum(t.page in OTHER_PAGES for t in page_trainings())
    train_pages_in_subprocess(OTHER_PAGES, expected)


def test_every_page_model_starts_from_the_same_weights_in_every_session():
    import keras
    import numpy as np

    for t in page_trainings():
        keras.utils.set_random_seed(1)  # the global generators must not matter: the builders take seed=
        first = t.build().get_weights()
        keras.utils.set_random_seed(2)
        again = t.build().get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(first, again)), f"{t.page} | {t.label}"

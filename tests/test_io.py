"""Loading models is safe: Lambda layers and non-model files are refused clearly."""
import keras
import numpy as np
import pytest

import models


def test_round_trip_of_a_course_model_with_custom_layers(tmp_path):
    model = models.build_attention_classifier(20, 6, 3, d_model=8)
    path = models.save_model(model, tmp_path / "attn")
    assert path.suffix == ".keras"
    loaded = models.load_model(path)
    x = np.random.default_rng(0).integers(0, 20, (3, 6)).astype("int32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    inputs = keras.Input((2,))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ValueError, match="Lambda layer or other code"):
        models.load_model(path)


@pytest.mark.parametrize("content, suffix", [(b"", ".keras"), (b"not a zip at all", ".keras"), (b"x", ".h5")])
def test_non_model_files_are_refused_as_not_keras_archives(tmp_path, content, suffix):
    path = tmp_path / f"m{suffix}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a Keras 3"):
        models.load_model(path)


def test_a_missing_model_file_is_reported_as_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        models.load_model(tmp_path / "nope.keras")

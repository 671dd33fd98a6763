"""The lectures' questions: the answer stays hidden until the student has predicted."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

SCRIPT = '''
from app_pages.ui import predict_then_see
predict_then_see("t", "Does the threshold change performance?", ["Yes", "No"], 0, "See the ROC curve below.",
                 lecture="Lecture 003, question 2")
'''


@pytest.mark.parametrize("pick, shown, text", [
    (None, "caption", "Predict first"),
    ("Yes", "success", "Yes. See the ROC curve below."),
    ("No", "warning", 'Not quite: the answer is "Yes". See the ROC curve below.'),
])
def test_the_answer_and_why_appear_only_after_a_prediction(pick, shown, text):
    at = AppTest.from_string(SCRIPT).run()
    assert not at.success and not at.warning  # nothing revealed before a pick
    if pick is not None:
        at.radio[0].set_value(pick).run()
    assert not at.exception
    assert [e.value for e in getattr(at, shown)][-1].startswith(text)


def test_an_answer_outside_the_options_is_refused():
    from app_pages.ui import predict_then_see

    with pytest.raises(ValueError, match="answer must index options"):
        predict_then_see("x", "q", ["a", "b"], 2, "why")

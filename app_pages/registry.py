"""The app's pages, grouped as in the course. The home page lists them too.

Each entry: (section, file in app_pages/, title, icon, url path, what it teaches).
"""
from __future__ import annotations

from typing import NamedTuple


class PageInfo(NamedTuple):
    section: str
    file: str
    title: str
    icon: str
    url_path: str
    teaches: str


SECTIONS = ("Basics", "Convolutions", "Optimisation", "Segmentation", "Attention")

PAGES: list[PageInfo] = [
    PageInfo("Basics", "train_any.py", "Train a course model", ":material/model_training:", "train",
             "Train any of the course's models on its built-in data, live, and see which device trained it."),
    # --- Attention (issue 7)
    PageInfo("Attention", "attention.py", "Attention over words and patches", ":material/visibility:", "attention",
             "Query, keys, softmax weights and context vector of the lecture's note; a classifier's attention "
             "sharpening onto the symptom word, and onto the nodule among image patches, live."),
    PageInfo("Attention", "saliency.py", "Where did the model look?", ":material/center_focus_strong:", "saliency",
             "Grad-CAM and saliency maps over a lesion classifier's input: test images or your upload, and how "
             "often the heatmap's peak falls inside the nodule."),
    # --- end Attention
]

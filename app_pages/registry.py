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
    # --- Segmentation (issue 6)
    PageInfo("Segmentation", "segmentation.py", "U-Net segmentation", ":material/blur_on:", "segmentation",
             "Train a U-Net live; Dice against cross-entropy and the class-imbalance trap; the lecture's Dice "
             "table; transposed, upsampling and dilated convolutions; skip connections; feature maps."),
]

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
    # -- issue 5: loss landscapes and residual connections
    PageInfo("Optimisation", "loss_landscape.py", "Loss landscapes", ":material/landscape:", "loss_landscape",
             "The loss around trained weights in 1-D, 2-D and 3-D, and the optimiser's path across it."),
    PageInfo("Optimisation", "residual.py", "Residual connections", ":material/alt_route:", "residual",
             "Plain vs residual nets of the same depth: degradation, vanishing gradients, smoother landscapes."),
    # -- end issue 5
]

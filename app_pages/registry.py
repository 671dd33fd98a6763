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
    PageInfo("Basics", "neuron.py", "The sigmoid neuron", ":material/neurology:", "neuron",
             "The lecture's stroke neuron term by term, activation functions, and how the threshold moves "
             "the confusion matrix along the ROC curve."),
    PageInfo("Basics", "mlp_playground.py", "MLP playground", ":material/scatter_plot:", "playground",
             "Train a small network live on 2-D data: decision boundary, every hidden neuron, parameter counts, "
             "backpropagation by hand, universal approximation."),
    PageInfo("Basics", "gradient_descent.py", "Gradient descent", ":material/trending_down:", "gradient-descent",
             "Gradient descent from one weight to Adam: learning rates, optimizer paths on loss surfaces, "
             "full-batch vs mini-batch vs SGD."),
    PageInfo("Basics", "train_any.py", "Train a course model", ":material/model_training:", "train",
             "Train any of the course's models on its built-in data, live, and see which device trained it."),
]

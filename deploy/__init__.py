"""Serving medlens to a class: several app processes behind nginx (``python -m deploy.serve``)."""

__all__: list[str] = []

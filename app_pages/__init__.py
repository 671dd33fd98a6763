"""Streamlit pages of medlens; ``registry.PAGES`` lists them for the navigation."""

__all__: list[str] = []

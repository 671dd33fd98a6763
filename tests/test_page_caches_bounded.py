"""Every cached page function that takes arguments has a bound (``max_entries``).

A workshop server is one process for a whole class: an unbounded ``st.cache_data`` keyed by a slider
value, a typed sentence or an upload keeps one entry per distinct value any student ever tried, for
as long as the server runs. A function without arguments has one entry and needs no bound.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).resolve().parents[1] / "app_pages").glob("*.py"))


def _cached_functions(path: Path):
    """(name, has arguments, has max_entries) for each function decorated with st.cache_data / cache_resource."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            func = call.func if call else dec
            if isinstance(func, ast.Attribute) and func.attr in ("cache_data", "cache_resource"):
                a = node.args
                has_args = bool(a.posonlyargs or a.args or a.kwonlyargs or a.vararg or a.kwarg)
                bounded = bool(call and any(k.arg == "max_entries" for k in call.keywords))
                yield node.name, has_args, bounded


def test_the_scan_finds_cached_functions_with_and_without_arguments():
    found = [f for p in PAGES for f in _cached_functions(p)]
    assert any(has_args for _, has_args, _ in found) and any(not has_args for _, has_args, _ in found)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_cached_page_functions_with_arguments_are_bounded(path):
    unbounded = [name for name, has_args, bounded in _cached_functions(path) if has_args and not bounded]
    assert not unbounded, f"{path.name}: give these caches max_entries=: {unbounded}"

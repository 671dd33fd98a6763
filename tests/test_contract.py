"""The explainer contract, checked over every public name of ``explainers``.

``compute_<thing>`` returns a frozen dataclass; ``plot_<thing>(result, ax=None)``
returns an Axes and ``plot_<thing>(result, fig=None)`` a Figure; every name is
importable, documented, listed once; compute modules import no matplotlib or
streamlit; nothing seeds a global generator.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

import explainers

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = sorted(explainers.__all__)
COMPUTE = [n for n in PUBLIC if n.startswith("compute_")]
PLOTS = [n for n in PUBLIC if n.startswith("plot_")]
MODULES = sorted(p.stem for p in (ROOT / "explainers").glob("*.py") if not p.stem.startswith("_"))


def _return_type(fn):
    annotation = inspect.signature(fn).return_annotation
    assert annotation is not inspect.Signature.empty, f"{fn.__qualname__} has no return annotation"
    if isinstance(annotation, str):  # from __future__ import annotations
        annotation = eval(annotation, vars(importlib.import_module(fn.__module__)))  # noqa: S307
    return annotation


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_importable_and_documented(name):
    value = getattr(explainers, name)
    if callable(value):
        assert inspect.getdoc(value), f"explainers.{name} has no docstring"


@pytest.mark.parametrize("name", COMPUTE)
def test_every_compute_function_returns_a_frozen_dataclass(name):
    result_type = _return_type(getattr(explainers, name))
    assert dataclasses.is_dataclass(result_type), f"{name} returns {result_type!r}, not a dataclass"
    assert result_type.__dataclass_params__.frozen, f"{name} returns {result_type.__name__}, which is not frozen"
    assert inspect.getdoc(result_type), f"{result_type.__name__} has no docstring"
    assert "what this shows" in inspect.getdoc(getattr(explainers, name)).lower(), \
        f"{name}'s docstring does not say what it shows a learner"


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_takes_a_result_and_ax_or_fig_and_returns_axes_or_figure(name):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    fn = getattr(explainers, name)
    params = list(inspect.signature(fn).parameters.values())
    assert len(params) >= 2, f"{name} takes {params}"
    target = params[1]
    assert target.name in ("ax", "fig") and target.default is None, \
        f"{name}'s second parameter is {target}, not ax=None or fig=None"
    assert "axes" not in {p.name for p in params}, f"{name} still takes axes="
    returned = _return_type(fn)
    assert returned is (Axes if target.name == "ax" else Figure), f"{name} returns {returned!r}"
    first = params[0].annotation
    if isinstance(first, str):
        first = eval(first, vars(importlib.import_module(fn.__module__)))  # noqa: S307
    kinds = getattr(first, "__args__", (first,))
    assert all(dataclasses.is_dataclass(k) or k is type(None) for k in kinds), \
        f"{name} takes {first!r} first, not a result dataclass"


def test_the_lazy_table_matches_the_modules_all():
    for name, module in explainers._LAZY.items():
        assert name in importlib.import_module(module).__all__, f"{name} is not in {module}.__all__"


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_all_and_compute_modules_never_draw(module):
    tree = ast.parse((ROOT / "explainers" / f"{module}.py").read_text())
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    assert "__all__" in names, f"explainers/{module}.py has no __all__"
    if module.endswith("_plots"):
        return
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"matplotlib", "streamlit"}, f"explainers/{module}.py imports {imported & {'matplotlib', 'streamlit'}}"


@pytest.mark.parametrize("folder", ["app_pages", "explainers", "models"])
def test_no_page_explainer_or_model_seeds_a_global_generator(folder):
    offenders = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("set_random_seed", "seed"):
                base = ast.unparse(node.value)
                if node.attr == "set_random_seed" or base in ("np.random", "numpy.random", "random", "tf.random"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not offenders, "global seeding (pass seed= instead):\n" + "\n".join(offenders)


def test_no_page_imports_a_private_module():
    offenders = []
    for path in (ROOT / "app_pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for n in names:
                parts = n.split(".")
                if parts[0] in ("models", "explainers") and any(p.startswith("_") for p in parts[1:]):
                    offenders.append(f"{path.name}:{node.lineno} {n}")
    assert not offenders, offenders

"""Sphinx extension: warn when a public name of sklearn-paws is missing from the API reference.

Public names are the ``__all__`` lists of the documented modules (for modules without ``__all__``,
every name defined there without a leading underscore). A name counts as documented when
``api.rst`` lists it under ``autosummary`` or an ``auto*`` directive, by any import path of the same
object, so ``sklearn_paws.SICScorer`` is covered by ``sklearn_paws.metrics.SICScorer``. The build
runs with ``-W``, so a missing name fails it.
"""

import importlib
import inspect
import re
import types
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

# Modules whose public names the reference must cover.
DOCUMENTED_MODULES = (
    "sklearn_paws",
    "sklearn_paws.datasets",
    "sklearn_paws.metrics",
    "sklearn_paws.model_selection",
    "sklearn_paws.study",
    "sklearn_paws.exceptions",
    "sklearn_paws.plotting",
)

# Public names that are not API objects. Subpackages listed in __all__ are skipped by type.
IGNORED_NAMES = {"__version__"}

_DIRECTIVE = re.compile(r"^\s*\.\.\s+(auto\w+|currentmodule|module)::\s*(\S*)")
_ENTRY = re.compile(r"^\s+(~?[A-Za-z_][\w.]*)\s*$")


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", None) == module.__name__
            and (inspect.isclass(value) or inspect.isfunction(value))
        ]
    return [name for name in names if name not in IGNORED_NAMES]


def _resolve(full_name):
    parts = full_name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                value = getattr(value, attribute)
        except AttributeError:
            return None
        return value
    return None


def documented_names(text):
    """Return the full names listed in an rst page by autosummary and ``auto*`` directives.

    Parameters
    ----------
    text : str
        Content of the page.

    Returns
    -------
    names : set of str
        Full dotted names, resolved against the ``currentmodule`` in force at each entry.
    """
    names = set()
    current = ""
    in_autosummary = False
    for line in text.splitlines():
        match = _DIRECTIVE.match(line)
        if match:
            directive, target = match.groups()
            in_autosummary = directive == "autosummary"
            if directive in ("currentmodule", "module"):
                current = target
            elif directive not in ("autosummary", "automodule"):
                names.add(target if "." in target else f"{current}.{target}")
            continue
        if in_autosummary:
            if line.strip().startswith(":") or not line.strip():
                continue
            entry = _ENTRY.match(line)
            if entry is None:
                in_autosummary = False
                continue
            name = entry.group(1).lstrip("~")
            names.add(f"{current}.{name}" if current else name)
    return names


def check_coverage(app):
    """Warn about every public name that ``api.rst`` does not document."""
    api_page = Path(app.srcdir) / "api.rst"
    documented = {}
    for full_name in documented_names(api_page.read_text(encoding="utf-8")):
        value = _resolve(full_name)
        if value is None:
            logger.warning("api.rst lists %s, which cannot be imported", full_name,
                           location="api")
            continue
        documented[full_name] = value
    # Classes and functions count under any import path. Constants need their own entry, because
    # equal small ints and strings share one object (REFERENCE and BACKGROUND are both 0).
    documented_ids = {id(value) for value in documented.values() if callable(value)}

    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            value = getattr(module, name)
            if isinstance(value, types.ModuleType):
                continue
            if f"{module_name}.{name}" in documented:
                continue
            if callable(value) and id(value) in documented_ids:
                continue
            logger.warning("public name %s.%s is missing from the API reference; add it to "
                           "docs/api.rst", module_name, name, location="api")


def setup(app):
    app.connect("builder-inited", check_coverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

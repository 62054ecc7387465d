"""Sphinx configuration of the sklearn-paws documentation.

Build with ``bash scripts/docs.sh``, which runs
``sphinx-build -W --keep-going -b html docs docs/_build/html`` with ``SKLEARN_PAWS_DOCS_QUICK=1``
so that the gallery examples run on small samples.
"""

import re
import sys
from pathlib import Path

import sklearn_paws

DOCS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS_DIR / "_ext"))

project = "sklearn-paws"
author = "sklearn-paws developers"
copyright = "sklearn-paws developers"
release = sklearn_paws.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "api_coverage",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5"]

# -- API reference --------------------------------------------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"

# The estimators inherit get_params, set_params and the metadata-routing helpers from
# scikit-learn, whose docstrings link labels of the scikit-learn site. Those members are left out
# here; their documentation is scikit-learn's.
_EXTERNAL_BASES = ", ".join([
    "BaseEstimator", "ClassifierMixin", "TransformerMixin", "BaseCrossValidator", "Module",
    "_MetadataRequester", "_SetOutputMixin",
])
autodoc_default_options = {"inherited-members": _EXTERNAL_BASES}

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True


def _skip_routing_members(app, what, name, obj, skip, options):
    # scikit-learn adds set_<method>_request to every estimator class; see _EXTERNAL_BASES.
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


# In reStructuredText a word that ends in "_" is a link and "|word|" is a substitution, but in the
# docstrings of this package they are attribute names such as n_features_in_ and |p|, a
# momentum's magnitude. Both are escaped outside inline literals before numpydoc reads the text.
# NOTE: this hook can go once the docstrings write such names as ``literals``.
_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\\\w])([A-Za-z]\w*?)_(?![\w`*])")
_SUBSTITUTION = re.compile(r"(?<![\\\w|])\|(\w+)\|(?![\w|])")


def _escape_plain_text(text):
    parts = _LITERAL.split(text)
    for index in range(0, len(parts), 2):
        escaped = _TRAILING_UNDERSCORE.sub(r"\1\\_", parts[index])
        parts[index] = _SUBSTITUTION.sub(r"\\|\1\\|", escaped)
    return "".join(parts)


def _escape_docstring(app, what, name, obj, options, lines):
    lines[:] = [_escape_plain_text(line) for line in lines]


# -- MyST (design notes and other Markdown pages) -------------------------------------------------

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# The Markdown pages are written to be read on the repository's web view too, where a formula
# such as "mean_b[f/(1-f)](theta)" in design.md is not a link, but MyST reads it as a link to a
# missing target "theta".
# NOTE: drop this once design.md writes such formulas as inline code.
suppress_warnings = ["myst.xref_missing"]

# Markdown pages that other parts of the project own, linked into the user guide when present.
OPTIONAL_MARKDOWN_PAGES = ("simulation",)


def _drop_missing_pages(app, docname, source):
    # A toctree entry for a missing page is a warning, which -W turns into a failed build.
    for page in OPTIONAL_MARKDOWN_PAGES:
        if not (DOCS_DIR / f"{page}.md").exists():
            source[0] = re.sub(rf"^\s+{page}\s*\n", "", source[0], flags=re.MULTILINE)


# -- Example gallery ------------------------------------------------------------------------------

# The examples read SKLEARN_PAWS_DOCS_QUICK themselves; scripts/docs.sh sets it to 1.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "matplotlib_animations": False,
    # Show tables (DataFrames) left as the last expression of a cell, not the reprs of
    # matplotlib return values.
    "capture_repr": ("_repr_html_",),
    # Pages of the API reference list the examples that use each name.
    "doc_module": ("sklearn_paws",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
}

# -- HTML -----------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-paws {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


def setup(app):
    app.connect("autodoc-skip-member", _skip_routing_members)
    # Before numpydoc, which listens with the default priority 500.
    app.connect("autodoc-process-docstring", _escape_docstring, priority=400)
    app.connect("source-read", _drop_missing_pages)

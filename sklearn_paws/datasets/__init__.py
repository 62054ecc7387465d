"""Read, select, simulate and load LHC Olympics-style dijet events.

Readers turn the official LHC Olympics layouts (features or raw particles) and the PAWS parametric
signal layout into one table of PAWS features. The simulation makes new events in the same layout.
"""

import importlib

from ._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    LHCO_COLUMNS,
    MJJ_COLUMN,
    THETA_COLUMNS,
    THREE_PRONG,
    TWO_PRONG,
)

# Public name -> submodule that defines it. Imported on first use, because the simulation pulls in
# pythia8mc and fastjet.
_PUBLIC_NAMES = {
    "read_lhco_features": "._lhco",
    "read_paws_signal": "._lhco",
    "compute_paws_features": "._lhco",
    "select_signal_region": "._lhco",
    "LHCOFeatureTransformer": "._transformer",
    "cluster_jets": "._jets",
    "read_lhco_raw": "._raw",
    "convert_raw_to_features": "._raw",
    "DetectorEmulation": "._detector",
    "simulate_background": "._simulate",
    "simulate_signal": "._simulate",
    "load_default": "._default",
    "DefaultDataset": "._default",
    "generate_default_dataset": "._default",
    "assemble_default_dataset": "._default",
    "make_toy_background": "._toy",
    "make_toy_signal": "._toy",
    "make_toy_grid": "._toy",
    "ExactToyPrior": "._toy_prior",
    "ExactToyLogLikelihoodRatio": "._toy_prior",
    "toy_likelihood_ratio": "._toy",
}

__all__ = [
    "DECAY_MODE_COLUMN",
    "DECAY_MODES",
    "FEATURE_COLUMNS",
    "LABEL_COLUMN",
    "LHCO_COLUMNS",
    "MJJ_COLUMN",
    "THETA_COLUMNS",
    "THREE_PRONG",
    "TWO_PRONG",
    *_PUBLIC_NAMES,
]


def __getattr__(name):
    if name in _PUBLIC_NAMES:
        module = importlib.import_module(_PUBLIC_NAMES[name], __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__

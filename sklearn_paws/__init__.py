"""sklearn-paws: Prior-Assisted Weak Supervision for resonant anomaly detection.

The estimators follow the scikit-learn API, so they work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``. Public names are imported lazily, so that ``import sklearn_paws`` stays fast and
torch is loaded only when an estimator is first used.
"""

import importlib
import os

from ._version import __version__

# The same random_state must give the same networks. Intel MKL, which torch uses for matrix
# products on x86 CPUs, otherwise picks kernels by the memory alignment of each array, and on
# AVX-512 machines two identical fits then differ by about 1e-7. MKL reads this setting at its
# first call, so it has no effect when torch already ran a matrix product before this import.
# A value that the user set is kept.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

# Public name -> submodule that defines it.
_PUBLIC_NAMES = {
    "ParameterizedClassifier": "._prior",
    "SupervisedClassifier": "._baselines",
    "WeakSupervisionClassifier": "._baselines",
    "PAWSClassifier": "._paws",
    "WeakSupervisionSplitter": ".model_selection",
    "SICScorer": ".metrics",
    "sic_curve": ".metrics",
    "sic_at_background_efficiency": ".metrics",
    "truth_from_labels": ".model_selection",
}

_SUBMODULES = {"datasets", "metrics", "model_selection", "exceptions", "plotting", "study", "cli"}

__all__ = ["__version__", *_PUBLIC_NAMES, *sorted(_SUBMODULES)]


def __getattr__(name):
    if name in _PUBLIC_NAMES:
        module = importlib.import_module(_PUBLIC_NAMES[name], __name__)
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__

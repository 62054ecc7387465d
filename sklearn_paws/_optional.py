"""Import optional dependencies with an install hint instead of a bare ImportError."""

import importlib

_EXTRA_OF_MODULE = {
    "pythia8mc": "simulate",
    "fastjet": "jets",
    "awkward": "jets",
    "matplotlib": "plot",
    "mplhep": "plot",
}


def import_optional(module_name):
    """Import an optional dependency, or raise an ImportError with the command that installs it.

    Parameters
    ----------
    module_name : str
        Importable module name, e.g. ``"fastjet"`` or ``"matplotlib.pyplot"``.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module is not installed. The message names the extra of sklearn-paws that provides it.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        top_level = module_name.split(".")[0]
        extra = _EXTRA_OF_MODULE.get(top_level)
        hint = (
            f'pip install "sklearn-paws[{extra}]"' if extra is not None else f"pip install {top_level}"
        )
        raise ImportError(
            f"{module_name!r} is required for this feature but could not be imported ({error}). "
            f"Install it with: {hint}"
        ) from error

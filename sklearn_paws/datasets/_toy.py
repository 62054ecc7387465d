"""A fast toy model of signal-region dijet events, for tests, examples and quick studies.

The toy reproduces the structure PAWS relies on, not the physics in detail: background jets have
falling mass spectra and one-prong-like substructure; a signal event at (m_X, m_Y) has one jet near
m_X and one near m_Y, with two-prong substructure (low tau21) for X and, for Y, two-prong or
three-prong substructure (low tau32) by decay mode. Jets are then ordered by mass, as in the real
feature table, so that m_X and m_Y can swap roles. Use the simulation or real files for physics
results; use the toy where seconds matter.
"""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    MJJ_COLUMN,
    THETA_COLUMNS,
    THREE_PRONG,
    TWO_PRONG,
)

# Relative and absolute jet-mass resolution of the toy signal (TeV).
_MASS_RESOLUTION_RELATIVE = 0.05
_MASS_RESOLUTION_ABSOLUTE = 0.01


def _order_jets_by_mass(mass_a, tau21_a, tau32_a, mass_b, tau21_b, tau32_b, mjj, noise):
    swap = mass_b > mass_a
    frame = pd.DataFrame(
        {
            "mj1": np.where(swap, mass_b, mass_a),
            "mj2": np.where(swap, mass_a, mass_b),
            "tau21j1": np.where(swap, tau21_b, tau21_a),
            "tau21j2": np.where(swap, tau21_a, tau21_b),
            "tau32j1": np.where(swap, tau32_b, tau32_a),
            "tau32j2": np.where(swap, tau32_a, tau32_b),
        },
        columns=list(FEATURE_COLUMNS),
    )
    frame[MJJ_COLUMN] = mjj
    for index in range(noise.shape[1]):
        frame[f"noise{index}"] = noise[:, index]
    return frame


def _check_count(name, value):
    if not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")


def make_toy_background(n_events, *, n_noise_features=0, random_state=None):
    """Draw toy QCD background events in the signal region.

    Parameters
    ----------
    n_events : int
        Number of events.
    n_noise_features : int, default=0
        Number of extra standard-normal columns ``noise0, noise1, ...``, identical in distribution
        for signal and background.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    events : pandas.DataFrame
        The six PAWS features (masses in TeV), ``mjj`` (TeV), the noise columns and ``label`` = 0.
    """
    _check_count("n_events", n_events)
    _check_count("n_noise_features", n_noise_features)
    rng = check_random_state(random_state)

    mass_a = 0.02 + rng.gamma(1.6, 0.09, n_events)
    mass_b = 0.02 + rng.gamma(1.6, 0.09, n_events)
    tau21_a = rng.beta(6.0, 4.0, n_events)
    tau21_b = rng.beta(6.0, 4.0, n_events)
    tau32_a = rng.beta(7.0, 3.0, n_events)
    tau32_b = rng.beta(7.0, 3.0, n_events)
    mjj = rng.uniform(3.3, 3.7, n_events)
    noise = rng.standard_normal((n_events, n_noise_features))

    events = _order_jets_by_mass(mass_a, tau21_a, tau32_a, mass_b, tau21_b, tau32_b, mjj, noise)
    events[LABEL_COLUMN] = 0
    return events


def make_toy_signal(mx, my, n_events, *, decay_mode=TWO_PRONG, n_noise_features=0, random_state=None):
    """Draw toy W' -> X Y signal events in the signal region.

    Parameters
    ----------
    mx, my : float or array-like of shape (n_events,)
        Masses of X and Y in GeV. Arrays give every event its own parameters, e.g. a signal grid.
    n_events : int
        Number of events.
    decay_mode : {"qq", "qqq"}, default="qq"
        Decay of Y: two-prong (``"qq"``) or three-prong (``"qqq"``).
    n_noise_features : int, default=0
        Number of extra standard-normal columns, as in :func:`make_toy_background`.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    events : pandas.DataFrame
        The PAWS features, ``mjj``, the noise columns, ``mx`` and ``my`` (GeV), ``decay_mode`` and
        ``label`` = 1.

    Raises
    ------
    ValueError
        If ``decay_mode`` is unknown or the masses are not positive.
    """
    _check_count("n_events", n_events)
    _check_count("n_noise_features", n_noise_features)
    if decay_mode not in DECAY_MODES:
        raise ValueError(f"decay_mode must be one of {DECAY_MODES}, got {decay_mode!r}.")
    mx = np.broadcast_to(np.asarray(mx, dtype=float), (n_events,))
    my = np.broadcast_to(np.asarray(my, dtype=float), (n_events,))
    if np.any(mx <= 0) or np.any(my <= 0):
        raise ValueError("mx and my must be positive masses in GeV.")
    rng = check_random_state(random_state)

    def smeared_mass(mass_gev):
        mass = mass_gev / 1000.0
        width = np.hypot(_MASS_RESOLUTION_RELATIVE * mass, _MASS_RESOLUTION_ABSOLUTE)
        return np.abs(mass + width * rng.standard_normal(n_events))

    mass_x = smeared_mass(mx)
    mass_y = smeared_mass(my)
    tau21_x = rng.beta(2.0, 7.0, n_events)
    tau32_x = rng.beta(6.0, 4.0, n_events)
    if decay_mode == THREE_PRONG:
        tau21_y = rng.beta(5.0, 5.0, n_events)
        tau32_y = rng.beta(3.0, 6.0, n_events)
    else:
        tau21_y = rng.beta(2.0, 7.0, n_events)
        tau32_y = rng.beta(6.0, 4.0, n_events)
    mjj = np.clip(rng.normal(3.5, 0.08, n_events), 3.3 + 1e-6, 3.7 - 1e-6)
    noise = rng.standard_normal((n_events, n_noise_features))

    events = _order_jets_by_mass(mass_x, tau21_x, tau32_x, mass_y, tau21_y, tau32_y, mjj, noise)
    events[THETA_COLUMNS[0]] = mx
    events[THETA_COLUMNS[1]] = my
    events[DECAY_MODE_COLUMN] = decay_mode
    events[LABEL_COLUMN] = 1
    return events


def make_toy_grid(masses=tuple(range(50, 650, 50)), n_events_per_point=1000, *, decay_mode=TWO_PRONG,
                  n_noise_features=0, random_state=None):
    """Draw toy signal at every (m_X, m_Y) point of a square mass grid.

    Parameters
    ----------
    masses : sequence of float, default=(50, 100, ..., 600)
        Grid values in GeV, used for both m_X and m_Y.
    n_events_per_point : int, default=1000
        Events per grid point.
    decay_mode : {"qq", "qqq"}, default="qq"
        Decay of Y.
    n_noise_features : int, default=0
        Number of extra standard-normal columns.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    events : pandas.DataFrame
        ``len(masses) ** 2 * n_events_per_point`` signal events, as :func:`make_toy_signal` returns.
    """
    _check_count("n_events_per_point", n_events_per_point)
    grid = np.array([(mx, my) for mx in masses for my in masses], dtype=float)
    mx = np.repeat(grid[:, 0], n_events_per_point)
    my = np.repeat(grid[:, 1], n_events_per_point)
    return make_toy_signal(mx, my, len(mx), decay_mode=decay_mode, n_noise_features=n_noise_features,
                           random_state=random_state)

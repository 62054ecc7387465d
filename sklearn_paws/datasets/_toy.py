"""A fast toy model of signal-region dijet events, for tests, examples and quick studies.

The toy reproduces the structure PAWS relies on, not the physics in detail: background jets have
falling mass spectra and one-prong-like substructure; a signal event at (m_X, m_Y) has one jet near
m_X and one near m_Y, with two-prong substructure (low tau21) for X and, for Y, two-prong or
three-prong substructure (low tau32) by decay mode. Jets are then ordered by mass, as in the real
feature table, so that m_X and m_Y can swap roles. Use the simulation or real files for physics
results; use the toy where seconds matter.

Because the toy is drawn from known densities, :func:`toy_likelihood_ratio` returns its exact
likelihood ratio, a reference against which learned ratios can be checked.
"""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils import check_random_state

from ..exceptions import InputDataError
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

# Densities of one jet, shared by the generators and toy_likelihood_ratio. Background jet mass is
# offset + Gamma(shape, scale) in TeV. The substructure ratios are Beta(a, b) with these (a, b).
_BACKGROUND_MASS_OFFSET = 0.02
_BACKGROUND_MASS_SHAPE = 1.6
_BACKGROUND_MASS_SCALE = 0.09
_BACKGROUND_TAU21 = (6.0, 4.0)
_BACKGROUND_TAU32 = (7.0, 3.0)
_TWO_PRONG_TAU21 = (2.0, 7.0)
_TWO_PRONG_TAU32 = (6.0, 4.0)
_THREE_PRONG_TAU21 = (5.0, 5.0)
_THREE_PRONG_TAU32 = (3.0, 6.0)


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


def _mass_resolution(mass):
    """Return the Gaussian width (TeV) of the toy signal's jet mass around ``mass`` (TeV)."""
    return np.hypot(_MASS_RESOLUTION_RELATIVE * mass, _MASS_RESOLUTION_ABSOLUTE)


def _y_substructure(decay_mode):
    """Return the Beta parameters of (tau21, tau32) of the Y jet for ``decay_mode``."""
    if decay_mode == THREE_PRONG:
        return _THREE_PRONG_TAU21, _THREE_PRONG_TAU32
    return _TWO_PRONG_TAU21, _TWO_PRONG_TAU32


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

    def jet_mass():
        return _BACKGROUND_MASS_OFFSET + rng.gamma(_BACKGROUND_MASS_SHAPE, _BACKGROUND_MASS_SCALE,
                                                   n_events)

    mass_a = jet_mass()
    mass_b = jet_mass()
    tau21_a = rng.beta(*_BACKGROUND_TAU21, n_events)
    tau21_b = rng.beta(*_BACKGROUND_TAU21, n_events)
    tau32_a = rng.beta(*_BACKGROUND_TAU32, n_events)
    tau32_b = rng.beta(*_BACKGROUND_TAU32, n_events)
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
        return np.abs(mass + _mass_resolution(mass) * rng.standard_normal(n_events))

    mass_x = smeared_mass(mx)
    mass_y = smeared_mass(my)
    tau21_x = rng.beta(*_TWO_PRONG_TAU21, n_events)
    tau32_x = rng.beta(*_TWO_PRONG_TAU32, n_events)
    y_tau21, y_tau32 = _y_substructure(decay_mode)
    tau21_y = rng.beta(*y_tau21, n_events)
    tau32_y = rng.beta(*y_tau32, n_events)
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


def _log_background_jet(mass, tau21, tau32):
    """Return the log density of one toy background jet (mass in TeV)."""
    return (stats.gamma.logpdf(mass - _BACKGROUND_MASS_OFFSET, _BACKGROUND_MASS_SHAPE,
                               scale=_BACKGROUND_MASS_SCALE)
            + stats.beta.logpdf(tau21, *_BACKGROUND_TAU21)
            + stats.beta.logpdf(tau32, *_BACKGROUND_TAU32))


def _log_signal_jet(mass, tau21, tau32, resonance_mass, tau21_shape, tau32_shape):
    """Return the log density of one toy signal jet from a resonance of ``resonance_mass`` (TeV).

    The jet mass is |N(resonance_mass, width)|, a folded normal: its density at m >= 0 is the sum
    of the normal densities at m and at -m.
    """
    width = _mass_resolution(resonance_mass)
    log_mass = np.logaddexp(stats.norm.logpdf(mass, resonance_mass, width),
                            stats.norm.logpdf(-mass, resonance_mass, width))
    log_mass = np.where(mass >= 0, log_mass, -np.inf)
    return (log_mass + stats.beta.logpdf(tau21, *tau21_shape)
            + stats.beta.logpdf(tau32, *tau32_shape))


def _toy_feature_array(events):
    """Return the six features of ``events`` as a float array of shape (n_events, 6)."""
    if isinstance(events, pd.DataFrame):
        missing = [column for column in FEATURE_COLUMNS if column not in events.columns]
        if missing:
            raise InputDataError(
                f"toy_likelihood_ratio: events are missing the feature column(s) {missing}. Pass "
                f"a frame with the columns {list(FEATURE_COLUMNS)}, e.g. one from "
                "make_toy_background."
            )
        return events[list(FEATURE_COLUMNS)].to_numpy(dtype=float)

    features = np.asarray(events, dtype=float)
    if features.ndim != 2 or features.shape[1] != len(FEATURE_COLUMNS):
        raise InputDataError(
            f"toy_likelihood_ratio: an array of events must have shape (n_events, "
            f"{len(FEATURE_COLUMNS)}) with the columns {list(FEATURE_COLUMNS)}, got shape "
            f"{features.shape}."
        )
    return features


def toy_likelihood_ratio(events, mx, my, *, decay_mode=TWO_PRONG, log=False):
    """Compute the exact likelihood ratio p_S(x | m_X, m_Y) / p_B(x) of the toy model.

    The ratio is that of the densities from which :func:`make_toy_signal` and
    :func:`make_toy_background` draw the six PAWS features. Within a jet, mass, tau21 and tau32
    are independent. Because the jets are ordered by mass, the density of an event is the sum over
    the two ways of assigning its jets to the X and Y jets (for background, twice the product of
    the two jet densities). ``mjj`` and the noise columns are not used. ``mjj`` is not a PAWS
    feature, and the noise columns have the same distribution in signal and background.

    The mean of the ratio over toy background is 1 at every (m_X, m_Y). For a signal made of both
    decay modes, with a fraction ``alpha`` of three-prong events, the ratio is
    ``(1 - alpha) * ratio("qq") + alpha * ratio("qqq")``.

    Parameters
    ----------
    events : DataFrame or array-like of shape (n_events, 6)
        Events with the columns ``FEATURE_COLUMNS`` (masses in TeV). A DataFrame may contain
        further columns, which are ignored. An array must contain exactly these six columns, in
        this order.
    mx, my : float or array-like of shape (n_events,)
        Masses of X and Y in GeV. Arrays give every event its own parameters.
    decay_mode : {"qq", "qqq"}, default="qq"
        Decay of Y: two-prong (``"qq"``) or three-prong (``"qqq"``).
    log : bool, default=False
        Return the natural logarithm of the ratio instead, computed without forming the ratio, so
        that it stays finite where the ratio itself overflows or underflows.

    Returns
    -------
    likelihood_ratio : ndarray of shape (n_events,)
        The ratio, or its logarithm when ``log=True``. It is infinite where only the signal
        density is non-zero (a jet mass at or below the background's lower bound of 20 GeV), and
        NaN where both densities are zero (e.g. a tau ratio outside [0, 1]).

    Raises
    ------
    InputDataError
        If ``events`` lacks a feature column or has the wrong shape.
    ValueError
        If ``decay_mode`` is unknown, the masses are not positive, or ``mx`` or ``my`` cannot be
        broadcast to one value per event.
    """
    if decay_mode not in DECAY_MODES:
        raise ValueError(f"decay_mode must be one of {DECAY_MODES}, got {decay_mode!r}.")
    features = _toy_feature_array(events)
    n_events = len(features)
    try:
        mass_x = np.broadcast_to(np.asarray(mx, dtype=float), (n_events,)) / 1000.0
        mass_y = np.broadcast_to(np.asarray(my, dtype=float), (n_events,)) / 1000.0
    except ValueError as error:
        raise ValueError(
            f"mx and my must be scalars or arrays with one value per event ({n_events}); "
            f"got shapes {np.shape(mx)} and {np.shape(my)}."
        ) from error
    if np.any(mass_x <= 0) or np.any(mass_y <= 0):
        raise ValueError("mx and my must be positive masses in GeV.")

    jets = [features[:, [0, 2, 4]].T, features[:, [1, 3, 5]].T]
    y_tau21, y_tau32 = _y_substructure(decay_mode)

    def log_x_jet(jet):
        return _log_signal_jet(*jet, mass_x, _TWO_PRONG_TAU21, _TWO_PRONG_TAU32)

    def log_y_jet(jet):
        return _log_signal_jet(*jet, mass_y, y_tau21, y_tau32)

    # Jet 1 from X and jet 2 from Y, or the other way round.
    log_signal = np.logaddexp(log_x_jet(jets[0]) + log_y_jet(jets[1]),
                              log_y_jet(jets[0]) + log_x_jet(jets[1]))
    log_background = np.log(2.0) + _log_background_jet(*jets[0]) + _log_background_jet(*jets[1])

    # -inf - (-inf) is NaN by IEEE rules, which is the intended result where both densities vanish.
    with np.errstate(invalid="ignore"):
        log_ratio = log_signal - log_background
    if log:
        return log_ratio
    with np.errstate(over="ignore"):
        return np.exp(log_ratio)

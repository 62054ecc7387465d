"""Configuration of the PAWS study: which cells to run and with which settings."""

import dataclasses
import hashlib
import json

import numpy as np

#: Methods compared in the study, in the order of the figures.
METHODS = ("supervised", "paws", "weak", "hgb")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Settings of a mu scan.

    Parameters
    ----------
    mass_points : tuple of (float, float)
        True (m_X, m_Y) in GeV of the injected signal.
    mu_values : tuple of float
        Injected signal fractions S/(S+B) in the training data D.
    alpha : float
        Three-prong fraction of the injected signal.
    methods : tuple of str
        Subset of ``("supervised", "paws", "weak", "hgb")``.
    noise_features : tuple of int
        Numbers of standard-normal noise columns added to every input.
    n_realisations : int
        Random realisations of D, R and the injected signal per cell.
    n_splits : int
        Folds of the weak-supervision splitter; the study trains on the first fold of each
        realisation and tests on its held-out rows.
    prior_params : dict
        Parameters of the two ``ParameterizedClassifier`` priors.
    paws_params, weak_params, supervised_params, hgb_params : dict
        Parameters of the other methods.
    landscape_mu : tuple of float
        Signal fractions at which the loss landscape is drawn.
    landscape_step : float
        Grid step of the loss landscape in GeV.
    max_background : int or None
        Cap on the background events of the study pool (None: all).
    random_state : int
        Seed from which every random choice of the study derives.
    """

    mass_points: tuple = ((300.0, 300.0), (100.0, 500.0))
    mu_values: tuple = tuple(np.round(np.logspace(-3.5, -1.3, 10), 7))
    alpha: float = 0.5
    methods: tuple = METHODS
    noise_features: tuple = (0, 10)
    n_realisations: int = 3
    n_splits: int = 3
    prior_params: dict = dataclasses.field(default_factory=dict)
    paws_params: dict = dataclasses.field(default_factory=dict)
    weak_params: dict = dataclasses.field(default_factory=dict)
    supervised_params: dict = dataclasses.field(default_factory=dict)
    hgb_params: dict = dataclasses.field(default_factory=dict)
    landscape_mu: tuple = (0.001, 0.003)
    landscape_step: float = 25.0
    max_background: int | None = None
    random_state: int = 2026

    def __post_init__(self):
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown:
            raise ValueError(f"Unknown methods {unknown}; choose from {METHODS}.")
        if not self.mu_values:
            raise ValueError("mu_values must contain at least one signal fraction.")
        bad_mu = [mu for mu in self.mu_values if not 0.0 <= mu < 1.0]
        if bad_mu:
            raise ValueError(f"mu_values must lie in [0, 1), got {bad_mu}.")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {self.alpha}.")
        if self.n_realisations < 1:
            raise ValueError(f"n_realisations must be at least 1, got {self.n_realisations}.")

    def to_dict(self):
        """Return the settings as a JSON-serialisable dict."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=_to_builtin))

    def fingerprint(self, *fields):
        """Return a short hash of the named settings (all settings when none are named).

        Cached results and models are reused only when the fingerprint of the settings they depend
        on is unchanged.
        """
        settings = self.to_dict()
        if fields:
            settings = {name: settings[name] for name in fields}
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


#: Settings that choose which cells run, not how one runs. A cell's result does not depend on them,
#: so runs that differ only here share their finished cells.
SCAN_FIELDS = ("mass_points", "mu_values", "n_realisations", "landscape_mu", "landscape_step")


def cell_fingerprint(config):
    """Return the fingerprint of the settings of ``config`` that a single cell's result depends on."""
    fields = [field.name for field in dataclasses.fields(config) if field.name not in SCAN_FIELDS]
    return config.fingerprint(*fields)


def _to_builtin(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def quick_profile(**overrides):
    """Return the quick profile: one mass point, three signal fractions, small networks.

    It exercises every step of the study in a few minutes on 2 cores, so CI can run it. Its
    figures are too noisy for physics conclusions.
    """
    settings = dict(
        mass_points=((300.0, 300.0),),
        mu_values=(0.001, 0.005, 0.03),
        noise_features=(0, 10),
        n_realisations=1,
        prior_params=dict(hidden_layer_sizes=(128, 64), max_epochs=40, n_models=1),
        paws_params=dict(n_init=4, n_keep=2, max_epochs=40),
        weak_params=dict(hidden_layer_sizes=(64, 32), max_epochs=10, n_models=1),
        supervised_params=dict(hidden_layer_sizes=(64, 32), max_epochs=10, n_models=1),
        hgb_params=dict(n_models=2, max_iter=100),
        landscape_mu=(0.005, 0.03),
        landscape_step=50.0,
        max_background=60_000,
    )
    settings.update(overrides)
    return StudyConfig(**settings)


def full_profile(**overrides):
    """Return the full profile: mu = logspace(-3.5, -1.3, 10) at both mass points, three realisations,
    256-128-64 networks, 10 PAWS restarts of which the best 5 are kept."""
    settings = dict(
        prior_params=dict(n_models=3, n_keep=2),
        paws_params=dict(n_init=10, n_keep=5),
        weak_params=dict(n_models=3, n_keep=2),
        supervised_params=dict(n_models=1),
        hgb_params=dict(n_models=5, max_iter=200),
    )
    settings.update(overrides)
    return StudyConfig(**settings)


PROFILES = {"quick": quick_profile, "full": full_profile}

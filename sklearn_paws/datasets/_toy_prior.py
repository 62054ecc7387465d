"""A stand-in for a pre-trained prior that returns the toy model's exact likelihood ratio.

:class:`ExactToyPrior` offers what :class:`~sklearn_paws.PAWSClassifier` needs from a fitted
:class:`~sklearn_paws.ParameterizedClassifier`, but its likelihood ratio is the exact one of the
toy model (:func:`~sklearn_paws.datasets.toy_likelihood_ratio`), so nothing is trained. With it,
a PAWS fit on toy data shows the behaviour of the weakly supervised fit alone, free of the errors
of a learnt ratio: use it to test PAWS, to time it, or to find its statistical limits.
"""

import math

import numpy as np
import torch
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin

from ._columns import DECAY_MODES, FEATURE_COLUMNS, THETA_COLUMNS, TWO_PRONG
from ._toy import (
    _TWO_PRONG_TAU21,
    _TWO_PRONG_TAU32,
    _MASS_RESOLUTION_ABSOLUTE,
    _MASS_RESOLUTION_RELATIVE,
    _log_background_jet,
    _y_substructure,
)


def _log_folded_normal(mass, mass_gev):
    """Return the log density of the toy signal's smeared jet mass (TeV) for resonance masses in GeV.

    ``mass`` has shape (1, N) and ``mass_gev`` shape (R, 1); the result has shape (R, N) and is
    differentiable with respect to ``mass_gev``.
    """
    centre = mass_gev / 1000.0
    width = torch.sqrt((_MASS_RESOLUTION_RELATIVE * centre) ** 2 + _MASS_RESOLUTION_ABSOLUTE ** 2)
    normalisation = torch.log(width) + 0.5 * math.log(2.0 * math.pi)
    upper = -0.5 * ((mass - centre) / width) ** 2
    mirrored = -0.5 * ((mass + centre) / width) ** 2
    return torch.logaddexp(upper, mirrored) - normalisation


class ExactToyLogLikelihoodRatio(torch.nn.Module):
    """Exact log likelihood ratio of the toy model, with the frozen-module interface of a prior.

    :meth:`prepare` computes every theta-independent term once per event (jet masses, background
    density, substructure densities under the X and Y hypotheses), and :meth:`forward` adds the
    mass terms for each theta row. The module has no parameters.

    Parameters
    ----------
    decay_mode : {"qq", "qqq"}
        Decay of Y.
    n_features : int
        Feature columns expected by :meth:`prepare`: the six toy features first, then noise
        columns, which are ignored.
    """

    def __init__(self, decay_mode, n_features):
        super().__init__()
        self.decay_mode = decay_mode
        self.n_features = n_features
        self.n_theta = 2

    def prepare(self, features):
        """Compute the theta-independent terms of every event.

        Parameters
        ----------
        features : torch.Tensor of shape (N, n_features), float32
            Features in physical units (masses in TeV), the six toy features first.

        Returns
        -------
        prepared : torch.Tensor of shape (N, 7)
            Jet masses, log background density, and log substructure densities of each jet as
            the X jet and as the Y jet.
        """
        values = features[:, :len(FEATURE_COLUMNS)].detach().cpu().numpy().astype(np.float64)
        mj1, mj2, tau21j1, tau21j2, tau32j1, tau32j2 = values.T
        y_tau21, y_tau32 = _y_substructure(self.decay_mode)

        def log_substructure(tau21, tau32, tau21_shape, tau32_shape):
            return stats.beta.logpdf(tau21, *tau21_shape) + stats.beta.logpdf(tau32, *tau32_shape)

        with np.errstate(divide="ignore", invalid="ignore"):
            columns = [
                mj1,
                mj2,
                math.log(2.0) + _log_background_jet(mj1, tau21j1, tau32j1)
                + _log_background_jet(mj2, tau21j2, tau32j2),
                log_substructure(tau21j1, tau32j1, _TWO_PRONG_TAU21, _TWO_PRONG_TAU32),
                log_substructure(tau21j2, tau32j2, _TWO_PRONG_TAU21, _TWO_PRONG_TAU32),
                log_substructure(tau21j1, tau32j1, y_tau21, y_tau32),
                log_substructure(tau21j2, tau32j2, y_tau21, y_tau32),
            ]
        prepared = np.stack(columns, axis=1)

        # A log density of -inf (a jet mass at or below the background's lower bound) would make
        # the ratio infinite and the loss NaN. Such events do not occur in toy background, and a
        # large finite value keeps the fit defined for them.
        prepared = np.nan_to_num(prepared, nan=-1e4, neginf=-1e4, posinf=1e4)
        return torch.as_tensor(prepared, dtype=torch.float32, device=features.device)

    def forward(self, prepared, theta):
        """Compute log Lambda for every (theta row, event).

        Parameters
        ----------
        prepared : torch.Tensor of shape (N, 7)
            Output of :meth:`prepare`.
        theta : torch.Tensor of shape (R, 2)
            (m_X, m_Y) in GeV.

        Returns
        -------
        log_likelihood_ratio : torch.Tensor of shape (R, N)
        """
        mj1, mj2, log_background, x1, x2, y1, y2 = (prepared[:, i].unsqueeze(0) for i in range(7))
        mx = theta[:, 0:1]
        my = theta[:, 1:2]
        x_first = _log_folded_normal(mj1, mx) + x1 + _log_folded_normal(mj2, my) + y2
        y_first = _log_folded_normal(mj1, my) + y1 + _log_folded_normal(mj2, mx) + x2
        return torch.logaddexp(x_first, y_first) - log_background


class ExactToyPrior(ClassifierMixin, BaseEstimator):
    """Stand-in for a fitted ParameterizedClassifier whose likelihood ratio is the toy's exact one.

    Pass it, or a mapping of decay mode to it, as ``pretrained`` to
    :class:`~sklearn_paws.PAWSClassifier`. ``fit`` only records the feature layout.

    Parameters
    ----------
    decay_mode : {"qq", "qqq"}, default="qq"
        Decay of Y.
    n_noise_features : int, default=0
        Noise columns ``noise0, noise1, ...`` that follow the six features in X, as drawn by the
        toy generators with ``n_noise_features``. They do not enter the ratio.
    feature_names : bool, default=True
        Record ``feature_names_in_``, so that PAWS checks DataFrame columns by name.

    Attributes
    ----------
    n_features_in_ : int
        Features plus the two theta columns.
    feature_names_in_ : ndarray of str
        The six features, the noise columns, ``mx`` and ``my``; only with ``feature_names=True``.
    theta_columns : tuple of str
        ``("mx", "my")``, as a ParameterizedClassifier has it.

    Examples
    --------
    >>> from sklearn_paws import PAWSClassifier
    >>> from sklearn_paws.datasets import ExactToyPrior, make_toy_background
    >>> prior = ExactToyPrior().fit()
    >>> paws = PAWSClassifier(pretrained=prior, n_init=2, n_keep=1, max_epochs=1, verbose=False)
    """

    theta_columns = THETA_COLUMNS

    def __init__(self, decay_mode=TWO_PRONG, n_noise_features=0, feature_names=True):
        self.decay_mode = decay_mode
        self.n_noise_features = n_noise_features
        self.feature_names = feature_names

    def fit(self, X=None, y=None):
        """Record the feature layout; nothing is learnt.

        Parameters
        ----------
        X, y : ignored
            Accepted for compatibility with scikit-learn.

        Returns
        -------
        self : ExactToyPrior

        Raises
        ------
        ValueError
            If ``decay_mode`` is unknown or ``n_noise_features`` is negative.
        """
        if self.decay_mode not in DECAY_MODES:
            raise ValueError(f"decay_mode must be one of {DECAY_MODES}, got {self.decay_mode!r}.")
        if self.n_noise_features < 0:
            raise ValueError(f"n_noise_features must be >= 0, got {self.n_noise_features}.")
        features = list(FEATURE_COLUMNS) + [f"noise{i}" for i in range(self.n_noise_features)]
        self.n_features_in_ = len(features) + len(THETA_COLUMNS)
        if self.feature_names:
            self.feature_names_in_ = np.array(features + list(THETA_COLUMNS), dtype=object)
        return self

    def frozen_log_likelihood_ratio(self):
        """Build the module of the exact log likelihood ratio, for PAWS.

        Returns
        -------
        module : ExactToyLogLikelihoodRatio
        """
        n_features = self.n_features_in_ - len(THETA_COLUMNS)
        return ExactToyLogLikelihoodRatio(self.decay_mode, n_features).eval()

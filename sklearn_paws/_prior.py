"""The parameterized classifier f(x, theta) and its calibrated likelihood ratio.

PAWS freezes this classifier and reads from it the likelihood ratio
Lambda(x | theta) = p_signal(x | theta) / p_background(x). A classifier trained on signal against
background returns f / (1 - f) = c(theta) * Lambda, where c(theta) is the ratio of signal to
background training events at theta. The calibration factor kappa(theta) undoes c: it is chosen so
that the mean of kappa * f / (1 - f) over background events is 1 at every theta, as the mean of
the true Lambda over background is. Without it the signal fraction fitted by PAWS comes out
biased.

Here kappa(theta) = 1 / mean_b[f / (1 - f)](theta) over a background calibration sample: the
background of the validation split after ``fit``, or any background sample passed to
``ParameterizedClassifier.calibrate``. It is computed exactly on a regular grid of theta that
spans the signal's theta, and log kappa is interpolated bicubically between the nodes, which is
smooth and cheap to differentiate inside the PAWS fit. The exact value at any theta stays
available through :meth:`FrozenLogLikelihoodRatio.log_kappa_exact`.

The mean of f / (1 - f) over background is carried by the rare background events that look like
signal, so its precision depends on how often such events occur in the sample, not only on the
sample size. With a well separated signal a few events dominate it. Pass a large background
sample to ``calibrate`` then.
"""

import copy
import logging
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.validation import check_is_fitted, validate_data

from ._network import PREDICTION_CHUNK_SIZE, BaseMLPClassifier, _ensemble_log_odds
from .exceptions import InputDataError, LowStatisticsWarning
from .datasets._columns import THETA_COLUMNS

logger = logging.getLogger(__name__)

# Largest relative standard error of the background mean of f / (1 - f), at any kappa grid node,
# that is accepted without a LowStatisticsWarning. To first order it is also the standard error
# of log kappa.
MAX_CALIBRATION_ERROR = 0.05

# Bounds of one block of the exact calibration: theta rows, and floats of one hidden activation
# (8 MiB), which keeps its working memory small next to the training data.
_CALIBRATION_THETAS_PER_BLOCK = 16
_CALIBRATION_BLOCK_FLOATS = 2**21


class FrozenLogLikelihoodRatio(torch.nn.Module):
    """Calibrated log likelihood ratio log Lambda(x | theta) of a fitted ensemble, frozen.

    Theta enters only the first layer of every member, so :meth:`prepare` computes
    ``W1_x x + b1`` once per event and :meth:`forward` adds ``W1_theta theta`` per theta row.
    All parameters have ``requires_grad=False``. The module stays in eval mode, and the output
    is differentiable with respect to theta.

    Parameters
    ----------
    networks : list of MLP
        Ensemble members. Their inputs are the standardised features followed by the
        standardised theta. They are copied.
    feature_mean, feature_scale : array-like of shape (n_features,)
        Standardisation of the features (physical units).
    theta_mean, theta_scale : array-like of shape (n_theta,)
        Standardisation of theta (GeV).
    kappa_axes : tuple of array-like
        Grid nodes of each theta dimension (1 or 2 dimensions), increasing.
    log_kappa_grid : array-like of shape (len(kappa_axes[0]), ...)
        log kappa at the grid nodes.
    calibration_features : array-like of shape (n_calibration, n_features)
        Background events (physical units) that define kappa, for :meth:`log_kappa_exact`.

    Attributes
    ----------
    n_features : int
        Feature columns expected by :meth:`prepare`.
    n_theta : int
        Theta columns expected by :meth:`forward`.
    first_width : int
        Width of the first hidden layer of each member. :meth:`prepare` returns
        ``n_members * first_width`` columns.
    """

    def __init__(self, networks, feature_mean, feature_scale, theta_mean, theta_scale,
                 kappa_axes, log_kappa_grid, calibration_features):
        super().__init__()
        self.members = torch.nn.ModuleList(_copy_network(network) for network in networks)
        self.n_features = len(feature_mean)
        self.n_theta = len(theta_mean)
        self.first_width = self.members[0].hidden[0].out_features

        def as_tensor(values):
            return torch.as_tensor(np.asarray(values, dtype=np.float32))

        self.register_buffer("feature_mean", as_tensor(feature_mean))
        self.register_buffer("feature_scale", as_tensor(feature_scale))
        self.register_buffer("theta_mean", as_tensor(theta_mean))
        self.register_buffer("theta_scale", as_tensor(theta_scale))
        self.register_buffer("calibration_features", as_tensor(calibration_features))

        # grid_sample reads a (1, 1, H, W) image at (x, y) = (W, H) coordinates in [-1, 1].
        grid = as_tensor(log_kappa_grid)
        self.register_buffer("log_kappa_grid", grid.reshape(1, 1, -1, grid.shape[-1])
                             if self.n_theta == 2 else grid.reshape(1, 1, 1, -1))
        self.register_buffer("kappa_low", as_tensor([axis[0] for axis in kappa_axes]))
        self.register_buffer("kappa_high", as_tensor([axis[-1] for axis in kappa_axes]))

        for parameter in self.parameters():
            parameter.requires_grad_(False)
        self.eval()

    def train(self, mode=True):
        """Keep the module in eval mode whatever ``mode`` is: it is frozen."""
        return super().train(False)

    def prepare(self, features):
        """Compute the theta-independent part of every member's first layer.

        Parameters
        ----------
        features : torch.Tensor of shape (N, n_features), float32
            Features in physical units, in the column order of the fit.

        Returns
        -------
        prepared : torch.Tensor of shape (N, n_members * first_width)
            Row i depends only on event i, so the result can be sliced into batches.
        """
        standardised = (features - self.feature_mean) / self.feature_scale
        blocks = [
            F.linear(standardised, member.hidden[0].weight[:, :self.n_features],
                     member.hidden[0].bias)
            for member in self.members
        ]
        return torch.cat(blocks, dim=1)

    def _theta_terms(self, theta):
        """Return ``W1_theta theta`` of every member, shape (n_members, R, first_width)."""
        standardised = (theta - self.theta_mean) / self.theta_scale
        return torch.stack([
            F.linear(standardised, member.hidden[0].weight[:, self.n_features:])
            for member in self.members
        ])

    def _member_blocks(self, prepared):
        return prepared.reshape(len(prepared), len(self.members), self.first_width).unbind(1)

    def log_odds(self, prepared, theta):
        """Compute the uncalibrated ensemble log odds log(f / (1 - f)) for every (theta, event).

        Parameters
        ----------
        prepared : torch.Tensor of shape (N, n_members * first_width)
            Output of :meth:`prepare`.
        theta : torch.Tensor of shape (R, n_theta)
            Parameters in GeV.

        Returns
        -------
        log_odds : torch.Tensor of shape (R, N)
        """
        theta_terms = self._theta_terms(theta)
        logits = torch.stack([
            member.forward_from_first_layer(block.unsqueeze(0) + terms.unsqueeze(1))
            for member, block, terms in zip(self.members, self._member_blocks(prepared),
                                            theta_terms)
        ])
        return _ensemble_log_odds(logits)

    def log_odds_per_event(self, prepared, theta):
        """Compute the uncalibrated ensemble log odds with one theta per event.

        Parameters
        ----------
        prepared : torch.Tensor of shape (N, n_members * first_width)
            Output of :meth:`prepare`.
        theta : torch.Tensor of shape (N, n_theta)
            Parameters of each event in GeV.

        Returns
        -------
        log_odds : torch.Tensor of shape (N,)
        """
        theta_terms = self._theta_terms(theta)
        logits = torch.stack([
            member.forward_from_first_layer(block + terms)
            for member, block, terms in zip(self.members, self._member_blocks(prepared),
                                            theta_terms)
        ])
        return _ensemble_log_odds(logits)

    def log_kappa(self, theta):
        """Interpolate log kappa(theta) bicubically between the calibration grid nodes.

        Outside the grid the value of the nearest border is used, so its gradient there is 0.

        Parameters
        ----------
        theta : torch.Tensor of shape (R, n_theta)
            Parameters in GeV.

        Returns
        -------
        log_kappa : torch.Tensor of shape (R,)
        """
        span = torch.where(self.kappa_high > self.kappa_low, self.kappa_high - self.kappa_low,
                           torch.ones_like(self.kappa_high))
        position = 2.0 * (theta - self.kappa_low) / span - 1.0
        if self.n_theta == 2:
            coordinates = position.flip(-1)
        else:
            coordinates = torch.cat([position, torch.zeros_like(position)], dim=-1)
        values = F.grid_sample(
            self.log_kappa_grid, coordinates.reshape(1, 1, -1, 2), mode="bicubic",
            padding_mode="border", align_corners=True,
        )
        return values.reshape(-1)

    def log_kappa_exact(self, theta, *, return_error=False):
        """Compute log kappa(theta) = -log mean_b[f / (1 - f)] over the calibration sample.

        The grid nodes contain these values. Each theta costs a pass over the calibration sample.

        Parameters
        ----------
        theta : torch.Tensor of shape (R, n_theta)
            Parameters in GeV.
        return_error : bool, default=False
            Also return the relative standard error of the mean of f / (1 - f) at every theta,
            ``std_b[f / (1 - f)] / (mean_b[f / (1 - f)] sqrt(N - 1))`` with N the number of
            calibration events. To first order it is the standard error of log kappa. It is
            infinite for a single event.

        Returns
        -------
        log_kappa : torch.Tensor of shape (R,)
        relative_error : torch.Tensor of shape (R,), float64
            Returned only when ``return_error`` is True.
        """
        n_calibration = len(self.calibration_features)
        thetas_per_block = min(len(theta), _CALIBRATION_THETAS_PER_BLOCK)
        events_per_block = max(1, _CALIBRATION_BLOCK_FLOATS
                               // (len(self.members) * self.first_width * thetas_per_block))

        # log sum of L = f / (1 - f) and of L^2, accumulated in logs, because a few
        # signal-like events can carry values beyond the float32 range.
        log_sums, log_square_sums = [], []
        for theta_start in range(0, len(theta), thetas_per_block):
            theta_block = theta[theta_start:theta_start + thetas_per_block]
            partial_sums, partial_square_sums = [], []
            for start in range(0, n_calibration, events_per_block):
                prepared = self.prepare(self.calibration_features[start:start + events_per_block])
                log_odds = self.log_odds(prepared, theta_block)
                partial_sums.append(torch.logsumexp(log_odds, dim=1))
                partial_square_sums.append(torch.logsumexp(2.0 * log_odds.double(), dim=1))
            log_sums.append(torch.logsumexp(torch.stack(partial_sums), dim=0))
            log_square_sums.append(torch.logsumexp(torch.stack(partial_square_sums), dim=0))
        log_sum = torch.cat(log_sums)
        log_kappa = math.log(n_calibration) - log_sum
        if not return_error:
            return log_kappa

        # mean(L^2) / mean(L)^2 - 1 = N sum(L^2) / sum(L)^2 - 1, which is >= 0 up to rounding.
        log_second_moment_ratio = (torch.cat(log_square_sums) - 2.0 * log_sum.double()
                                   + math.log(n_calibration))
        relative_variance = torch.expm1(log_second_moment_ratio).clamp(min=0.0)
        if n_calibration < 2:
            return log_kappa, torch.full_like(relative_variance, math.inf)
        return log_kappa, torch.sqrt(relative_variance / (n_calibration - 1))

    def forward(self, prepared, theta):
        """Compute the calibrated log likelihood ratio log Lambda for every (theta, event).

        Parameters
        ----------
        prepared : torch.Tensor of shape (N, n_members * first_width)
            Output of :meth:`prepare`.
        theta : torch.Tensor of shape (R, n_theta)
            Parameters in GeV.

        Returns
        -------
        log_likelihood_ratio : torch.Tensor of shape (R, N)
            log kappa(theta) + log(f / (1 - f)), with f the mean member probability.
        """
        return self.log_odds(prepared, theta) + self.log_kappa(theta).unsqueeze(1)


def _copy_network(network):
    return copy.deepcopy(network).to("cpu").eval()


# A median signal mass below this many GeV means theta was given in TeV.
_MIN_MEDIAN_THETA_GEV = 10.0


class ParameterizedClassifier(BaseMLPClassifier):
    """Parameterized classifier f(x, theta) of signal against background, the prior of PAWS.

    An ensemble of MLPs learns, from simulated signal at many parameter points theta against
    background, the probability that an event x is signal of parameters theta. Theta travels
    as columns of X: the columns named in ``theta_columns`` for a DataFrame, the last
    ``len(theta_columns)`` columns for an array. All other columns are features. Features and
    theta are standardised inside, so X is given in physical units (theta in GeV).

    In ``fit``, the theta columns of background rows (the class ``classes_[0]``) are ignored:
    every mini-batch gives each background row theta drawn afresh from the signal rows' theta.
    This replaces the replication of the background once per grid point, which multiplies the
    training set by the number of points. Signal rows keep their true theta. The background's
    theta columns must still hold finite numbers, e.g. 0.

    After training, kappa(theta) is computed on a held-out background calibration sample so
    that :meth:`likelihood_ratio` averages 1 over background at every theta (module docstring).

    Parameters
    ----------
    theta_columns : tuple of str, default=("mx", "my")
        Names of the theta columns in DataFrame input. Their count fixes the trailing theta
        columns of array input. One or two columns.
    hidden_layer_sizes : tuple of int, default=(256, 128, 64)
        Widths of the hidden layers.
    activation : {"relu", "elu", "gelu", "silu", "tanh"}, default="relu"
        Activation between layers.
    learning_rate : float, default=1e-3
        Initial learning rate of Adam.
    batch_size : int, default=1024
        Events per mini-batch.
    max_epochs : int, default=100
        Maximum number of passes over the training split.
    early_stopping_patience : int, default=10
        Epochs without improvement of the validation loss before training stops. The weights
        of the best epoch are kept.
    lr_decay_factor : float, default=0.5
        Factor applied to the learning rate after ``lr_decay_patience`` epochs without
        improvement of the validation loss.
    lr_decay_patience : int, default=5
        See ``lr_decay_factor``.
    min_learning_rate : float, default=1e-6
        Lower bound of the decayed learning rate.
    validation_fraction : float, default=0.2
        Fraction of the events, stratified by label, held out for early stopping, for ranking
        the ensemble members and (its background) for the calibration.
    n_models : int, default=1
        Networks trained with different seeds (10 in the PAWS paper).
    n_keep : int or None, default=None
        Networks kept, those with the lowest validation loss (5 in the PAWS paper). None keeps
        all. Their mean probability is the ensemble output.
    calibration_size : int, default=20000
        Maximum number of validation background events in the calibration sample.
    kappa_grid_size : int, default=12
        Grid nodes per theta dimension at which kappa is computed exactly.
    n_jobs : int or None, default=None
        Networks trained in parallel with joblib (None: one at a time).
    device : str, default="cpu"
        torch device of the training.
    random_state : int, RandomState instance or None, default=None
        Seed of the validation split, the initialisations, the shuffling, the background theta
        draws and the calibration sample.
    verbose : int, default=0
        0 is silent, 1 shows a progress bar over the ensemble members.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels. ``classes_[1]`` is the signal.
    n_features_in_ : int
        Columns of X, theta included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X is a DataFrame with string column names.
    theta_indices_ : ndarray of int
        Positions of the theta columns in X.
    feature_indices_ : ndarray of int
        Positions of the feature columns in X.
    networks_ : list of torch.nn.Module
        Kept ensemble members (CPU, eval mode).
    validation_losses_ : ndarray of shape (n_models,)
        Best validation loss of every trained member.
    kept_models_ : ndarray of int
        Indices of the kept members among the trained ones.
    histories_ : list of dict
        ``train_loss`` and ``valid_loss`` per epoch of every trained member.
    n_iter_ : ndarray of int
        Epochs trained by each kept member.
    kappa_grid_axes_ : tuple of ndarray
        Grid nodes of every theta dimension (GeV).
    log_kappa_grid_ : ndarray
        log kappa at the grid nodes.
    calibration_error_ : ndarray of the shape of ``log_kappa_grid_``
        Relative standard error of the background mean of f / (1 - f) at every grid node,
        estimated from the calibration sample. To first order it is the standard error of
        log kappa.
        ``fit`` and :meth:`calibrate` emit a LowStatisticsWarning when its maximum exceeds 0.05.
    calibration_features_ : ndarray of shape (n_calibration, n_feature_columns)
        The background calibration sample (physical units).

    Examples
    --------
    >>> from sklearn_paws import ParameterizedClassifier
    >>> from sklearn_paws.datasets import FEATURE_COLUMNS, THETA_COLUMNS
    >>> from sklearn_paws.datasets import make_toy_background, make_toy_grid
    >>> import pandas as pd
    >>> signal = make_toy_grid(masses=(100, 300, 500), n_events_per_point=300, random_state=0)
    >>> background = make_toy_background(3000, random_state=1)
    >>> events = pd.concat([signal, background], ignore_index=True)
    >>> columns = [*FEATURE_COLUMNS, *THETA_COLUMNS]
    >>> events[list(THETA_COLUMNS)] = events[list(THETA_COLUMNS)].fillna(0.0)
    >>> clf = ParameterizedClassifier(hidden_layer_sizes=(32,), max_epochs=3, random_state=0)
    >>> clf = clf.fit(events[columns], events["label"])
    >>> clf.likelihood_ratio(events[columns]).shape
    (5700,)
    """

    def __init__(self, theta_columns=("mx", "my"), *, hidden_layer_sizes=(256, 128, 64),
                 activation="relu", learning_rate=1e-3, batch_size=1024, max_epochs=100,
                 early_stopping_patience=10, lr_decay_factor=0.5, lr_decay_patience=5,
                 min_learning_rate=1e-6, validation_fraction=0.2, n_models=1, n_keep=None,
                 calibration_size=20000, kappa_grid_size=12, n_jobs=None, device="cpu",
                 random_state=None, verbose=0):
        self.theta_columns = theta_columns
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping_patience = early_stopping_patience
        self.lr_decay_factor = lr_decay_factor
        self.lr_decay_patience = lr_decay_patience
        self.min_learning_rate = min_learning_rate
        self.validation_fraction = validation_fraction
        self.n_models = n_models
        self.n_keep = n_keep
        self.calibration_size = calibration_size
        self.kappa_grid_size = kappa_grid_size
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- hooks of BaseMLPClassifier -----------------------------------------------------------

    def _theta_width(self):
        return len(self.theta_columns)

    def _check_parameters(self):
        super()._check_parameters()
        if isinstance(self.theta_columns, str) or len(self.theta_columns) not in (1, 2):
            raise ValueError(
                f"ParameterizedClassifier: theta_columns must be a tuple of 1 or 2 column names, "
                f"got {self.theta_columns!r}."
            )
        for name in ("calibration_size", "kappa_grid_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"ParameterizedClassifier: {name} must be a positive integer, got {value!r}."
                )

    def _locate_theta(self, n_columns):
        n_theta = len(self.theta_columns)
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            missing = [column for column in self.theta_columns if column not in set(names)]
            if missing:
                raise InputDataError(
                    f"ParameterizedClassifier: theta column(s) {missing} are missing from X, "
                    f"whose columns are {list(names)}. Add them or set theta_columns."
                )
            position = {name: index for index, name in enumerate(names)}
            theta_indices = np.array([position[column] for column in self.theta_columns])
        else:
            theta_indices = np.arange(n_columns - n_theta, n_columns)

        feature_indices = np.setdiff1d(np.arange(n_columns), theta_indices)
        if len(feature_indices) == 0:
            raise ValueError(
                f"ParameterizedClassifier: X has {n_columns} feature(s), all of them theta "
                f"columns ({n_theta}). Pass the event features before the theta columns."
            )
        return theta_indices, feature_indices

    def _prepare_fit(self, X, y_encoded):
        self.theta_indices_, self.feature_indices_ = self._locate_theta(X.shape[1])
        # Only the mass columns of the PAWS layout have a known unit; other theta may be anything.
        mass_indices = [index for index, name in zip(self.theta_indices_, self.theta_columns)
                        if name in THETA_COLUMNS]
        signal_theta = X[y_encoded == 1][:, mass_indices]
        if signal_theta.size and float(np.median(signal_theta)) < _MIN_MEDIAN_THETA_GEV:
            raise InputDataError(
                f"ParameterizedClassifier: the signal's theta columns {list(self.theta_columns)} have "
                f"median {float(np.median(signal_theta)):.4g}, which looks like TeV; theta is in GeV "
                "(e.g. mx = 500). Multiply them by 1000."
            )
        return self._prepare_predict(X)

    def _prepare_predict(self, X):
        order = np.concatenate([self.feature_indices_, self.theta_indices_])
        if np.array_equal(order, np.arange(X.shape[1])):
            return X
        return X[:, order]

    def _after_fit(self, X_inputs, y_encoded, split, rng):
        train_index, valid_index = split
        n_features = len(self.feature_indices_)

        signal_theta = X_inputs[train_index[y_encoded[train_index] == 1], n_features:]
        self.kappa_grid_axes_ = tuple(
            np.unique(np.linspace(low, high, self.kappa_grid_size))
            for low, high in zip(signal_theta.min(axis=0), signal_theta.max(axis=0))
        )

        # Calibration sample: validation background, which no gradient step has seen.
        # NOTE: for a well separated signal its size can be too small to fix kappa, because a few
        # signal-like events carry the mean. calibrate() then takes a larger sample.
        background = valid_index[y_encoded[valid_index] == 0]
        if len(background) > self.calibration_size:
            background = np.sort(rng.choice(background, self.calibration_size, replace=False))
        self._set_calibration(np.ascontiguousarray(X_inputs[background, :n_features]),
                              stacklevel=4)

    def _set_calibration(self, features, stacklevel):
        """Compute the kappa grid and its precision from background ``features`` (physical units).

        Warns with LowStatisticsWarning, attributed to the frame ``stacklevel`` levels up, when
        the relative standard error of the background mean exceeds ``MAX_CALIBRATION_ERROR`` at
        any node.
        """
        self.calibration_features_ = features
        nodes = np.stack(np.meshgrid(*self.kappa_grid_axes_, indexing="ij"), axis=-1)
        shape = nodes.shape[:-1]

        # The grid is computed with the frozen module itself, so the numpy and torch
        # likelihood ratios share one definition of kappa.
        self.log_kappa_grid_ = np.zeros(shape, dtype=np.float32)
        module = self.frozen_log_likelihood_ratio()
        with torch.no_grad():
            theta = torch.from_numpy(nodes.reshape(-1, nodes.shape[-1]).astype(np.float32))
            log_kappa, relative_error = module.log_kappa_exact(theta, return_error=True)
        self.log_kappa_grid_ = log_kappa.numpy().reshape(shape)
        self.calibration_error_ = relative_error.numpy().reshape(shape)

        worst = int(np.argmax(self.calibration_error_))
        worst_error = float(self.calibration_error_.flat[worst])
        worst_theta = tuple(float(value) for value in nodes.reshape(-1, nodes.shape[-1])[worst])
        logger.info("ParameterizedClassifier: kappa ranges over [%.4g, %.4g] on a %s grid from "
                    "%d background events, with relative standard error up to %.3g at theta = %s",
                    np.exp(log_kappa.min().item()), np.exp(log_kappa.max().item()),
                    "x".join(map(str, shape)), len(features), worst_error, worst_theta)

        # NOTE: the error is estimated from the same sample. When the signal-like tail of the
        # background is barely sampled, it understates the true error of kappa.
        if worst_error > MAX_CALIBRATION_ERROR:
            warnings.warn(
                f"ParameterizedClassifier: the calibration factor kappa(theta) has a relative "
                f"standard error of {worst_error:.3g} at theta = {worst_theta}, above "
                f"{MAX_CALIBRATION_ERROR:.3g}, from {len(features)} background events, because a "
                "few signal-like events carry the background mean of f / (1 - f). Call "
                "calibrate() with a larger background sample that the networks were not "
                "trained on.",
                LowStatisticsWarning,
                stacklevel=stacklevel,
            )

    def calibrate(self, X):
        """Recompute kappa(theta) from a background sample, e.g. one larger than the fit's.

        ``fit`` calibrates on the background of its validation split. The mean of f / (1 - f)
        over background is dominated by rare signal-like background events, so its precision
        grows with the sample. Pass background that the networks were not trained on.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Background events in physical units, with the columns of ``fit``. The theta
            columns are ignored.

        Returns
        -------
        self : ParameterizedClassifier
            The estimator, with new ``calibration_features_``, ``log_kappa_grid_`` and
            ``calibration_error_``.

        Warns
        -----
        LowStatisticsWarning
            If the relative standard error of kappa exceeds 0.05 at any grid node.
        """
        check_is_fitted(self, "networks_")
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        self._set_calibration(np.ascontiguousarray(X[:, self.feature_indices_]), stacklevel=3)
        return self

    # -- public API --------------------------------------------------------------------------

    def frozen_log_likelihood_ratio(self):
        """Build the frozen torch module of the calibrated log likelihood ratio, for PAWS.

        Returns
        -------
        module : FrozenLogLikelihoodRatio
            ``module.prepare(features)`` takes the feature columns (physical units, in the order
            of ``feature_indices_``) as a float32 tensor (N, n_feature_columns) and returns a
            row-sliceable tensor. ``module(prepared, theta)`` takes theta (R, n_theta) in GeV
            and returns log Lambda of shape (R, N), differentiable with respect to theta.
        """
        check_is_fitted(self, "networks_")
        n_features = len(self.feature_indices_)
        return FrozenLogLikelihoodRatio(
            self.networks_,
            feature_mean=self.input_mean_[:n_features],
            feature_scale=self.input_scale_[:n_features],
            theta_mean=self.input_mean_[n_features:],
            theta_scale=self.input_scale_[n_features:],
            kappa_axes=self.kappa_grid_axes_,
            log_kappa_grid=self.log_kappa_grid_,
            calibration_features=self.calibration_features_,
        )

    def log_likelihood_ratio(self, X):
        """Compute the calibrated log likelihood ratio log Lambda(x | theta) of every event.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units with their theta columns, as in ``fit``.

        Returns
        -------
        log_likelihood_ratio : ndarray of shape (n_samples,)
            log kappa(theta) + log(f / (1 - f)) at each event's own theta.
        """
        check_is_fitted(self, "networks_")
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        module = self.frozen_log_likelihood_ratio()
        features = torch.from_numpy(np.ascontiguousarray(X[:, self.feature_indices_]))
        theta = torch.from_numpy(np.ascontiguousarray(X[:, self.theta_indices_]))

        result = np.empty(len(X), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(X), PREDICTION_CHUNK_SIZE):
                stop = start + PREDICTION_CHUNK_SIZE
                prepared = module.prepare(features[start:stop])
                log_odds = module.log_odds_per_event(prepared, theta[start:stop])
                result[start:stop] = (log_odds + module.log_kappa(theta[start:stop])).numpy()
        return result

    def likelihood_ratio(self, X):
        """Compute the calibrated likelihood ratio Lambda = kappa(theta) f / (1 - f).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units with their theta columns, as in ``fit``.

        Returns
        -------
        likelihood_ratio : ndarray of shape (n_samples,)
            Its mean over background events is 1 at every theta of the calibration grid.
        """
        return np.exp(self.log_likelihood_ratio(X))

    def calibration_factor(self, theta):
        """Compute kappa(theta), the interpolated calibration factor.

        Parameters
        ----------
        theta : array-like of shape (R, n_theta)
            Parameters in GeV.

        Returns
        -------
        kappa : ndarray of shape (R,)
        """
        check_is_fitted(self, "networks_")
        theta = np.asarray(theta, dtype=np.float32).reshape(-1, len(self.theta_indices_))
        with torch.no_grad():
            log_kappa = self.frozen_log_likelihood_ratio().log_kappa(torch.from_numpy(theta))
        return np.exp(log_kappa.numpy().astype(np.float64))

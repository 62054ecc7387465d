"""The parameterized classifier f(x, theta) and its calibrated likelihood ratio.

PAWS freezes this classifier and reads from it the likelihood ratio
Lambda(x | theta) = p_signal(x | theta) / p_background(x). A classifier trained on signal against
background returns L = f / (1 - f) = c(theta) * Lambda, where c(theta) is the ratio of signal to
background training events at theta. The calibration factor kappa(theta) undoes c, so that
kappa * L averages 1 over background at every theta, as the true Lambda does. Without it the
signal fraction fitted by PAWS comes out biased.

The direct estimate kappa = 1 / mean_b[L] over background targets this definition, but for a
well separated signal the mean is carried by a handful of signal-like background events, and a
sample of 300k events can miss it by a factor of 2. The default estimate therefore uses held-out
signal as well ("bridge" calibration). At each theta, log kappa is the intercept of a logistic
regression of signal (drawn at theta) against background, with offset log L + log r and class
weights r : 1 (r = mu / (1 - mu)). Its score equation is

    mean_b[r kappa L / (1 + r kappa L)] = r mean_s[1 / (1 + r kappa L)],

whose terms are bounded. When L is proportional to Lambda, both sides are equal at the kappa
that makes mean_b[kappa L] = 1, for every r. When it is not, this kappa is the one for which the
PAWS score at signal fraction mu = ``calibration_signal_fraction`` has expectation 0 on a
mixture with that fraction, and for mu -> 0 it tends to 1 / E_b[L], the target of the direct
estimate, with a growing variance.

log kappa is a smooth surface: its values on a regular grid of theta that spans the signal's
theta, interpolated bicubically (smooth and cheap to differentiate inside the PAWS fit). The node
values are fitted jointly to all calibration events, each evaluated at its own theta, with a weak
penalty on the differences of neighbouring nodes.
"""

import copy
import logging
import math
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.special import expit
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from ._network import (
    PREDICTION_CHUNK_SIZE,
    BaseMLPClassifier,
    _ensemble_log_odds,
    check_feature_frame,
    check_finite,
)
from .exceptions import ConvergenceWarning, InputDataError, LowStatisticsWarning
from .datasets._columns import THETA_COLUMNS

logger = logging.getLogger(__name__)

# Largest standard error of log kappa, at any kappa grid node, that is accepted without a
# LowStatisticsWarning.
MAX_CALIBRATION_ERROR = 0.05

# Bounds of one block of the background-mean calibration: theta rows, and floats of one hidden
# activation (8 MiB), which keeps its working memory small next to the training data.
_CALIBRATION_THETAS_PER_BLOCK = 16
_CALIBRATION_BLOCK_FLOATS = 2**21

# Most (background event, theta) pairs evaluated by the bridge calibration. Every background
# event is evaluated at every distinct signal theta when that fits, else at as many thetas drawn
# from the signal's as fit.
_BRIDGE_MAX_ROWS = 2**22

# Weight of the penalty on differences of neighbouring log kappa nodes, relative to the mean
# curvature of the data term per node. It only decides nodes that no calibration event informs.
_BRIDGE_SMOOTHNESS = 1e-3

_BRIDGE_MAX_ITERATIONS = 100
_BRIDGE_TOLERANCE = 1e-9


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
                 kappa_axes, log_kappa_grid):
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

        self.register_buffer("log_kappa_grid", _grid_image(as_tensor(log_kappa_grid), self.n_theta))
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
        return _interpolate_grid(self.log_kappa_grid, self.kappa_low, self.kappa_high, theta)[0]

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


def _grid_image(grid, n_theta):
    """Reshape node values into the (1, 1, H, W) image that grid_sample reads."""
    if n_theta == 2:
        return grid.reshape(1, 1, -1, grid.shape[-1])
    return grid.reshape(1, 1, 1, -1)


def _interpolate_grid(image, low, high, theta):
    """Interpolate node values bicubically at theta, holding the border value outside the grid.

    ``image`` has shape (C, 1, H, W) and contains C grids of node values, whose nodes span
    ``low`` to ``high`` (GeV) in every theta dimension. Returns shape (C, R).
    """
    n_theta = theta.shape[-1]
    span = torch.where(high > low, high - low, torch.ones_like(high))
    position = 2.0 * (theta - low) / span - 1.0

    # grid_sample reads an image at (x, y) = (W, H) coordinates in [-1, 1].
    if n_theta == 2:
        coordinates = position.flip(-1)
    else:
        coordinates = torch.cat([position, torch.zeros_like(position)], dim=-1)
    coordinates = coordinates.reshape(1, 1, -1, 2).expand(len(image), -1, -1, -1)
    values = F.grid_sample(image, coordinates, mode="bicubic", padding_mode="border",
                           align_corners=True)
    return values.reshape(len(image), -1)


def _interpolation_basis(grid_shape, low, high, theta):
    """Return B of shape (R, n_nodes), float64, with log kappa(theta) = B @ node values.

    Interpolation is linear in the node values, so column j is the interpolation of the grid
    that is 1 at node j and 0 elsewhere.
    """
    n_nodes = math.prod(grid_shape)
    identity = torch.eye(n_nodes, dtype=torch.float64)
    images = torch.cat([_grid_image(node.reshape(grid_shape), theta.shape[-1])
                        for node in identity])
    low, high, theta = (tensor.double() for tensor in (low, high, theta))
    columns = [_interpolate_grid(images, low, high, theta[start:start + PREDICTION_CHUNK_SIZE])
               for start in range(0, len(theta), PREDICTION_CHUNK_SIZE)]
    return torch.cat(columns, dim=1).T.numpy()


def _event_log_odds(module, features, theta, progress=None):
    """Compute the uncalibrated log odds of every event at its own theta, as float64 numpy.

    ``features`` (N, n_features) and ``theta`` (N, n_theta) are float32 tensors.
    """
    result = np.empty(len(features), dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(features), PREDICTION_CHUNK_SIZE):
            stop = start + PREDICTION_CHUNK_SIZE
            prepared = module.prepare(features[start:stop])
            result[start:stop] = module.log_odds_per_event(prepared, theta[start:stop]).numpy()
            if progress is not None:
                progress.update(len(prepared))
    return result


def _background_log_odds(module, features, theta, index, progress):
    """Compute the uncalibrated log odds of background event e at theta[index[e, k]].

    ``features`` (N, n_features) and ``theta`` (T, n_theta) are float32 tensors and ``index``
    has shape (N, K). Returns float64 numpy of shape (N, K). Every event is prepared once.
    """
    n_per_event = index.shape[1]
    events_per_block = max(1, PREDICTION_CHUNK_SIZE // n_per_event)
    result = np.empty(index.shape, dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(features), events_per_block):
            stop = start + events_per_block
            prepared = module.prepare(features[start:stop]).repeat_interleave(n_per_event, dim=0)
            block_theta = theta[torch.from_numpy(np.ascontiguousarray(index[start:stop]).ravel())]
            log_odds = module.log_odds_per_event(prepared, block_theta)
            result[start:stop] = log_odds.numpy().reshape(-1, n_per_event)
            progress.update(len(prepared))
    return result


def _background_mean_log_kappa(module, features, theta):
    """Compute log kappa = -log mean_b[f / (1 - f)] over background ``features`` at every theta.

    Parameters
    ----------
    module : FrozenLogLikelihoodRatio
    features : torch.Tensor of shape (N, n_features), float32
        Background events in physical units.
    theta : torch.Tensor of shape (R, n_theta), float32
        Parameters in GeV.

    Returns
    -------
    log_kappa : ndarray of shape (R,)
    standard_error : ndarray of shape (R,)
        Relative standard error of the mean of f / (1 - f),
        ``std_b[f / (1 - f)] / (mean_b[f / (1 - f)] sqrt(N - 1))``, which is to first order the
        standard error of log kappa. It is infinite for a single event.
    """
    n_events = len(features)
    thetas_per_block = min(len(theta), _CALIBRATION_THETAS_PER_BLOCK)
    events_per_block = max(1, _CALIBRATION_BLOCK_FLOATS
                           // (len(module.members) * module.first_width * thetas_per_block))

    # log sum of L = f / (1 - f) and of L^2, accumulated in logs, because a few signal-like
    # events can carry values beyond the float32 range.
    log_sums, log_square_sums = [], []
    with torch.no_grad():
        for theta_start in range(0, len(theta), thetas_per_block):
            theta_block = theta[theta_start:theta_start + thetas_per_block]
            partial_sums, partial_square_sums = [], []
            for start in range(0, n_events, events_per_block):
                prepared = module.prepare(features[start:start + events_per_block])
                log_odds = module.log_odds(prepared, theta_block).double()
                partial_sums.append(torch.logsumexp(log_odds, dim=1))
                partial_square_sums.append(torch.logsumexp(2.0 * log_odds, dim=1))
            log_sums.append(torch.logsumexp(torch.stack(partial_sums), dim=0))
            log_square_sums.append(torch.logsumexp(torch.stack(partial_square_sums), dim=0))
    log_sum = torch.cat(log_sums).numpy()
    log_kappa = math.log(n_events) - log_sum
    if n_events < 2:
        return log_kappa, np.full_like(log_kappa, math.inf)

    # mean(L^2) / mean(L)^2 - 1 = N sum(L^2) / sum(L)^2 - 1, which is >= 0 up to rounding.
    log_second_moment_ratio = (torch.cat(log_square_sums).numpy() - 2.0 * log_sum
                               + math.log(n_events))
    relative_variance = np.clip(np.expm1(log_second_moment_ratio), 0.0, None)
    return log_kappa, np.sqrt(relative_variance / (n_events - 1))


def _background_theta_index(n_background, signal_theta_index, n_thetas, rng):
    """Give every background event the thetas at which the bridge calibration evaluates it.

    Returns an index array of shape (n_background, n_per_event) into the distinct signal thetas,
    and the weight of every entry: the share of the signal at that theta divided by the number
    of background entries there, so that the background weight follows the signal's theta
    distribution and sums to 1. With more distinct thetas than ``_BRIDGE_MAX_ROWS`` allows,
    the thetas are drawn from the signal events in turn, each pass in a new random order
    (stratified sampling), so that their frequencies match the signal's.
    """
    if n_background * n_thetas <= _BRIDGE_MAX_ROWS:
        index = np.broadcast_to(np.arange(n_thetas), (n_background, n_thetas))
    else:
        n_per_event = max(1, _BRIDGE_MAX_ROWS // n_background)
        n_rows = n_background * n_per_event
        n_passes = -(-n_rows // len(signal_theta_index))
        order = np.concatenate([rng.permutation(len(signal_theta_index))
                                for _ in range(n_passes)])[:n_rows]
        index = signal_theta_index[order].reshape(n_background, n_per_event)

    signal_share = np.bincount(signal_theta_index, minlength=n_thetas) / len(signal_theta_index)
    rows_per_theta = np.bincount(index.ravel(), minlength=n_thetas)
    weight_per_theta = signal_share / np.maximum(rows_per_theta, 1)
    return index, weight_per_theta[index]


def _difference_penalty(grid_shape):
    """Return D with x @ D @ x = sum of squared differences of neighbouring nodes of grid x."""
    penalty = np.zeros((math.prod(grid_shape),) * 2)
    for axis, size in enumerate(grid_shape):
        difference = np.diff(np.eye(size), axis=0)
        factors = [np.eye(other) for other in grid_shape]
        factors[axis] = difference.T @ difference
        term = factors[0]
        for factor in factors[1:]:
            term = np.kron(term, factor)
        penalty += term
    return penalty


class _BridgeProblem:
    """Weighted logistic regression that fits the log kappa node values of the bridge calibration.

    Signal event i (theta index ``signal_index[i]``, log odds ``signal_log_odds[i]``) has label
    1 and weight r / N_s. Background entry (e, k) has label 0 and weight
    ``background_weight[e, k]``. The model is P(signal) = sigmoid(log L + log r + B @ nodes),
    with a penalty ``smoothness`` * nodes @ D @ nodes / 2. The objective is convex.
    """

    def __init__(self, basis, signal_index, signal_log_odds, background_index,
                 background_log_odds, background_weight, odds):
        self.basis = basis
        self.odds = odds
        self.signal_index = signal_index
        self.signal_log_odds = signal_log_odds
        self.signal_weight = odds / len(signal_index)
        self.background_index = background_index
        self.background_log_odds = background_log_odds
        self.background_weight = background_weight
        self.smoothness = 0.0
        self.penalty = np.zeros((basis.shape[1],) * 2)

    def _probabilities(self, nodes):
        shift = self.basis @ nodes + math.log(self.odds)
        z_signal = self.signal_log_odds + shift[self.signal_index]
        z_background = self.background_log_odds + shift[self.background_index]
        return z_signal, z_background

    def objective(self, nodes):
        """Return the penalised weighted negative log-likelihood."""
        z_signal, z_background = self._probabilities(nodes)
        loss = (self.signal_weight * np.logaddexp(0.0, -z_signal).sum()
                + (self.background_weight * np.logaddexp(0.0, z_background)).sum())
        return loss + 0.5 * self.smoothness * nodes @ self.penalty @ nodes

    def derivatives(self, nodes, *, penalised=True):
        """Return the gradient and the Hessian of the objective with respect to the nodes."""
        n_thetas = self.basis.shape[0]
        z_signal, z_background = self._probabilities(nodes)
        p_signal, p_background = expit(z_signal), expit(z_background)
        background_index = self.background_index.ravel()
        background_weight = self.background_weight.ravel()
        p_background = p_background.ravel()

        gradient = (np.bincount(self.signal_index, self.signal_weight * (p_signal - 1.0),
                                n_thetas)
                    + np.bincount(background_index, background_weight * p_background, n_thetas))
        curvature = (np.bincount(self.signal_index,
                                 self.signal_weight * p_signal * (1.0 - p_signal), n_thetas)
                     + np.bincount(background_index,
                                   background_weight * p_background * (1.0 - p_background),
                                   n_thetas))
        gradient = self.basis.T @ gradient
        hessian = (self.basis.T * curvature) @ self.basis
        if penalised:
            gradient = gradient + self.smoothness * self.penalty @ nodes
            hessian = hessian + self.smoothness * self.penalty
        return gradient, hessian

    def score_covariance(self, nodes):
        """Return the covariance of the gradient of the data term, event by event.

        A background event evaluated at several thetas contributes one score, the sum over its
        entries, so that the correlation of its entries is kept (sandwich estimator).
        """
        z_signal, z_background = self._probabilities(nodes)
        signal_terms = self.signal_weight * (expit(z_signal) - 1.0)
        covariance = _centred_score_sum(signal_terms[:, None], self.signal_index[:, None],
                                        self.basis)
        background_terms = self.background_weight * expit(z_background)
        return covariance + _centred_score_sum(background_terms, self.background_index,
                                               self.basis)

    def solve(self, start):
        """Minimise the objective by Newton's method with backtracking, from ``start``.

        Returns the nodes and whether the step fell below ``_BRIDGE_TOLERANCE``.
        """
        nodes = np.asarray(start, dtype=np.float64)
        loss = self.objective(nodes)
        for _ in range(_BRIDGE_MAX_ITERATIONS):
            gradient, hessian = self.derivatives(nodes)
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
            scale = 1.0
            while True:
                candidate = nodes - scale * step
                candidate_loss = self.objective(candidate)
                if candidate_loss <= loss - 1e-4 * scale * gradient @ step or scale < 1e-10:
                    break
                scale *= 0.5
            nodes, loss = candidate, candidate_loss
            if np.max(np.abs(scale * step)) < _BRIDGE_TOLERANCE:
                return nodes, True
        return nodes, False


def _centred_score_sum(terms, index, basis):
    """Return sum_e (s_e - mean)(s_e - mean)^T of the scores s_e = sum_k terms[e, k] B[index[e, k]].

    The sum runs over blocks of events, because the scores of all events together can be large.
    """
    n_nodes = basis.shape[1]
    events_per_block = max(1, PREDICTION_CHUNK_SIZE // index.shape[1])
    outer, total = np.zeros((n_nodes, n_nodes)), np.zeros(n_nodes)
    for start in range(0, len(terms), events_per_block):
        stop = start + events_per_block
        scores = np.einsum("ek,ekj->ej", terms[start:stop], basis[index[start:stop]])
        outer += scores.T @ scores
        total += scores.sum(axis=0)
    return outer - np.outer(total, total) / len(terms)


def _fit_bridge(basis, grid_shape, signal_index, signal_log_odds, background_index,
                background_log_odds, background_weight, odds):
    """Fit the log kappa nodes of the bridge calibration and their standard errors.

    First fits one log kappa for all theta, then sets the smoothness penalty relative to the
    data curvature there and fits every node, starting from that constant.

    Returns
    -------
    nodes, standard_error : ndarray of shape (n_nodes,)
    converged : bool
    """
    constant = _BridgeProblem(basis.sum(axis=1, keepdims=True), signal_index, signal_log_odds,
                              background_index, background_log_odds, background_weight, odds)
    level, converged = constant.solve(np.zeros(1))

    problem = _BridgeProblem(basis, signal_index, signal_log_odds, background_index,
                             background_log_odds, background_weight, odds)
    start = np.full(basis.shape[1], level[0])
    _, data_hessian = problem.derivatives(start, penalised=False)
    problem.penalty = _difference_penalty(grid_shape)
    problem.smoothness = _BRIDGE_SMOOTHNESS * max(np.trace(data_hessian) / len(start),
                                                  np.finfo(np.float64).tiny)
    nodes, nodes_converged = problem.solve(start)

    # Sandwich covariance H^-1 (V + P / n) H^-1, with H the penalised Hessian, V the covariance
    # of the data score and P the penalty's Hessian. The class weights make the objective a
    # pseudo-likelihood, whose inverse Hessian is not the covariance. P adds the spread that the
    # penalty, read as a Gaussian prior, allows, so that a node without data gets a large error
    # instead of that of its neighbours. The objective is a mean over events, so P is divided by
    # n = trace(H_data) / trace(V), its effective number of events, which is N for a likelihood
    # without weights.
    data_gradient_covariance = problem.score_covariance(nodes)
    _, data_hessian = problem.derivatives(nodes, penalised=False)
    n_effective = np.trace(data_hessian) / max(np.trace(data_gradient_covariance),
                                               np.finfo(np.float64).tiny)
    inverse = np.linalg.pinv(data_hessian + problem.smoothness * problem.penalty)
    spread = data_gradient_covariance + problem.smoothness * problem.penalty / n_effective
    covariance = inverse @ spread @ inverse
    standard_error = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return nodes, standard_error, converged and nodes_converged


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
    theta columns may contain any number or NaN, as ``pandas.concat`` leaves them when the background
    table has no theta columns.

    After training, kappa(theta) is fitted on the signal and background of the validation split,
    which no gradient step has seen, so that :meth:`likelihood_ratio` averages 1 over background
    at every theta (see Notes). :meth:`calibrate` refits it on a larger held-out sample.

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
        the ensemble members and for the calibration of kappa.
    n_models : int, default=1
        Networks trained with different seeds (10 in the PAWS paper).
    n_keep : int or None, default=None
        Networks kept, those with the lowest validation loss (5 in the PAWS paper). None keeps
        all. Their mean probability is the ensemble output.
    calibration_size : int, default=20000
        Maximum number of validation events of each class that ``fit`` calibrates kappa on.
    calibration_signal_fraction : float, default=1e-3
        Signal fraction mu, in (0, 1), at which the bridge calibration makes kappa exact for
        PAWS (see Notes). Smaller values move kappa towards 1 / mean_b[f / (1 - f)] and rest it
        on fewer, more signal-like background events, so its standard error grows.
    kappa_grid_size : int, default=12
        Grid nodes per theta dimension at which log kappa is fitted.
    n_jobs : int or None, default=None
        Networks trained in parallel with joblib (None: one at a time).
    device : str, default="cpu"
        torch device of the training.
    random_state : int, RandomState instance or None, default=None
        Seed of the validation split, the initialisations, the shuffling, the background theta
        draws, the calibration sample and its theta draws.
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
        Standard error of log kappa at every grid node, estimated from the calibration sample:
        the sandwich estimate of the bridge fit, or for :meth:`calibrate` with background only,
        the relative standard error of the background mean of f / (1 - f). ``fit`` and
        :meth:`calibrate` emit a LowStatisticsWarning when its maximum exceeds 0.05.

    Notes
    -----
    With L = f / (1 - f), the bridge calibration fits log kappa(theta) as the intercept of a
    logistic regression of signal against background with offset log L + log r and class
    weights r : 1, where r = mu / (1 - mu) and mu = ``calibration_signal_fraction``. Every
    signal event is evaluated at its own theta and every background event at the distinct
    signal thetas (or at thetas drawn from the signal's when there are too many). Its score
    equation mean_b[r kappa L / (1 + r kappa L)] = r mean_s[1 / (1 + r kappa L)] has bounded
    terms. It is the condition under which the derivative of the PAWS log-likelihood with
    respect to mu, at fixed theta, has expectation 0 on data with signal fraction mu. When L is
    proportional to the true likelihood ratio, it gives mean_b[kappa L] = 1 for every mu.

    The node values of log kappa are fitted jointly to all calibration events, the
    interpolated log kappa at each event's theta entering the model, with a weak penalty on
    differences of neighbouring nodes. A node that the interpolation at no signal theta
    depends on (no signal theta within two grid cells, other than on another node) takes its
    value from its neighbours and gets a large ``calibration_error_``.

    When f / (1 - f) misses Lambda by a factor that varies with Lambda, as a network does on
    signal-like events that its training background hardly contained, kappa depends on mu.
    mean_b[kappa f / (1 - f)] = 1 then holds only in the limit mu -> 0, where the estimate
    rests on background events too rare to sample. For a well separated signal the mean can
    miss 1 by tens of percent.

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
                 calibration_size=20000, calibration_signal_fraction=1e-3,
                 kappa_grid_size=12, n_jobs=None, device="cpu",
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
        self.calibration_signal_fraction = calibration_signal_fraction
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
        fraction = self.calibration_signal_fraction
        if (not isinstance(fraction, (float, int, np.floating, np.integer))
                or isinstance(fraction, bool) or not 0.0 < fraction < 1.0):
            raise ValueError(
                f"ParameterizedClassifier: calibration_signal_fraction must be a number in (0, 1), "
                f"got {fraction!r}."
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

    def _fill_background_theta(self, X, y, *, fitting):
        """Return X with NaN theta of background rows set to 0, as ``fit`` ignores those values.

        ``pandas.concat`` of signal with theta columns and background without them leaves NaN in
        the background rows. NaN theta of a signal row raises, because that event's parameters
        are unknown. Inputs that ``fit`` rejects anyway are returned unchanged.

        Theta is located as ``fit`` and prediction locate it: by name in a DataFrame with string
        column names, when fitting or when the fitted estimator has feature names, and otherwise
        in the trailing columns.
        """
        signal_label = None
        if y is not None:
            y = np.asarray(y)
            labels = np.unique(y)
            if len(labels) != 2:
                return X
            signal_label = labels[1]

        n_theta = len(self.theta_columns)
        by_name = (isinstance(X, pd.DataFrame) and all(isinstance(name, str) for name in X.columns)
                   and (fitting or hasattr(self, "feature_names_in_")))
        if by_name:
            missing_columns = [name for name in self.theta_columns if name not in X.columns]
            if missing_columns:
                raise InputDataError(
                    f"ParameterizedClassifier: theta column(s) {missing_columns} are missing from X, "
                    f"whose columns are {list(X.columns)}. Add them or set theta_columns."
                )
            theta = X[list(self.theta_columns)].to_numpy(dtype=np.float64, na_value=np.nan)
        elif isinstance(X, pd.DataFrame):
            if X.shape[1] <= n_theta:
                return X
            theta = X.iloc[:, -n_theta:].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.asarray(X)
            if array.ndim != 2 or array.shape[1] <= n_theta or not np.issubdtype(array.dtype, np.number):
                return X
            theta = array[:, -n_theta:].astype(np.float64)
        # Without y, calibrate treats every event as background.
        is_background = np.ones(len(theta), dtype=bool) if y is None else y != signal_label
        if len(theta) != len(is_background):
            raise ValueError(
                f"ParameterizedClassifier: X has {len(theta)} events but y has "
                f"{len(is_background)} labels; give one label per event."
            )

        missing = np.isnan(theta)
        signal_missing = missing[~is_background].any(axis=0)
        if signal_missing.any():
            columns = [name for name, bad in zip(self.theta_columns, signal_missing) if bad]
            count = int(missing[~is_background].any(axis=1).sum())
            raise InputDataError(
                f"ParameterizedClassifier: theta column(s) {columns} are NaN in {count} signal "
                f"event(s) (label {signal_label!r}). Every signal event needs the parameters it was "
                "simulated at; drop those events or fill in their mass point."
            )
        if not missing.any():
            return X

        if by_name:
            X = X.copy()
            X[list(self.theta_columns)] = np.where(missing, 0.0, theta)
        elif isinstance(X, pd.DataFrame):
            X = X.copy()
            X.iloc[:, -n_theta:] = np.where(missing, 0.0, theta)
        else:
            X = np.array(X, copy=True)
            X[:, -n_theta:] = np.where(missing, 0.0, theta)
        return X

    def fit(self, X, y):
        """Train the ensemble and fit kappa(theta) on the validation split.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units: features and theta (see the class description). Theta of
            background rows is ignored and may be NaN.
        y : array-like of shape (n_samples,)
            Two class labels. The larger one (``classes_[1]``) is signal.

        Returns
        -------
        self : ParameterizedClassifier
            The fitted estimator.

        Raises
        ------
        InputDataError
            If a theta column is missing or NaN for a signal event, or the signal's masses look
            like TeV.
        ValueError
            If y does not have exactly two classes, or a parameter is invalid.
        """
        return super().fit(self._fill_background_theta(X, y, fitting=True), y)

    def _prepare_fit(self, X, y_encoded):
        self.theta_indices_, self.feature_indices_ = self._locate_theta(X.shape[1])
        self._check_theta_unit(X[y_encoded == 1][:, self.theta_indices_])
        return self._prepare_predict(X)

    def _check_theta_unit(self, signal_theta):
        """Raise InputDataError when the mass columns of the signal's theta look like TeV."""
        # Only the mass columns of the PAWS layout have a known unit; other theta may be anything.
        is_mass = np.array([name in THETA_COLUMNS for name in self.theta_columns])
        masses = signal_theta[:, is_mass]
        if masses.size and float(np.median(masses)) < _MIN_MEDIAN_THETA_GEV:
            raise InputDataError(
                f"ParameterizedClassifier: the signal's theta columns {list(self.theta_columns)} have "
                f"median {float(np.median(masses)):.4g}, which looks like TeV; theta is in GeV "
                "(e.g. mx = 500). Multiply them by 1000."
            )

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

        # Calibration sample: the validation split, which no gradient step has seen.
        # NOTE: for a well separated signal it is too small to fix kappa to 5 %, so fit warns
        # and calibrate() takes a larger sample.
        parts = []
        for label in (1, 0):
            members = valid_index[y_encoded[valid_index] == label]
            if len(members) > self.calibration_size:
                members = np.sort(rng.choice(members, self.calibration_size, replace=False))
            parts.append(members)
        signal, background = parts
        self._calibrate_bridge(
            np.ascontiguousarray(X_inputs[signal, :n_features]),
            np.ascontiguousarray(X_inputs[signal, n_features:]),
            np.ascontiguousarray(X_inputs[background, :n_features]),
            rng, stacklevel=4,
        )

    def _grid_nodes(self):
        """Return the kappa grid nodes, shape (n_nodes, n_theta), float32, in grid order."""
        nodes = np.stack(np.meshgrid(*self.kappa_grid_axes_, indexing="ij"), axis=-1)
        return nodes.reshape(-1, nodes.shape[-1]).astype(np.float32)

    def _grid_shape(self):
        return tuple(len(axis) for axis in self.kappa_grid_axes_)

    def _calibrate_bridge(self, signal_features, signal_theta, background_features, rng,
                          stacklevel):
        """Fit the log kappa grid to signal and background events (physical units), see Notes."""
        self.log_kappa_grid_ = np.zeros(self._grid_shape(), dtype=np.float32)
        module = self.frozen_log_likelihood_ratio()
        distinct_theta, signal_index = np.unique(signal_theta, axis=0, return_inverse=True)
        signal_index = signal_index.reshape(-1)
        background_index, background_weight = _background_theta_index(
            len(background_features), signal_index, len(distinct_theta), rng)

        n_rows = len(signal_theta) + background_index.size
        with tqdm(total=n_rows, desc="kappa calibration", unit="event",
                  disable=self.verbose < 1) as progress:
            signal_log_odds = _event_log_odds(module, torch.from_numpy(signal_features),
                                              torch.from_numpy(signal_theta), progress)
            background_log_odds = _background_log_odds(
                module, torch.from_numpy(background_features), torch.from_numpy(distinct_theta),
                background_index, progress)

        basis = _interpolation_basis(self._grid_shape(), module.kappa_low, module.kappa_high,
                                     torch.from_numpy(distinct_theta))
        odds = self.calibration_signal_fraction / (1.0 - self.calibration_signal_fraction)
        nodes, standard_error, converged = _fit_bridge(
            basis, self._grid_shape(), signal_index, signal_log_odds, background_index,
            background_log_odds, background_weight, odds)
        if not converged:
            warnings.warn(
                f"ParameterizedClassifier: the fit of log kappa did not converge in "
                f"{_BRIDGE_MAX_ITERATIONS} Newton steps, so kappa may be off. Calibrate on more "
                "events, so that signal and background overlap at every theta.",
                ConvergenceWarning, stacklevel=stacklevel,
            )
        self._store_calibration(
            nodes, standard_error,
            f"{len(signal_theta)} signal and {len(background_features)} background events",
            "Call calibrate(X, y) with more held-out signal and background events, or lower "
            "kappa_grid_size so that every grid node has signal within two grid cells.",
            stacklevel=stacklevel + 1,
        )

    def _calibrate_background_mean(self, background_features, stacklevel):
        """Set log kappa = -log mean_b[f / (1 - f)] at every grid node from background events."""
        self.log_kappa_grid_ = np.zeros(self._grid_shape(), dtype=np.float32)
        module = self.frozen_log_likelihood_ratio()
        log_kappa, standard_error = _background_mean_log_kappa(
            module, torch.from_numpy(background_features), torch.from_numpy(self._grid_nodes()))
        self._store_calibration(
            log_kappa, standard_error, f"{len(background_features)} background events",
            "A few signal-like events carry the background mean of f / (1 - f). Call "
            "calibrate(X, y) with held-out signal events as well, for the bridge calibration.",
            stacklevel=stacklevel + 1,
        )

    def _store_calibration(self, log_kappa, standard_error, sample, fix, stacklevel):
        """Store the log kappa nodes and their standard errors, and warn when they are imprecise.

        The LowStatisticsWarning is attributed to the frame ``stacklevel`` levels up.
        """
        shape = self._grid_shape()
        self.log_kappa_grid_ = np.asarray(log_kappa, dtype=np.float32).reshape(shape)
        self.calibration_error_ = np.asarray(standard_error, dtype=np.float64).reshape(shape)

        worst = int(np.argmax(self.calibration_error_))
        worst_error = float(self.calibration_error_.flat[worst])
        worst_theta = tuple(float(value) for value in self._grid_nodes()[worst])
        logger.info("ParameterizedClassifier: kappa ranges over [%.4g, %.4g] on a %s grid from %s, "
                    "with standard error of log kappa up to %.3g at theta = %s",
                    np.exp(self.log_kappa_grid_.min()), np.exp(self.log_kappa_grid_.max()),
                    "x".join(map(str, shape)), sample, worst_error, worst_theta)

        # NOTE: the error is estimated from the same sample. When the overlap of signal and
        # background is barely sampled, it understates the true error of kappa.
        if worst_error > MAX_CALIBRATION_ERROR:
            warnings.warn(
                f"ParameterizedClassifier: log kappa(theta) has a standard error of "
                f"{worst_error:.3g} at theta = {worst_theta}, above {MAX_CALIBRATION_ERROR:.3g}, "
                f"from {sample}. {fix}",
                LowStatisticsWarning,
                stacklevel=stacklevel,
            )

    def calibrate(self, X, y=None):
        """Refit kappa(theta) on held-out events, e.g. more than the validation split of ``fit``.

        With ``y``, kappa is fitted by the bridge calibration of the class Notes to the signal
        and background events of X. Without ``y``, X is background only and
        kappa = 1 / mean_b[f / (1 - f)] at every grid node. That mean is carried by a few
        signal-like background events, so for a well separated signal it can be off by a
        factor of 2 even on 300,000 events. Prefer the bridge calibration. Pass events that
        the networks were not trained on.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units, with the columns of ``fit``. The theta columns of signal
            events are their parameters (GeV). Those of background events are ignored and may be
            NaN.
        y : array-like of shape (n_samples,) or None, default=None
            Class of every event, with the labels of ``fit`` (``classes_[1]`` is signal). Both
            classes must occur. None means that X is background only.

        Returns
        -------
        self : ParameterizedClassifier
            The estimator, with new ``log_kappa_grid_`` and ``calibration_error_``.

        Raises
        ------
        ValueError
            If y contains a label unknown to ``fit``, or lacks one of the two classes.

        Warns
        -----
        LowStatisticsWarning
            If the standard error of log kappa exceeds 0.05 at any grid node.
        """
        check_is_fitted(self, "networks_")
        X = self._fill_background_theta(X, y, fitting=False)
        check_finite(X, type(self).__name__)
        if y is None:
            X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
            self._calibrate_background_mean(np.ascontiguousarray(X[:, self.feature_indices_]),
                                            stacklevel=3)
            return self

        X, y = validate_data(self, X, y, dtype=np.float32, reset=False, force_writeable=True)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"ParameterizedClassifier: y contains the labels {unknown.tolist()}, which fit did "
                f"not see; use {self.classes_.tolist()} ({self.classes_[1]!r} for signal)."
            )
        is_signal = y == self.classes_[1]
        if is_signal.all() or not is_signal.any():
            raise ValueError(
                f"ParameterizedClassifier: calibrate needs signal ({self.classes_[1]!r}) and "
                f"background ({self.classes_[0]!r}) events, but y has {int(is_signal.sum())} "
                f"signal and {int((~is_signal).sum())} background events."
            )
        signal_theta = np.ascontiguousarray(X[is_signal][:, self.theta_indices_])
        self._check_theta_unit(signal_theta)
        features = np.ascontiguousarray(X[:, self.feature_indices_])
        self._calibrate_bridge(features[is_signal], signal_theta, features[~is_signal],
                               check_random_state(self.random_state), stacklevel=3)
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
        check_feature_frame(X, type(self).__name__)
        check_finite(X, type(self).__name__)
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        module = self.frozen_log_likelihood_ratio()
        features = torch.from_numpy(np.ascontiguousarray(X[:, self.feature_indices_]))
        theta = torch.from_numpy(np.ascontiguousarray(X[:, self.theta_indices_]))
        with torch.no_grad():
            log_kappa = module.log_kappa(theta).numpy()
        return _event_log_odds(module, features, theta) + log_kappa

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

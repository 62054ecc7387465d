"""PAWSClassifier: prior-assisted weak supervision on top of a frozen parameterised classifier.

A fitted :class:`~sklearn_paws.ParameterizedClassifier` gives the likelihood ratio
Lambda(x | m_X, m_Y) = p_S(x | theta) / p_B(x). PAWS classifies data (D, label 1) against a
background-only reference (R, label 0) with the fixed functional form

    f(x) = (mu L + 1 - mu) / (mu L + 2 - mu),  L = sum over decay modes k of BR_k Lambda_k(x|theta)

and learns only m_X, m_Y, the signal fraction mu and, with two decay modes, the three-prong
branching fraction alpha. The pre-trained networks stay frozen.
"""

import logging
import math
import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .datasets._columns import THREE_PRONG
from .exceptions import ConvergenceWarning, DataQualityWarning, InputDataError
from ._network import check_feature_frame

logger = logging.getLogger(__name__)

# Fitted signal fraction above which PAWS warns: a resonance search expects a small signal, so
# such a fit means that data and reference differ in their background, or that the prior is poor.
LARGE_SIGNAL_FRACTION = 0.5

# Masses are optimised in units of 100 GeV so that one Adam step of size learning_rate moves a mass
# by learning_rate * 100 GeV, the same step scale as log(mu) and logit(alpha).
_MASS_UNIT_GEV = 100.0

# Columns of a parameter row: (m_X, m_Y, mu, alpha) in physical units (GeV), or as optimised
# (m_X / 100 GeV, m_Y / 100 GeV, log mu, logit alpha).
_MX, _MY, _LOG_MU, _ALPHA_LOGIT = range(4)

# Events per chunk when a pass does not need gradients (validation, prediction, landscapes).
_EVAL_CHUNK = 4096

_ADAM_BETAS = (0.9, 0.999)
_ADAM_EPS = 1e-8


def _torch():
    import torch

    return torch


class PAWSClassifier(ClassifierMixin, BaseEstimator):
    """Prior-assisted weakly supervised classifier of data against a background-only reference.

    The classifier is f(x) = (mu L + 1 - mu) / (mu L + 2 - mu), the optimal data-versus-reference
    classifier when the data are a mixture mu p_S + (1 - mu) p_B and L is the likelihood ratio
    p_S / p_B. L comes from frozen pre-trained :class:`~sklearn_paws.ParameterizedClassifier` models
    evaluated at the learnt masses; only m_X, m_Y, mu and (with two decay modes) alpha are learnt.

    Parameters
    ----------
    pretrained : ParameterizedClassifier or mapping of str to ParameterizedClassifier
        Fitted parameterised classifier(s) with ``theta_columns`` of length 2, (m_X, m_Y) in GeV.
        A mapping gives one classifier per decay mode of Y, e.g. ``{"qq": clf2, "qqq": clf3}``; with
        two modes L = (1 - alpha) L_first + alpha L_second and alpha is learnt. alpha is the
        branching fraction of the ``"qqq"`` mode when that key is present, else of the second key.
        A :class:`sklearn.frozen.FrozenEstimator` wrapper is accepted too. ``fit`` never modifies
        these models, and :func:`sklearn.base.clone` keeps them (fitted) instead of cloning them.
    mass_bounds : tuple of float, default=(50.0, 600.0)
        Physical range of m_X and m_Y in GeV, usually the mass range of the pre-training grid.
        Start points are drawn inside it and an exponential penalty keeps the fit inside it.
    mu_bounds : tuple of float, default=(1e-5, 1.0)
        Range of the signal fraction mu, kept by an exponential penalty on log(mu).
    n_init : int, default=10
        Number of restarts, each from uniformly drawn masses, mu = exp(-4) and alpha = exp(-1).
        All restarts are trained together in one batched pass through the frozen networks.
    n_keep : int, default=5
        Maximum number of restarts, those with the lowest validation loss, whose scores are
        averaged in :meth:`predict_proba`.
    keep_tolerance : float or None, default=4.0
        A restart among the best ``n_keep`` is kept only if its validation loss exceeds the best
        one by at most this much, in units of the test statistic (``test_statistic_``), so by
        about 2 standard deviations at the default. Restarts stuck in another minimum then do not
        dilute the scores of the best one. None keeps all ``n_keep`` restarts, as in the PAWS
        paper.
    learning_rate : float, default=0.05
        Initial Adam step size, in units of 100 GeV for the masses, of log(mu) and of logit(alpha).
    batch_size : int, default=512
        Events of D and R together per optimisation step.
    max_epochs : int, default=20
        Maximum number of passes over the training part of D and R.
    patience : int, default=3
        A restart stops after this many epochs without a lower validation loss, and keeps the
        parameters of its best epoch.
    lr_patience : int, default=1
        The step size of a restart is halved after this many epochs without a lower validation loss.
    tol : float, default=0.1
        Smallest decrease of the validation loss that counts as lower, in units of the test
        statistic (see ``test_statistic_``), i.e. a loss decrease of ``tol / (8 n_eff)``.
        It stops restarts that only creep: along a flat valley of the loss, or far from any
        signal while mu slides down step by step.
    max_grad_norm : float, default=1e-3
        Gradients of each restart are clipped to this Euclidean norm before the Adam update.
    penalty_strength : float, default=1.0
        Scale of the boundary penalty ``strength * (exp(distance) - 1)``, with the distance outside
        the bounds in units of 100 GeV for the masses and of log(mu) for mu.
    validation_fraction : float, default=0.25
        Fraction of D and of R held out for early stopping, the choice of restarts, the mass-swap
        check and the test statistic.
    random_state : int, RandomState instance or None, default=None
        Seed of the validation split, the start points and the batch order.
    verbose : bool, default=True
        Show a progress bar over epochs (hidden automatically when the output is not a terminal).

    Attributes
    ----------
    mx_, my_ : float
        Fitted masses in GeV of the restart with the lowest validation loss.
    mu_ : float
        Fitted signal fraction of D: the mu that maximises the likelihood of all data events,
        sum_i log(1 - mu + mu L_i), at the masses and alpha of that restart. It is 0 when the data
        events prefer no signal at those parameters.
    mu_bce_ : float
        Signal fraction of that restart as the cross-entropy fit left it. :meth:`predict_proba`,
        :meth:`decision_function` and :meth:`score` use these cross-entropy values.
    alpha_ : float
        Fitted three-prong branching fraction of that restart; NaN with a single decay mode.
    restarts_ : pandas.DataFrame
        One row per restart: start and end parameters (``mu`` as in ``mu_``, ``mu_bce`` as in
        ``mu_bce_``), validation loss, its gap to the best restart in units of the test statistic
        (``statistic_gap``), epochs, whether the masses
        were swapped by the symmetry check, whether mu was set to its lower bound because the
        validation part fits no signal better (``signal_rejected``), rank and whether the restart
        is kept.
    loss_curve_ : ndarray of shape (n_epochs, n_init)
        Training loss (weighted BCE plus penalty) per epoch and restart; NaN once a restart
        stopped.
    validation_loss_curve_ : ndarray of shape (n_epochs, n_init)
        Validation loss (weighted BCE) per epoch and restart; NaN after a restart stopped.
    validation_loss_ : float
        Validation loss of the best restart.
    test_statistic_ : float
        ``8 * n_eff * (log(2) - validation_loss_)`` with ``n_eff = n_D n_R / (n_D + n_R)`` counted
        on the validation part: the likelihood-ratio test statistic of the fitted signal against
        mu = 0, whose loss is exactly log(2).
    significance_ : float
        ``sqrt(max(test_statistic_, 0))``, a local significance in standard deviations.
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: reference and data.
    n_features_in_ : int
        Number of features, without theta.
    feature_names_in_ : ndarray of str
        Feature names, when the pre-trained classifier was fitted on a DataFrame.
    decay_modes_ : list of str
        Decay modes of the pre-trained classifiers, in the order of the mixture.

    Notes
    -----
    ``fit(X, y)`` and ``fit(data, reference)`` are told apart by the second argument: a 2-D array or
    a DataFrame is the reference, a 1-D array or Series are labels (1 = data, 0 = reference).

    The loss weights D and R equally (each carries half the total weight), so f above is the
    optimal classifier whatever the sizes of D and R, and mu is the signal fraction of D.

    Masses and mu are kept in their bounds by a penalty that grows exponentially outside: it keeps
    the Adam step the same everywhere inside the box, where a bounded reparameterisation (sigmoid)
    would flatten the gradient near the edges, where real signals such as 50 or 600 GeV sit. alpha
    is reparameterised as sigmoid(logit) instead, because it enters L linearly and an alpha outside
    [0, 1], even briefly, could make L negative.

    After training, each restart is compared on the validation part with two alternatives: the
    swapped masses, and its masses with mu at the lower bound (no signal); the alternative with the
    lower loss replaces it.

    Two estimates of mu come out of a fit. The cross-entropy of D against R is nearly flat in mu
    where the signal is sparse and well separated, because the bulk of D and R cancel to first
    order. Once mu L >> 1 on the signal events, a few data events that no reference event opposes
    then pull mu up. ``mu_`` is instead the maximum-likelihood fraction of the data alone,
    p_D = p_B (1 - mu + mu L), which rests on the calibration of L (mean 1 over background). Each
    background event with L << 1 then costs about mu in log-likelihood, so mu cannot float up.
    With the toy model's exact likelihood ratio (``benchmarks/bench_paws_null.py``, 50,000 data
    and reference events, 10 seeds), ``mu_`` on background alone is 0 in every fit. Injected mu of
    2e-4, 5e-4, 1e-3 and 1e-2 come out at medians of 1.6e-4, 4.8e-4, 9.7e-4 and 1.0e-2. The
    cross-entropy value ``mu_bce_`` is 2.4e-3 to 1.3e-2 on background alone. ``test_statistic_``
    decides whether a signal is present: it detects mu = 5e-4.

    NOTE: ``mu_`` is only as good as the calibration of the pre-trained ratio over the real
    background. Where the simulation misdescribes that background, ``mu_`` is biased.
    """

    def __init__(
        self,
        pretrained=None,
        *,
        mass_bounds=(50.0, 600.0),
        mu_bounds=(1e-5, 1.0),
        n_init=10,
        n_keep=5,
        keep_tolerance=4.0,
        learning_rate=0.05,
        batch_size=512,
        max_epochs=20,
        patience=3,
        lr_patience=1,
        tol=0.1,
        max_grad_norm=1e-3,
        penalty_strength=1.0,
        validation_fraction=0.25,
        random_state=None,
        verbose=True,
    ):
        self.pretrained = pretrained
        self.mass_bounds = mass_bounds
        self.mu_bounds = mu_bounds
        self.n_init = n_init
        self.n_keep = n_keep
        self.keep_tolerance = keep_tolerance
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr_patience = lr_patience
        self.tol = tol
        self.max_grad_norm = max_grad_norm
        self.penalty_strength = penalty_strength
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_clone__(self):
        # Clone every hyper-parameter except the pre-trained models, which are shared as they are:
        # re-cloning them would discard their training, and fit never modifies them.
        params = self.get_params(deep=False)
        pretrained = params.pop("pretrained")
        if isinstance(pretrained, Mapping):
            pretrained = dict(pretrained)
        cloned = {name: clone(value, safe=False) for name, value in params.items()}
        return type(self)(pretrained=pretrained, **cloned)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------------------------------
    # Fitting

    def fit(self, X, y):
        """Fit the masses, mu and alpha by classifying data against reference.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_events, n_features)
            Events with the features of the pre-trained classifier (no theta columns). With ``y``
            1-D, all events; with ``y`` 2-D, the data D.
        y : array-like of shape (n_events,) or (n_reference, n_features)
            1-D: labels, 1 for data and 0 for reference (nothing else is allowed, so truth labels
            cannot reach the fit). 2-D: the reference R.

        Returns
        -------
        self : PAWSClassifier
            The fitted classifier.

        Raises
        ------
        InputDataError
            If the features do not match those of the pre-trained classifier, if D or R is empty or
            contains non-finite values, or if the jet masses look like GeV (DataFrames, and arrays
            when the pre-trained classifier has feature names).
        ValueError
            If a hyper-parameter is invalid or ``y`` contains values other than 0 and 1.
        """
        torch = _torch()
        self._check_hyperparameters()
        modes = self._resolve_pretrained()
        data, reference = self._split_data_reference(X, y, reset=True)
        for name, events in (("data", data), ("reference", reference)):
            if len(events) < _MIN_EVENTS:
                raise InputDataError(
                    f"PAWSClassifier: the {name} has {len(events)} events; a fit needs at least "
                    f"{_MIN_EVENTS} in each of data and reference to hold out a validation part."
                )
        rng = check_random_state(self.random_state)
        self.decay_modes_ = [name for name, _ in modes]

        # Held-out part of D and R, drawn separately so both keep their proportions.
        data_train, data_val = _split_rows(data, self.validation_fraction, rng)
        reference_train, reference_val = _split_rows(reference, self.validation_fraction, rng)
        parts = {"training part of the data": data_train, "validation part of the data": data_val,
                 "training part of the reference": reference_train,
                 "validation part of the reference": reference_val}
        for name, part in parts.items():
            if len(part) == 0:
                raise InputDataError(
                    f"The {name} is empty: give more events or change validation_fraction "
                    f"(now {self.validation_fraction})."
                )
        logger.info(
            "PAWS fit: %d data and %d reference events for training, %d and %d for validation.",
            len(data_train), len(reference_train), len(data_val), len(reference_val),
        )

        modules = [(name, clf.frozen_log_likelihood_ratio()) for name, clf in modes]
        device = _module_device(modules[0][1])
        train_features = np.concatenate([data_train, reference_train])
        train_labels = np.concatenate([np.ones(len(data_train)), np.zeros(len(reference_train))])
        train = _PreparedEvents(modules, train_features, train_labels, device)
        val_features = np.concatenate([data_val, reference_val])
        val_labels = np.concatenate([np.ones(len(data_val)), np.zeros(len(reference_val))])
        validation = _PreparedEvents(modules, val_features, val_labels, device)

        starts = self._draw_starts(rng)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            result = self._optimise(modules, train, validation, starts, device)

        self._store_result(modules, result, starts, train, validation)
        return self

    def _check_hyperparameters(self):
        low, high = _check_bounds("mass_bounds", self.mass_bounds, positive=True)
        if high < 10.0:
            raise ValueError(
                f"mass_bounds={self.mass_bounds!r} looks like TeV; the bounds are in GeV, "
                "e.g. (50.0, 600.0)."
            )
        mu_low, mu_high = _check_bounds("mu_bounds", self.mu_bounds, positive=True)
        if mu_high > 1.0:
            raise ValueError(f"mu_bounds must lie in (0, 1], got {self.mu_bounds!r}.")
        for name in ("n_init", "n_keep", "batch_size", "max_epochs", "patience", "lr_patience"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if self.n_keep > self.n_init:
            raise ValueError(
                f"n_keep ({self.n_keep}) must not exceed n_init ({self.n_init}); lower n_keep or "
                f"raise n_init."
            )
        for name in ("learning_rate", "max_grad_norm", "penalty_strength"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
        if self.keep_tolerance is not None and (
            not isinstance(self.keep_tolerance, numbers.Real) or not self.keep_tolerance >= 0
        ):
            raise ValueError(
                f"keep_tolerance must be a non-negative number or None, got {self.keep_tolerance!r}."
            )
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")
        if not isinstance(self.validation_fraction, numbers.Real) or not (
            0.0 < self.validation_fraction < 1.0
        ):
            raise ValueError(
                f"validation_fraction must lie strictly between 0 and 1, got "
                f"{self.validation_fraction!r}."
            )
        return low, high, mu_low, mu_high

    def _resolve_pretrained(self):
        """Return [(decay_mode, fitted classifier), ...] after checking the pre-trained models."""
        pretrained = self.pretrained
        if pretrained is None:
            raise ValueError(
                "pretrained is None: pass a fitted ParameterizedClassifier, or a mapping from "
                "decay mode to one, e.g. PAWSClassifier(pretrained={'qq': clf2, 'qqq': clf3})."
            )
        if isinstance(pretrained, Mapping):
            modes = [(str(name), _unwrap_frozen(clf)) for name, clf in pretrained.items()]
        else:
            modes = [("default", _unwrap_frozen(pretrained))]
        if not 1 <= len(modes) <= 2:
            raise ValueError(
                f"pretrained must hold one or two decay modes, got {len(modes)}: "
                f"{[name for name, _ in modes]}."
            )
        if len(modes) == 2 and THREE_PRONG not in [name for name, _ in modes]:
            raise ValueError(
                f"pretrained has the decay modes {[name for name, _ in modes]}; with two modes, one "
                f"must be {THREE_PRONG!r}, because alpha is its branching fraction. Use "
                f"{{'qq': clf2, {THREE_PRONG!r}: clf3}}."
            )
        if len(modes) == 2 and modes[0][0] == THREE_PRONG:
            modes.reverse()

        signatures = []
        for name, clf in modes:
            if not hasattr(clf, "frozen_log_likelihood_ratio"):
                raise TypeError(
                    f"pretrained model of mode {name!r} is a {type(clf).__name__}, which has no "
                    f"frozen_log_likelihood_ratio(); pass a fitted ParameterizedClassifier."
                )
            check_is_fitted(clf)
            theta_columns = tuple(getattr(clf, "theta_columns", ()))
            if len(theta_columns) != 2:
                raise ValueError(
                    f"pretrained model of mode {name!r} has theta_columns={theta_columns!r}; PAWS "
                    f"learns exactly two masses (m_X, m_Y), so it needs two theta columns."
                )
            signatures.append((name, _pretrained_features(clf)))

        first_name, (first_names, first_count) = signatures[0]
        for name, (names, count) in signatures[1:]:
            if count != first_count or (names is not None and first_names is not None
                                        and list(names) != list(first_names)):
                raise ValueError(
                    f"The pre-trained models of modes {first_name!r} and {name!r} use different "
                    f"features ({first_names or first_count} and {names or count}); train them on "
                    f"the same feature columns."
                )
        self._expected_features = (first_names, first_count)
        return modes

    def _split_data_reference(self, X, y, *, reset):
        """Return (data, reference) as float32 arrays from either calling form of ``fit``."""
        if y is None:
            raise ValueError(
                "y is missing: call fit(X, y) with labels (1 = data, 0 = reference) or "
                "fit(data, reference) with two event tables."
            )
        if _is_two_dimensional(y):
            _, expected_count = self._expected_features
            if np.shape(y)[1] == 1 and expected_count != 1 and len(y) == len(X):
                raise InputDataError(
                    f"y has shape {np.shape(y)}: a 2-D y is read as the reference events, but it "
                    f"has one column and the pre-trained classifier uses {expected_count} features. "
                    "Pass labels as a 1-D array or Series, e.g. df['label'] or y.ravel()."
                )
            data = self._validate_features(X, "data", reset=reset)
            reference = self._validate_features(y, "reference", reset=False)
        else:
            labels = _check_labels(y)
            features = self._validate_features(X, "X", reset=reset)
            if len(labels) != len(features):
                raise ValueError(
                    f"X has {len(features)} events but y has {len(labels)} labels; give one label "
                    f"per event."
                )
            data = features[labels == 1]
            reference = features[labels == 0]
        for name, part in (("data", data), ("reference", reference)):
            if len(part) == 0:
                raise InputDataError(
                    f"The {name} is empty: PAWS needs events of both data (label 1) and reference "
                    f"(label 0)."
                )
        _warn_shared_events(data, reference)
        return data, reference

    def _validate_features(self, X, name, *, reset):
        expected_names, expected_count = self._expected_features
        if isinstance(X, pd.DataFrame):
            if expected_names is not None:
                missing = [column for column in expected_names if column not in X.columns]
                if missing:
                    raise InputDataError(
                        f"{name} lacks the columns {missing} of the pre-trained classifier, which "
                        f"uses {list(expected_names)}; add them or pass the matching feature table."
                    )
                X = X.loc[:, list(expected_names)]
            check_feature_frame(X, f"PAWSClassifier ({name})")
            values = X.to_numpy(dtype=np.float64)
        else:
            values = np.asarray(X, dtype=np.float64)
        if values.ndim != 2:
            raise InputDataError(
                f"{name} must be 2-D (events, features), got an array of shape {values.shape}."
            )
        if values.shape[1] != expected_count:
            raise InputDataError(
                f"{name} has {values.shape[1]} features, but the pre-trained classifier uses "
                f"{expected_count}"
                + (f" ({list(expected_names)})" if expected_names is not None else "")
                + "; pass the same feature columns, without theta."
            )
        if expected_names is not None and not isinstance(X, pd.DataFrame):
            # Array columns follow the pre-trained classifier's names, so the jet masses can be
            # checked for GeV as they are in a DataFrame.
            masses = [index for index, column in enumerate(expected_names) if column in ("mj1", "mj2")]
            if masses:
                named = pd.DataFrame(values[:, masses], columns=[expected_names[i] for i in masses])
                check_feature_frame(named, f"PAWSClassifier ({name}, array input)")
        if not np.all(np.isfinite(values)):
            bad = int(np.sum(~np.all(np.isfinite(values), axis=1)))
            raise InputDataError(
                f"{name} has {bad} events with NaN or infinite features; drop or repair them first."
            )
        if reset:
            self.n_features_in_ = expected_count
            if expected_names is not None:
                self.feature_names_in_ = np.asarray(expected_names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        return values.astype(np.float32)

    def _draw_starts(self, rng):
        low, high = self.mass_bounds
        starts = np.empty((self.n_init, 4))
        starts[:, [_MX, _MY]] = rng.uniform(low, high, size=(self.n_init, 2))
        starts[:, _LOG_MU] = math.exp(-4.0)
        starts[:, _ALPHA_LOGIT] = math.exp(-1.0)
        return starts

    def _scaled_bounds(self):
        low, high = self.mass_bounds
        mu_low, mu_high = self.mu_bounds
        return (low / _MASS_UNIT_GEV, high / _MASS_UNIT_GEV), (math.log(mu_low), math.log(mu_high))

    def _optimise(self, modules, train, validation, starts, device):
        """Train all restarts together with per-restart Adam, clipping and early stopping."""
        torch = _torch()
        n_restarts = len(starts)
        params = torch.tensor(_to_internal(starts), dtype=torch.float32, device=device)
        params.requires_grad_(True)
        first_moment = torch.zeros_like(params)
        second_moment = torch.zeros_like(params)
        step_count = torch.zeros(n_restarts, 1, device=device)
        learning_rates = torch.full((n_restarts, 1), float(self.learning_rate), device=device)
        active = np.ones(n_restarts, dtype=bool)

        best_params = params.detach().clone()
        best_val = np.full(n_restarts, np.inf)
        since_best = np.zeros(n_restarts, dtype=int)
        since_lr_change = np.zeros(n_restarts, dtype=int)
        epochs_run = np.zeros(n_restarts, dtype=int)
        loss_curve, val_curve = [], []

        n_train = len(train)
        weights = train.balanced_weights()
        n_data, n_reference = validation.counts()
        min_decrease = self.tol * (n_data + n_reference) / (8.0 * n_data * n_reference)
        n_batches = max(1, math.ceil(n_train / self.batch_size))
        mass_box, log_mu_box = self._scaled_bounds()

        progress = tqdm(range(self.max_epochs), desc="PAWS fit", unit="epoch",
                        disable=None if self.verbose else True)
        for epoch in progress:
            rows = torch.as_tensor(np.flatnonzero(active), device=device)
            order = torch.randperm(n_train, device=device)
            epoch_loss = torch.zeros(len(rows), device=device)
            # Mean of the iterates over the epoch: in the flat directions of the loss (mu far
            # above the signal's Lambda saturates the BCE) Adam's steps wander, and averaging
            # them gives a far less noisy point to validate and keep.
            epoch_average = torch.zeros(len(rows), params.shape[1], device=device)
            for batch in range(n_batches):
                index = order[batch * self.batch_size:(batch + 1) * self.batch_size]
                sub = params[rows]
                per_event = _event_losses(modules, train.slice(index), sub, train.labels[index])
                bce = (per_event * weights[index]).mean(dim=1)
                penalty = self.penalty_strength * _boundary_penalty(sub, mass_box, log_mu_box)
                objective = bce + penalty
                grad, = torch.autograd.grad(objective.sum(), params)
                with torch.no_grad():
                    _adam_step(params, grad, rows, first_moment, second_moment, step_count,
                               learning_rates, self.max_grad_norm)
                epoch_loss += objective.detach() * len(index) / n_train
                epoch_average += params.detach()[rows] / n_batches

            val_loss = self._validation_losses(modules, validation, epoch_average)
            train_row = np.full(n_restarts, np.nan)
            val_row = np.full(n_restarts, np.nan)
            train_row[rows.cpu().numpy()] = epoch_loss.cpu().numpy()
            val_row[rows.cpu().numpy()] = val_loss
            loss_curve.append(train_row)
            val_curve.append(val_row)

            for position, restart in enumerate(rows.cpu().numpy()):
                epochs_run[restart] += 1
                if val_loss[position] < best_val[restart] - min_decrease:
                    best_val[restart] = val_loss[position]
                    best_params[restart] = epoch_average[position]
                    since_best[restart] = 0
                    since_lr_change[restart] = 0
                else:
                    since_best[restart] += 1
                    since_lr_change[restart] += 1
                if since_lr_change[restart] >= self.lr_patience:
                    learning_rates[restart] *= 0.5
                    since_lr_change[restart] = 0
                if since_best[restart] >= self.patience:
                    active[restart] = False
            progress.set_postfix(active=int(active.sum()), best=f"{np.min(best_val):.6f}")
            if not active.any():
                break
        progress.close()

        # Warn only about kept restarts. Restarts stuck far from any signal often creep on until
        # max_epochs while mu slides towards its lower bound, and they do not enter the result.
        ranking = np.argsort(best_val, kind="stable")[: self.n_keep]
        unfinished = [int(restart) for restart in ranking if active[restart]]
        if unfinished:
            warnings.warn(
                f"PAWS restarts {unfinished}, among the {self.n_keep} best, reached max_epochs="
                f"{self.max_epochs} while their validation loss was still falling; raise "
                f"max_epochs or learning_rate.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return {
            "params": best_params.detach(),
            "validation_loss": best_val,
            "epochs": epochs_run,
            "loss_curve": np.array(loss_curve).reshape(-1, n_restarts),
            "validation_loss_curve": np.array(val_curve).reshape(-1, n_restarts),
        }

    def _validation_losses(self, modules, validation, params):
        """Return the weighted BCE of each parameter row on the prepared validation events."""
        torch = _torch()
        weights = validation.balanced_weights()
        total = torch.zeros(len(params), dtype=torch.float64, device=params.device)
        with torch.no_grad():
            for start in range(0, len(validation), _EVAL_CHUNK):
                index = torch.arange(start, min(start + _EVAL_CHUNK, len(validation)),
                                     device=params.device)
                per_event = _event_losses(modules, validation.slice(index), params,
                                          validation.labels[index])
                total += (per_event * weights[index]).double().sum(dim=1)
        return (total / len(validation)).cpu().numpy()

    def _data_log_ratios(self, modules, parts, params):
        """Return log L of every data event (label 1) in `parts`, shape (n_params, n_data)."""
        torch = _torch()
        chunks = []
        with torch.no_grad():
            for part in parts:
                data_rows = torch.nonzero(part.labels > 0.5).flatten()
                for start in range(0, len(data_rows), _EVAL_CHUNK):
                    index = data_rows[start:start + _EVAL_CHUNK]
                    chunks.append(_log_signal_ratio(modules, part.slice(index), params).double())
        if not chunks:
            return np.zeros((len(params), 0))
        return torch.cat(chunks, dim=1).cpu().numpy()

    def _store_result(self, modules, result, starts, train, validation):
        torch = _torch()
        params = result["params"].clone()
        val_loss = result["validation_loss"].copy()

        # Two other candidates per restart, kept where they fit the validation part better:
        # the swapped masses (m_X <-> m_Y is a local minimum), and the same masses with mu at its
        # lower bound (no signal). The BCE rewards f -> 1 on a few isolated data events, so on
        # background alone the training fit settles on a noise fluctuation with a mu of several
        # 1e-3; the validation events show whether that signal is real.
        n_restarts = len(params)
        swapped = params.clone()
        swapped[:, [_MX, _MY]] = params[:, [_MY, _MX]]
        no_signal = params.clone()
        no_signal[:, _LOG_MU] = math.log(self.mu_bounds[0])
        candidates = torch.cat([params, swapped, no_signal])
        alternative_loss = self._validation_losses(modules, validation, candidates[n_restarts:])
        candidate_loss = np.concatenate([val_loss, alternative_loss])
        choice = np.argmin(candidate_loss.reshape(3, n_restarts), axis=0)
        chosen = torch.as_tensor(choice * n_restarts + np.arange(n_restarts),
                                 device=candidates.device)
        params = candidates[chosen]
        val_loss = candidate_loss.reshape(3, n_restarts)[choice, np.arange(n_restarts)]
        use_swap = choice == 1

        ends = _to_physical(params.cpu().numpy().astype(np.float64))
        ranking = np.argsort(val_loss, kind="stable")
        rank = np.empty(len(val_loss), dtype=int)
        rank[ranking] = np.arange(len(val_loss))

        # Gap to the best restart in units of the test statistic, 8 n_eff (loss - best loss).
        n_data, n_reference = validation.counts()
        n_effective = n_data * n_reference / (n_data + n_reference)
        statistic_gap = 8.0 * n_effective * (val_loss - val_loss[ranking[0]])
        kept = rank < self.n_keep
        if self.keep_tolerance is not None:
            kept &= statistic_gap <= self.keep_tolerance

        # The reported signal fraction is the maximum-likelihood mu of all data events (training
        # and validation part) at each restart's masses and alpha, with p_D = p_B (1 - mu + mu L).
        # It relies on the calibration E_B[L] = 1, where the cross-entropy relies on the reference.
        mu_ml = _max_likelihood_mu(self._data_log_ratios(modules, (train, validation), params))

        two_modes = len(modules) == 2
        self.restarts_ = pd.DataFrame({
            "mx_start": starts[:, _MX],
            "my_start": starts[:, _MY],
            "mu_start": starts[:, _LOG_MU],
            "alpha_start": starts[:, _ALPHA_LOGIT] if two_modes else np.nan,
            "mx": ends[:, _MX],
            "my": ends[:, _MY],
            "mu": mu_ml,
            "mu_bce": ends[:, _LOG_MU],
            "alpha": ends[:, _ALPHA_LOGIT] if two_modes else np.nan,
            "validation_loss": val_loss,
            "statistic_gap": statistic_gap,
            "swapped": use_swap,
            "signal_rejected": choice == 2,
            "n_epochs": result["epochs"],
            "rank": rank,
            "kept": kept,
        })
        self.restarts_.index.name = "restart"

        best = ranking[0]
        self.mx_ = float(ends[best, _MX])
        self.my_ = float(ends[best, _MY])
        self.mu_ = float(mu_ml[best])
        self.mu_bce_ = float(ends[best, _LOG_MU])
        self.alpha_ = float(ends[best, _ALPHA_LOGIT]) if two_modes else float("nan")
        self.kept_params_ = params.cpu()[torch.as_tensor(kept)]
        self.loss_curve_ = result["loss_curve"]
        self.validation_loss_curve_ = result["validation_loss_curve"]
        self.n_iter_ = int(result["epochs"].max())
        self.validation_loss_ = float(val_loss[best])

        # NOTE: the validation part also ranks the restarts and picks among three candidates per
        # restart, so on background alone test_statistic_ runs somewhat above the asymptotic
        # chi-square of one fit; calibrate a threshold on background-only pseudo-data.
        self.test_statistic_ = float(8.0 * n_effective * (math.log(2.0) - self.validation_loss_))
        self.significance_ = float(math.sqrt(max(self.test_statistic_, 0.0)))
        self.classes_ = np.array([0, 1])
        if self.mu_ > LARGE_SIGNAL_FRACTION:
            warnings.warn(
                f"PAWS fitted a signal fraction mu_ = {self.mu_:.3g} at ({self.mx_:.0f}, {self.my_:.0f}) GeV: "
                "the data differ from the reference by more than a small signal explains. Check that the "
                "reference is background selected like the data (same signal region, same units) and that "
                "the pre-trained prior is trained well enough.",
                DataQualityWarning, stacklevel=3,
            )
        logger.info(
            "PAWS fit: m_X = %.1f GeV, m_Y = %.1f GeV, mu = %.3g, alpha = %.3g, "
            "test statistic %.2f.",
            self.mx_, self.my_, self.mu_, self.alpha_, self.test_statistic_,
        )

    # ------------------------------------------------------------------------------------------
    # Prediction

    def _log_q(self, X, params):
        """Return log(p_D / p_B) of shape (n_params, n_events) for feature array X."""
        torch = _torch()
        modes = self._resolve_pretrained()
        features = self._validate_features(X, "X", reset=False)
        modules = [(name, clf.frozen_log_likelihood_ratio()) for name, clf in modes]
        device = _module_device(modules[0][1])
        params = params.to(device)
        events = _PreparedEvents(modules, features, np.zeros(len(features)), device)
        chunks = []
        with torch.no_grad():
            for start in range(0, len(events), _EVAL_CHUNK):
                index = torch.arange(start, min(start + _EVAL_CHUNK, len(events)), device=device)
                chunks.append(_log_mixture_ratio(modules, events.slice(index), params).double())
        if not chunks:
            return torch.zeros(len(params), 0, dtype=torch.float64)
        return torch.cat(chunks, dim=1).cpu()

    def _log_probabilities(self, X):
        """Return log P(data) and log P(reference), averaged over the kept restarts."""
        torch = _torch()
        check_is_fitted(self, "kept_params_")
        log_q = self._log_q(X, self.kept_params_)
        n_kept = len(self.kept_params_)
        softplus = torch.nn.functional.softplus
        log_p_data = torch.logsumexp(-softplus(-log_q), dim=0) - math.log(n_kept)
        log_p_reference = torch.logsumexp(-softplus(log_q), dim=0) - math.log(n_kept)
        return log_p_data.numpy(), log_p_reference.numpy()

    def predict_proba(self, X):
        """Return P(reference) and P(data) per event, averaged over the kept restarts.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_events, n_features)
            Events with the features of the pre-trained classifier.

        Returns
        -------
        proba : ndarray of shape (n_events, 2)
            Columns follow ``classes_ = [0, 1]``; column 1 is P(data), high for signal-like events.
        """
        log_p_data, log_p_reference = self._log_probabilities(X)
        return np.column_stack([np.exp(log_p_reference), np.exp(log_p_data)])

    def decision_function(self, X):
        """Return log(P(data) / P(reference)), the log likelihood ratio of data to reference.

        With one kept restart this is log(1 + mu (L - 1)); averaging over restarts happens on
        P(data) first. Signal-like events score high.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_events, n_features)
            Events with the features of the pre-trained classifier.

        Returns
        -------
        scores : ndarray of shape (n_events,)
            Log likelihood ratio per event.
        """
        log_p_data, log_p_reference = self._log_probabilities(X)
        return log_p_data - log_p_reference

    def predict(self, X):
        """Return 1 (data-like) where P(data) > 1/2, else 0.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_events, n_features)
            Events with the features of the pre-trained classifier.

        Returns
        -------
        labels : ndarray of shape (n_events,)
            Predicted class per event.
        """
        return (self.decision_function(X) > 0).astype(int)

    def score(self, X, y, sample_weight=None):
        """Return minus the weighted BCE of data against reference (greater is better).

        The BCE weights data and reference equally, as in ``fit``; log(2) is the loss of the
        no-signal hypothesis, so ``score > -log(2)`` means the fitted signal describes the events
        better than no signal.

        Parameters
        ----------
        X : array-like or DataFrame
            Events (with ``y`` 1-D) or the data (with ``y`` 2-D).
        y : array-like
            Labels 1 = data and 0 = reference, or the reference events.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        score : float
            Minus the weighted BCE.

        Raises
        ------
        ValueError
            If ``y`` holds labels other than 0 and 1, e.g. the truth code 2 of a test fold; use
            :class:`~sklearn_paws.SICScorer` for truth-labelled events.
        """
        if sample_weight is not None:
            raise ValueError("PAWSClassifier.score does not support sample_weight; pass None.")
        check_is_fitted(self, "kept_params_")
        self._resolve_pretrained()
        data, reference = self._split_data_reference(X, y, reset=False)
        log_p_data, _ = self._log_probabilities(data)
        _, log_p_reference = self._log_probabilities(reference)
        loss = -0.5 * np.mean(log_p_data) - 0.5 * np.mean(log_p_reference)
        return float(-loss)

    def loss_landscape(self, X, y, mx_values, my_values, *, mu=None, alpha=None):
        """Compute the weakly supervised loss on a grid of (m_X, m_Y) at fixed mu and alpha.

        This is the loss of Figure 1 of Cheng, Singh and Nachman, arXiv:2405.08889. It needs only
        the pre-trained models, so it also works before ``fit``.

        Parameters
        ----------
        X : array-like or DataFrame
            Events (with ``y`` 1-D) or the data (with ``y`` 2-D).
        y : array-like
            Labels 1 = data and 0 = reference, or the reference events.
        mx_values, my_values : array-like of float
            Grid values of m_X and m_Y in GeV.
        mu : float, default=None
            Signal fraction; None takes ``mu_bce_``, the value of the fitted classifier.
        alpha : float, default=None
            Three-prong branching fraction (two decay modes only); None takes the fitted
            ``alpha_``, or 0.5 before ``fit``.

        Returns
        -------
        landscape : pandas.DataFrame
            Columns ``mx``, ``my`` (GeV), ``loss`` (weighted BCE) and ``scaled_loss`` =
            (loss - log 2) * 1e5, one row per grid point with m_X varying slowest.
            ``landscape.pivot(index="my", columns="mx", values="scaled_loss")`` gives the image.

        Raises
        ------
        ValueError
            If mu is missing before ``fit`` or outside (0, 1], or alpha outside [0, 1].
        """
        torch = _torch()
        modes = self._resolve_pretrained()
        if mu is None:
            if not hasattr(self, "mu_bce_"):
                raise ValueError("mu is required before fit: pass mu=..., e.g. mu=0.001.")
            mu = self.mu_bce_
        if not 0.0 < mu <= 1.0:
            raise ValueError(f"mu must lie in (0, 1], got {mu!r}.")
        if alpha is None:
            alpha = self.alpha_ if hasattr(self, "alpha_") and len(modes) == 2 else 0.5
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha!r}.")

        data, reference = self._split_data_reference(X, y, reset=False)
        mx_values = np.asarray(mx_values, dtype=np.float64).ravel()
        my_values = np.asarray(my_values, dtype=np.float64).ravel()
        grid = np.array([(mx, my) for mx in mx_values for my in my_values], dtype=np.float64)
        points = np.empty((len(grid), 4))
        points[:, [_MX, _MY]] = grid
        points[:, _LOG_MU] = mu
        points[:, _ALPHA_LOGIT] = alpha
        internal = torch.tensor(_to_internal(points), dtype=torch.float32)

        modules = [(name, clf.frozen_log_likelihood_ratio()) for name, clf in modes]
        device = _module_device(modules[0][1])
        features = np.concatenate([data, reference])
        labels = np.concatenate([np.ones(len(data)), np.zeros(len(reference))])
        events = _PreparedEvents(modules, features, labels, device)
        losses = []
        rows_per_pass = 16
        for start in tqdm(range(0, len(internal), rows_per_pass), desc="Loss landscape",
                          disable=None if self.verbose else True):
            chunk = internal[start:start + rows_per_pass].to(device)
            losses.append(self._validation_losses(modules, events, chunk))
        loss = np.concatenate(losses) if losses else np.empty(0)
        return pd.DataFrame({
            "mx": grid[:, 0],
            "my": grid[:, 1],
            "loss": loss,
            "scaled_loss": (loss - math.log(2.0)) * 1e5,
        })


# ----------------------------------------------------------------------------------------------
# Helpers: input checks


# Minimum number of events in each of data and reference that a fit accepts.
_MIN_EVENTS = 20
# Shared data and reference events below this count, and below 1 % of the data, are not reported.
_MIN_SHARED_EVENTS = 10


def _unwrap_frozen(estimator):
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn < 1.6 has no FrozenEstimator.
        return estimator
    if isinstance(estimator, FrozenEstimator):
        return estimator.estimator
    return estimator


def _pretrained_features(clf):
    """Return (feature names or None, feature count) of a pre-trained classifier, without theta."""
    theta_columns = tuple(clf.theta_columns)
    names = getattr(clf, "feature_names_in_", None)
    if names is not None:
        features = [str(name) for name in names if name not in theta_columns]
        return tuple(features), len(features)
    return None, int(clf.n_features_in_) - len(theta_columns)


def _warn_shared_events(data, reference):
    """Warn when many data events also occur, identical in every feature, in the reference."""
    data_hashes = pd.util.hash_pandas_object(pd.DataFrame(data), index=False).to_numpy()
    reference_hashes = pd.util.hash_pandas_object(pd.DataFrame(reference), index=False).to_numpy()
    n_shared = int(np.isin(data_hashes, reference_hashes).sum())
    # Independent events practically never agree in all features, so 1 % of shared events
    # means that data and reference were taken from the same table.
    if n_shared >= max(_MIN_SHARED_EVENTS, 0.01 * len(data)):
        warnings.warn(
            f"{n_shared} of the {len(data)} data events also occur in the reference, identical in "
            "every feature. D and R must hold different events, R background only; otherwise the "
            "fitted signal is noise. Check that the reference is not a copy of the data.",
            DataQualityWarning, stacklevel=4,
        )


def _is_two_dimensional(y):
    if isinstance(y, pd.DataFrame):
        return True
    if isinstance(y, pd.Series):
        return False
    return np.ndim(y) == 2


def _check_labels(y):
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D labels, got shape {labels.shape}.")
    if labels.dtype.kind not in "biuf":
        examples = np.unique(labels.astype(str))[:3].tolist()
        raise ValueError(
            f"y must hold the numbers 0 (reference) and 1 (data), got dtype {labels.dtype} with "
            f"values such as {examples}. Map them to numbers first, e.g. y = (y == 'data').astype(int)."
        )
    values = np.unique(labels)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            f"y must contain only 0 (reference) and 1 (data), got values {values.tolist()}. "
            f"Only binary classification is supported: truth labels such as 2 (held-out signal) "
            f"must not reach a weakly supervised fit; with WeakSupervisionSplitter they reach it "
            f"only through a refit, so use GridSearchCV(..., refit=False)."
        )
    return labels.astype(int)


def _check_bounds(name, bounds, *, positive):
    try:
        low, high = (float(value) for value in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {bounds!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high) or (positive and low <= 0):
        raise ValueError(
            f"{name} must satisfy 0 < low < high with finite values, got {bounds!r}."
        )
    return low, high


def _split_rows(values, fraction, rng):
    order = rng.permutation(len(values))
    n_held_out = int(round(fraction * len(values)))
    return values[order[n_held_out:]], values[order[:n_held_out]]


# ----------------------------------------------------------------------------------------------
# Helpers: parameters and the model


def _to_internal(points):
    """Map rows (m_X GeV, m_Y GeV, mu, alpha) to the optimised (m/100 GeV, log mu, logit alpha)."""
    points = np.asarray(points, dtype=np.float64)
    internal = np.empty_like(points)
    internal[:, [_MX, _MY]] = points[:, [_MX, _MY]] / _MASS_UNIT_GEV
    internal[:, _LOG_MU] = np.log(points[:, _LOG_MU])
    alpha = np.clip(points[:, _ALPHA_LOGIT], 1e-12, 1.0 - 1e-12)
    internal[:, _ALPHA_LOGIT] = np.log(alpha) - np.log1p(-alpha)
    return internal


def _to_physical(internal):
    """Map optimised rows back to (m_X GeV, m_Y GeV, mu, alpha)."""
    internal = np.asarray(internal, dtype=np.float64)
    physical = np.empty_like(internal)
    physical[:, [_MX, _MY]] = internal[:, [_MX, _MY]] * _MASS_UNIT_GEV
    physical[:, _LOG_MU] = np.exp(internal[:, _LOG_MU])
    physical[:, _ALPHA_LOGIT] = 1.0 / (1.0 + np.exp(-internal[:, _ALPHA_LOGIT]))
    return physical


def _module_device(module):
    torch = _torch()
    for tensor in list(module.parameters()) + list(module.buffers()):
        return tensor.device
    return torch.device("cpu")


class _PreparedEvents:
    """Events passed once through each frozen module's ``prepare``, with labels and weights."""

    def __init__(self, modules, features, labels, device):
        torch = _torch()
        tensor = torch.as_tensor(np.ascontiguousarray(features, dtype=np.float32), device=device)
        with torch.no_grad():
            self.prepared = [module.prepare(tensor) for _, module in modules]
        self.labels = torch.as_tensor(np.asarray(labels, dtype=np.float32), device=device)

    def __len__(self):
        return len(self.labels)

    def slice(self, index):
        return [prepared[index] for prepared in self.prepared]

    def counts(self):
        n_data = int(self.labels.sum().item())
        return n_data, len(self) - n_data

    def balanced_weights(self):
        """Per-event weights giving D and R half of the total weight each, with mean 1."""
        n_data, n_reference = self.counts()
        n_total = len(self)
        weight_data = n_total / (2.0 * max(n_data, 1))
        weight_reference = n_total / (2.0 * max(n_reference, 1))
        return self.labels * weight_data + (1.0 - self.labels) * weight_reference


def _log_signal_ratio(modules, prepared, params):
    """Return log L, the branching-fraction mixture of log Lambda, shape (n_params, n_events)."""
    torch = _torch()
    theta = params[:, [_MX, _MY]] * _MASS_UNIT_GEV
    log_ratios = [module(part, theta) for (_, module), part in zip(modules, prepared)]
    if len(log_ratios) == 1:
        return log_ratios[0]
    alpha_logit = params[:, _ALPHA_LOGIT:_ALPHA_LOGIT + 1]
    log_alpha = torch.nn.functional.logsigmoid(alpha_logit)
    log_one_minus_alpha = torch.nn.functional.logsigmoid(-alpha_logit)
    return torch.logaddexp(log_one_minus_alpha + log_ratios[0], log_alpha + log_ratios[1])


def _log_mixture_ratio(modules, prepared, params):
    """Return log q = log(1 - mu + mu L) of shape (n_params, n_events), q = p_D / p_B."""
    torch = _torch()
    log_l = _log_signal_ratio(modules, prepared, params)

    # mu just below 1 keeps log(1 - mu) finite; the penalty pushes log(mu) back below 0.
    log_mu = torch.clamp(params[:, _LOG_MU:_LOG_MU + 1], max=math.log1p(-1e-6))
    log_one_minus_mu = torch.log1p(-torch.exp(log_mu))
    return torch.logaddexp(log_one_minus_mu, log_mu + log_l)


def _max_likelihood_mu(log_l):
    """Return the mu in [0, 1] that maximises sum_i log(1 - mu + mu L_i), one per row of log_l.

    Each row contains log L of the data events at one parameter point. The log-likelihood is concave
    in mu, so the root of its derivative sum_i (L_i - 1) / (1 + mu (L_i - 1)) is unique; where the
    derivative is negative at mu = 0, the data prefer no signal and mu is 0.
    """
    from scipy.optimize import brentq

    excess = np.expm1(np.minimum(np.asarray(log_l, dtype=np.float64), 700.0))
    estimates = np.zeros(len(excess))
    for row, values in enumerate(excess):
        def slope(mu, values=values):
            return float(np.sum(values / (1.0 + mu * values)))

        # An event with L = 0 makes the slope -inf at mu = 1, so the root is bracketed just below.
        upper = 1.0 - 1e-12
        if values.size == 0 or slope(0.0) <= 0.0:
            continue
        if slope(upper) >= 0.0:
            estimates[row] = 1.0
            continue
        estimates[row] = brentq(slope, 0.0, upper, xtol=1e-12, rtol=1e-10)
    return estimates


def _event_losses(modules, prepared, params, labels):
    """Return the per-event BCE of f = q / (1 + q), shape (n_params, n_events)."""
    torch = _torch()
    log_q = _log_mixture_ratio(modules, prepared, params)
    softplus = torch.nn.functional.softplus
    # -log f = softplus(-log q) for data; -log(1 - f) = softplus(log q) for reference.
    return labels * softplus(-log_q) + (1.0 - labels) * softplus(log_q)


def _boundary_penalty(params, mass_box, log_mu_box):
    """Return per-row ``sum(exp(distance outside the box) - 1)`` for the masses and log(mu)."""
    torch = _torch()
    relu = torch.nn.functional.relu

    def outside(values, low, high):
        return torch.expm1(relu(low - values)) + torch.expm1(relu(values - high))

    masses = params[:, [_MX, _MY]]
    penalty = outside(masses, *mass_box).sum(dim=1)
    return penalty + outside(params[:, _LOG_MU], *log_mu_box)


def _adam_step(params, grad, rows, first_moment, second_moment, step_count, learning_rates,
               max_grad_norm):
    """Apply one Adam update to the rows of the active restarts, each with its own clipping."""
    torch = _torch()
    beta1, beta2 = _ADAM_BETAS
    grad = grad[rows]
    norm = grad.norm(dim=1, keepdim=True)
    grad = grad * torch.clamp(max_grad_norm / (norm + 1e-30), max=1.0)

    first_moment[rows] = beta1 * first_moment[rows] + (1.0 - beta1) * grad
    second_moment[rows] = beta2 * second_moment[rows] + (1.0 - beta2) * grad * grad
    step_count[rows] += 1.0
    steps = step_count[rows]
    first_hat = first_moment[rows] / (1.0 - beta1 ** steps)
    second_hat = second_moment[rows] / (1.0 - beta2 ** steps)
    params[rows] -= learning_rates[rows] * first_hat / (torch.sqrt(second_hat) + _ADAM_EPS)

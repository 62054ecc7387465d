"""Cross-validation for weak supervision: data and reference samples with injected signal.

A scikit-learn splitter can only return row indices, so the role of each event travels in the
label vector ``y`` and the truth of the pool travels in ``groups``:

========  ==================================================  ==========================
``y``     meaning                                             in a test fold
========  ==================================================  ==========================
0         reference (R): background                           background
1         data (D): background, or signal kept for injection  background (injection
                                                              signal never enters a test
                                                              fold)
2         held-out signal, never in a training fold           signal
========  ==================================================  ==========================

``groups`` contains the truth of the pool: 0 background, 1 two-prong signal, 2 three-prong signal.
scikit-learn passes ``groups`` to ``split`` and never to ``fit``, so a fit sees only the codes 0
and 1, which cannot tell injected signal from background. :func:`truth_from_labels` turns ``y`` of a
test fold back into signal/background truth; :class:`sklearn_paws.metrics.SICScorer` uses it.
"""

import logging
import math
import numbers

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

from .datasets._columns import DECAY_MODE_COLUMN, LABEL_COLUMN, THREE_PRONG, TWO_PRONG
from .exceptions import InputDataError

__all__ = [
    "BACKGROUND",
    "DATA",
    "HELD_OUT_SIGNAL",
    "MU_DEFINITIONS",
    "REFERENCE",
    "THREE_PRONG_SIGNAL",
    "TWO_PRONG_SIGNAL",
    "WeakSupervisionSplitter",
    "truth_from_labels",
]

logger = logging.getLogger(__name__)

# Codes of y: the role of an event in a fit, and its truth in a test fold.
REFERENCE = 0
DATA = 1
HELD_OUT_SIGNAL = 2

# Codes of groups: the truth of the pool.
BACKGROUND = 0
TWO_PRONG_SIGNAL = 1
THREE_PRONG_SIGNAL = 2

# Accepted values of ``mu_definition``: signal fraction of D, or signal-to-background ratio in D.
MU_DEFINITIONS = ("S/(S+B)", "S/B")

_LABEL_ENCODINGS = ("auto", "weak", "truth")


def truth_from_labels(y, label_encoding="auto"):
    """Decode signal/background truth from weak-supervision labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels of test events. Either the codes of :class:`WeakSupervisionSplitter` (0 reference,
        1 data, 2 held-out signal) or plain truth (1 signal, 0 background).
    label_encoding : {"auto", "weak", "truth"}, default="auto"
        How to read ``y``. ``"weak"``: signal is ``y == 2`` and the codes 0 and 1 are background.
        ``"truth"``: ``y`` is returned unchanged. ``"auto"``: ``"weak"`` when ``y`` contains the
        code 2, else ``"truth"``. A test fold of :class:`WeakSupervisionSplitter` always contains
        the code 2, so ``"auto"`` reads it correctly. With ``"weak"``, a test fold without signal
        becomes an error in the metric instead of being read as plain truth.

    Returns
    -------
    truth : ndarray of shape (n_samples,)
        1 for signal and 0 for background with ``"weak"`` decoding, else ``y`` as an array.

    Raises
    ------
    ValueError
        If ``label_encoding`` is unknown.
    InputDataError
        If weak decoding is used and ``y`` contains values other than 0, 1 and 2.
    """
    if label_encoding not in _LABEL_ENCODINGS:
        raise ValueError(f"label_encoding must be one of {_LABEL_ENCODINGS}, got {label_encoding!r}.")
    y = column_or_1d(y)

    if label_encoding == "truth":
        return y
    has_held_out_code = np.any(y == HELD_OUT_SIGNAL)
    if label_encoding == "auto" and not has_held_out_code:
        return y

    unknown = np.setdiff1d(np.unique(y), (REFERENCE, DATA, HELD_OUT_SIGNAL))
    if unknown.size:
        raise InputDataError(
            f"y contains {unknown.tolist()}, which are not weak-supervision codes (0 reference, "
            "1 data, 2 held-out signal). Make y with WeakSupervisionSplitter.make_labels, or pass "
            "label_encoding='truth' for plain signal/background labels."
        )
    return (y == HELD_OUT_SIGNAL).astype(int)


def _fold_sizes(n_events, n_splits):
    # Same sizes, in the same order, as np.array_split(events, n_splits).
    base, extra = divmod(n_events, n_splits)
    return np.array([base + 1] * extra + [base] * (n_splits - extra), dtype=int)


def _round_half_up(value):
    return int(math.floor(value + 0.5))


class WeakSupervisionSplitter(BaseCrossValidator):
    """K-fold splitter that builds data (D) and reference (R) samples with injected signal.

    The splitter turns a labelled pool of background and signal events into a weak-supervision
    benchmark. :meth:`make_labels` assigns each background event once to R (``y = 0``) or to D
    (``y = 1``), marks the signal to inject into D (also ``y = 1``) and labels the rest of the signal
    as held out (``y = 2``). :meth:`split` then deals the background of R and of D into
    ``n_splits`` folds. In fold ``k``:

    - training rows: R and D background outside fold ``k``, plus the injected signal. The injected
      count gives D exactly the requested ``mu`` (rounded to a whole event), and ``alpha`` is the
      three-prong fraction of it;
    - test rows: all background of fold ``k`` and all held-out signal, so every background event is
      tested exactly once and trained on in the other ``n_splits - 1`` folds, and every fold is
      tested on the same signal.

    The training D background differs by at most one event between folds, so the injected count
    can differ by one event too. Signal kept for injection but not injected in a fold is left out
    of that fold. A fit only sees the codes 0 and 1, so injected signal looks like D background to
    the classifier. The truth needed by the splitter travels in ``groups``, which scikit-learn never
    passes to ``fit``.

    Parameters
    ----------
    mu : float, default=0.01
        Amount of signal injected into the training part of D, defined by ``mu_definition``.
    alpha : float or None, default=0.5
        Fraction of three-prong signal among the injected signal. None draws the injected signal
        from the whole signal pool, regardless of decay mode.
    n_splits : int, default=5
        Number of folds, at least 2.
    random_state : int, RandomState instance or None, default=None
        Seed of the R/D assignment and of the signal selection in :meth:`make_labels`, and of the
        folds in :meth:`split`. Pass an int for splits that are the same on every call and for
        ``make_labels`` and ``split`` to be reproducible.
    mu_definition : {"S/(S+B)", "S/B"}, default="S/(S+B)"
        ``"S/(S+B)"``: ``mu`` is the signal fraction of the training D, so
        ``n_signal = round(mu / (1 - mu) * n_background_D)``. ``"S/B"``: ``mu`` is the
        signal-to-background ratio, so ``n_signal = round(mu * n_background_D)``. Both values are
        reported by :meth:`injection_table`.
    reference_fraction : float, default=0.5
        Fraction of the background pool assigned to R, rounded to a whole event. The rest goes to D.

    See Also
    --------
    sklearn_paws.metrics.SICScorer : Scorer that reads the truth of a test fold from these labels.

    Notes
    -----
    Use ``GridSearchCV(..., refit=False)`` with this splitter. A refit trains on all of ``y``,
    including the held-out signal code 2, which is truth.

    The injected counts depend only on the pool size and the parameters, not on the random draw:
    ``n_background_D`` of fold ``k`` is the D background outside fold ``k`` and
    ``n_three_prong = round(alpha * n_signal)``, with halves rounded up.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_paws.datasets import FEATURE_COLUMNS
    >>> from sklearn_paws.datasets import make_toy_background, make_toy_signal
    >>> from sklearn_paws.metrics import SICScorer
    >>> from sklearn_paws.model_selection import WeakSupervisionSplitter
    >>> pool = pd.concat([
    ...     make_toy_background(9000, random_state=0),
    ...     make_toy_signal(300, 300, 1000, decay_mode="qq", random_state=1),
    ...     make_toy_signal(300, 300, 1000, decay_mode="qqq", random_state=2),
    ... ], ignore_index=True)
    >>> splitter = WeakSupervisionSplitter(mu=0.05, alpha=0.5, n_splits=3, random_state=0)
    >>> y, groups = splitter.make_labels(pool)
    >>> X = pool[list(FEATURE_COLUMNS)]
    >>> scores = cross_val_score(HistGradientBoostingClassifier(max_iter=20), X, y,
    ...                          groups=groups, cv=splitter,
    ...                          scoring=SICScorer(background_efficiency=1e-2))
    >>> scores.shape
    (3,)
    >>> table = splitter.injection_table(y, groups)
    >>> table["n_injected"].tolist()
    [158, 158, 158]
    """

    # scikit-learn's metadata routing must send groups to split: the splitter needs the truth.
    __metadata_request__split = {"groups": True}

    def __init__(self, mu=0.01, alpha=0.5, n_splits=5, random_state=None, *,
                 mu_definition="S/(S+B)", reference_fraction=0.5):
        self.mu = mu
        self.alpha = alpha
        self.n_splits = n_splits
        self.random_state = random_state
        self.mu_definition = mu_definition
        self.reference_fraction = reference_fraction

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, present for API compatibility.

        Returns
        -------
        n_splits : int
            ``n_splits``.

        Raises
        ------
        ValueError
            If ``n_splits`` is not an integer of at least 2.
        """
        self._check_n_splits()
        return int(self.n_splits)

    def make_labels(self, label, decay_mode=None):
        """Make the labels ``y`` and the truth codes ``groups`` of a pool of events.

        Parameters
        ----------
        label : pandas.DataFrame or array-like of shape (n_samples,)
            Truth of the pool: 1 signal, 0 background. A DataFrame must have the ``label`` column
            and, unless ``decay_mode`` is given, may have the ``decay_mode`` column. An array may
            also be the truth codes of ``groups`` (0 background, 1 two-prong, 2 three-prong
            signal), so ``make_labels(groups)`` rebuilds ``y``.
        decay_mode : array-like of shape (n_samples,) or None, default=None
            ``"qq"`` (two-prong) or ``"qqq"`` (three-prong) for each signal event. The values of
            background rows are ignored. None takes the ``decay_mode`` column of a DataFrame, or
            else reads ``label`` 1 as two-prong and 2 as three-prong signal.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Weak-supervision codes: 0 reference, 1 data (background or signal kept for injection),
            2 held-out signal.
        groups : ndarray of shape (n_samples,)
            Truth codes: 0 background, 1 two-prong signal, 2 three-prong signal. Pass them as
            ``groups`` to ``cross_val_score`` or ``GridSearchCV``.

        Raises
        ------
        InputDataError
            If the labels or decay modes are invalid, or the pool has too little background or
            signal for ``mu``, ``alpha`` and ``n_splits``.
        ValueError
            If a parameter of the splitter is invalid.
        """
        groups = self._encode_truth(label, decay_mode)
        plan = self._plan(groups)
        rng = check_random_state(self.random_state)

        y = np.full(groups.shape[0], HELD_OUT_SIGNAL, dtype=int)

        background = rng.permutation(np.flatnonzero(groups == BACKGROUND))
        y[background[:plan["n_reference"]]] = REFERENCE
        y[background[plan["n_reference"]:]] = DATA

        signal_pools = self._signal_pools(plan)
        for codes, n_reserved in signal_pools:
            candidates = np.flatnonzero(np.isin(groups, codes))
            y[rng.choice(candidates, size=n_reserved, replace=False)] = DATA

        logger.info(
            "Weak-supervision labels: %d reference, %d data background, %d signal kept for "
            "injection, %d held-out signal.",
            plan["n_reference"], plan["n_data_background"], sum(n for _, n in signal_pools),
            int(np.sum(y == HELD_OUT_SIGNAL)),
        )
        return y, groups

    def split(self, X, y=None, groups=None):
        """Generate training and test indices of each fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or None
            Events; only their number is used. None takes the length of ``y``.
        y : array-like of shape (n_samples,)
            Labels from :meth:`make_labels`.
        groups : array-like of shape (n_samples,)
            Truth codes from :meth:`make_labels`.

        Yields
        ------
        train : ndarray
            Sorted indices of the training rows: R and D background outside the fold and the
            injected signal.
        test : ndarray
            Sorted indices of the test rows: the background of the fold and all held-out signal.

        Raises
        ------
        InputDataError
            If ``y`` or ``groups`` is missing, has the wrong length, or was not made by
            :meth:`make_labels` with this splitter's parameters.
        ValueError
            If a parameter of the splitter is invalid.
        """
        y, groups = self._check_labels(X, y, groups)
        plan = self._plan(groups)
        self._check_labels_match_plan(y, groups, plan)
        rng = check_random_state(self.random_state)

        reference_folds = np.array_split(rng.permutation(np.flatnonzero(y == REFERENCE)), self.n_splits)
        data_background = np.flatnonzero((y == DATA) & (groups == BACKGROUND))
        data_folds = np.array_split(rng.permutation(data_background), self.n_splits)
        # Every fold injects the first events of one shuffled order per signal pool, so a fold
        # that injects one event fewer uses a subset of the others' signal.
        reserved = []
        for (codes, _), injected_per_fold in zip(self._signal_pools(plan), self._injected_per_pool(plan)):
            kept_for_injection = np.flatnonzero((y == DATA) & np.isin(groups, codes))
            reserved.append((rng.permutation(kept_for_injection), injected_per_fold))
        held_out = np.flatnonzero(y == HELD_OUT_SIGNAL)

        for fold in range(self.n_splits):
            test = np.concatenate([reference_folds[fold], data_folds[fold], held_out])

            other_folds = [index for index in range(self.n_splits) if index != fold]
            train_parts = [reference_folds[index] for index in other_folds]
            train_parts += [data_folds[index] for index in other_folds]
            train_parts += [events[:injected_per_fold[fold]] for events, injected_per_fold in reserved]
            train = np.concatenate(train_parts)

            yield np.sort(train), np.sort(test)

    def injection_table(self, y, groups):
        """Count the events of every fold and report the injected ``mu`` both ways.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Labels from :meth:`make_labels`.
        groups : array-like of shape (n_samples,)
            Truth codes from :meth:`make_labels`.

        Returns
        -------
        table : pandas.DataFrame
            One row per fold, with the columns:

            - ``fold``, ``n_reference_train``, ``n_data_background_train``;
            - ``n_injected_two_prong``, ``n_injected_three_prong``, ``n_injected``;
            - ``mu_s_over_s_plus_b`` and ``mu_s_over_b``: S/(S+B) and S/B in the training D;
            - ``alpha``: three-prong fraction of the injected signal, NaN when none is injected;
            - ``n_test_background``, ``n_test_signal``;
            - ``n_left_out``: signal kept for injection but not injected in this fold.

        Raises
        ------
        InputDataError
            As :meth:`split`.
        """
        y, groups = self._check_labels(None, y, groups)
        n_reserved = int(np.sum((y == DATA) & (groups != BACKGROUND)))

        rows = []
        for fold, (train, test) in enumerate(self.split(None, y, groups)):
            y_train, groups_train = y[train], groups[train]
            n_data_background = int(np.sum((y_train == DATA) & (groups_train == BACKGROUND)))
            n_two_prong = int(np.sum(groups_train == TWO_PRONG_SIGNAL))
            n_three_prong = int(np.sum(groups_train == THREE_PRONG_SIGNAL))
            n_injected = n_two_prong + n_three_prong

            rows.append({
                "fold": fold,
                "n_reference_train": int(np.sum(y_train == REFERENCE)),
                "n_data_background_train": n_data_background,
                "n_injected_two_prong": n_two_prong,
                "n_injected_three_prong": n_three_prong,
                "n_injected": n_injected,
                "mu_s_over_s_plus_b": n_injected / (n_injected + n_data_background),
                "mu_s_over_b": n_injected / n_data_background,
                "alpha": n_three_prong / n_injected if n_injected else np.nan,
                "n_test_background": int(np.sum(groups[test] == BACKGROUND)),
                "n_test_signal": int(np.sum(groups[test] != BACKGROUND)),
                "n_left_out": n_reserved - n_injected,
            })
        return pd.DataFrame(rows)

    # --- parameter and input checks -------------------------------------------------------------

    def _check_n_splits(self):
        if isinstance(self.n_splits, (bool, np.bool_)) or not isinstance(self.n_splits, numbers.Integral):
            raise ValueError(f"n_splits must be an integer of at least 2, got {self.n_splits!r}.")
        if self.n_splits < 2:
            raise ValueError(
                f"n_splits must be at least 2 so that every background event is both trained on "
                f"and tested, got {self.n_splits}."
            )

    def _check_params(self):
        self._check_n_splits()

        if self.mu_definition not in MU_DEFINITIONS:
            raise ValueError(f"mu_definition must be one of {MU_DEFINITIONS}, got {self.mu_definition!r}.")
        if not isinstance(self.mu, numbers.Real) or not np.isfinite(self.mu) or self.mu < 0:
            raise ValueError(f"mu must be a finite number >= 0, got {self.mu!r}.")
        if self.mu_definition == "S/(S+B)" and self.mu >= 1:
            raise ValueError(
                f"mu is a signal fraction S/(S+B) and must be below 1, got {self.mu!r}. "
                "Pass mu_definition='S/B' for a signal-to-background ratio."
            )

        if self.alpha is not None and (
            not isinstance(self.alpha, numbers.Real) or not 0 <= self.alpha <= 1
        ):
            raise ValueError(f"alpha must be a number in [0, 1] or None, got {self.alpha!r}.")
        if not isinstance(self.reference_fraction, numbers.Real) or not 0 < self.reference_fraction < 1:
            raise ValueError(
                f"reference_fraction must be a number in (0, 1), got {self.reference_fraction!r}."
            )

    @staticmethod
    def _encode_truth(label, decay_mode):
        if isinstance(label, pd.DataFrame):
            if LABEL_COLUMN not in label.columns:
                raise InputDataError(
                    f"The pool has no {LABEL_COLUMN!r} column (1 signal, 0 background); "
                    f"its columns are {list(label.columns)}."
                )
            if decay_mode is None and DECAY_MODE_COLUMN in label.columns:
                decay_mode = label[DECAY_MODE_COLUMN]
            label = label[LABEL_COLUMN]

        label = column_or_1d(label)
        unknown = np.setdiff1d(np.unique(label), (BACKGROUND, TWO_PRONG_SIGNAL, THREE_PRONG_SIGNAL))
        if unknown.size:
            raise InputDataError(
                f"label must contain only 0 (background) and 1 (signal), or the truth codes 0, 1 "
                f"and 2 of groups, got {unknown.tolist()}."
            )
        if decay_mode is None:
            return label.astype(int)

        if np.any(label == THREE_PRONG_SIGNAL):
            raise InputDataError(
                "label contains the three-prong code 2 and decay_mode is given as well; pass "
                "either 0/1 labels with decay_mode, or the truth codes 0/1/2 alone."
            )
        signal = label == 1
        groups = np.where(signal, TWO_PRONG_SIGNAL, BACKGROUND)

        decay_mode = np.asarray(decay_mode, dtype=object)
        if decay_mode.shape != label.shape:
            raise InputDataError(
                f"decay_mode has shape {decay_mode.shape} but label has shape {label.shape}; "
                "give one decay mode per event."
            )
        signal_modes = decay_mode[signal]
        invalid = [mode for mode in pd.unique(signal_modes) if mode not in (TWO_PRONG, THREE_PRONG)]
        if invalid:
            raise InputDataError(
                f"Signal events have decay modes {invalid}; each must be {TWO_PRONG!r} (two-prong) "
                f"or {THREE_PRONG!r} (three-prong)."
            )
        groups[signal & (decay_mode == THREE_PRONG)] = THREE_PRONG_SIGNAL
        return groups

    def _check_labels(self, X, y, groups):
        if y is None or groups is None:
            raise InputDataError(
                "WeakSupervisionSplitter needs both y and groups from make_labels; pass them as "
                "cross_val_score(estimator, X, y, groups=groups, cv=splitter)."
            )
        y = column_or_1d(y)
        groups = column_or_1d(groups)
        n_samples = y.shape[0]
        if groups.shape[0] != n_samples:
            raise InputDataError(f"y has {n_samples} rows but groups has {groups.shape[0]}.")
        if X is not None and len(X) != n_samples:
            raise InputDataError(f"X has {len(X)} rows but y has {n_samples}.")

        for name, values in (("y", y), ("groups", groups)):
            unknown = np.setdiff1d(np.unique(values), (0, 1, 2))
            if unknown.size:
                raise InputDataError(
                    f"{name} contains {unknown.tolist()}; only the codes 0, 1 and 2 of make_labels "
                    "are valid."
                )
        y = y.astype(int)
        groups = groups.astype(int)

        if np.any((y == REFERENCE) & (groups != BACKGROUND)):
            raise InputDataError(
                "y puts signal events (groups 1 or 2) into the reference sample (y = 0); "
                "make y and groups with make_labels."
            )
        if np.any((y == HELD_OUT_SIGNAL) & (groups == BACKGROUND)):
            raise InputDataError(
                "y marks background events (groups 0) as held-out signal (y = 2); make y and groups "
                "with make_labels."
            )
        return y, groups

    # --- counts ---------------------------------------------------------------------------------

    def _injected_signal_count(self, n_data_background):
        if self.mu_definition == "S/(S+B)":
            return _round_half_up(self.mu / (1.0 - self.mu) * n_data_background)
        return _round_half_up(self.mu * n_data_background)

    def _plan(self, groups):
        """Return the event counts of R, D and the injection in every fold, for a pool's truth."""
        self._check_params()
        n_splits = self.n_splits
        n_background = int(np.sum(groups == BACKGROUND))
        n_two_prong = int(np.sum(groups == TWO_PRONG_SIGNAL))
        n_three_prong = int(np.sum(groups == THREE_PRONG_SIGNAL))

        n_reference = _round_half_up(self.reference_fraction * n_background)
        n_data_background = n_background - n_reference
        if min(n_reference, n_data_background) < n_splits:
            raise InputDataError(
                f"The pool has {n_background} background events, which reference_fraction="
                f"{self.reference_fraction} splits into {n_reference} reference and "
                f"{n_data_background} data events, but each sample needs at least n_splits="
                f"{n_splits} events (one per fold). Add background events or lower n_splits."
            )

        data_train = n_data_background - _fold_sizes(n_data_background, n_splits)
        injected = np.array([self._injected_signal_count(n) for n in data_train], dtype=int)
        plan = {
            "n_reference": n_reference,
            "n_data_background": n_data_background,
            "injected": injected,
        }

        request = f"mu={self.mu} ({self.mu_definition}) on {data_train.max()} data background events"
        if self.alpha is None:
            needed = {"signal": (int(injected.max()), n_two_prong + n_three_prong)}
        else:
            three_prong = np.array([_round_half_up(self.alpha * n) for n in injected], dtype=int)
            plan["injected_three_prong"] = three_prong
            plan["injected_two_prong"] = injected - three_prong
            request += f" with alpha={self.alpha}"
            needed = {
                "two-prong signal": (int(plan["injected_two_prong"].max()), n_two_prong),
                "three-prong signal": (int(three_prong.max()), n_three_prong),
            }

        for kind, (n_needed, n_available) in needed.items():
            if n_needed > n_available:
                # A pool without three-prong signal usually means a two-prong sample and the
                # default alpha, not missing events.
                hint = (" With two-prong signal only, pass alpha=0 (or alpha=None)."
                        if kind == "three-prong signal" and n_available == 0 else "")
                raise InputDataError(
                    f"{request} injects up to {n_needed} {kind} events per fold, but the pool has "
                    f"only {n_available}. Add {kind} events, lower mu, or use fewer background "
                    f"events.{hint}"
                )
        n_reserved = sum(n_needed for n_needed, _ in needed.values())
        if n_two_prong + n_three_prong - n_reserved < 1:
            raise InputDataError(
                f"{request} uses all {n_reserved} signal events of the pool for injection, so no "
                "signal is left for the test folds and the SIC cannot be measured. Add signal events "
                "or lower mu."
            )
        return plan

    def _signal_pools(self, plan):
        # (truth codes of a signal pool, number of its events kept for injection)
        if self.alpha is None:
            return [((TWO_PRONG_SIGNAL, THREE_PRONG_SIGNAL), int(plan["injected"].max()))]
        return [
            ((TWO_PRONG_SIGNAL,), int(plan["injected_two_prong"].max())),
            ((THREE_PRONG_SIGNAL,), int(plan["injected_three_prong"].max())),
        ]

    def _injected_per_pool(self, plan):
        if self.alpha is None:
            return [plan["injected"]]
        return [plan["injected_two_prong"], plan["injected_three_prong"]]

    def _check_labels_match_plan(self, y, groups, plan):
        n_reference = int(np.sum(y == REFERENCE))
        if n_reference != plan["n_reference"]:
            raise InputDataError(
                f"y has {n_reference} reference events but reference_fraction="
                f"{self.reference_fraction} needs {plan['n_reference']}. Make y and groups with "
                "this splitter's make_labels."
            )
        for codes, n_needed in self._signal_pools(plan):
            n_kept = int(np.sum((y == DATA) & np.isin(groups, codes)))
            if n_kept != n_needed:
                raise InputDataError(
                    f"y keeps {n_kept} signal events of truth codes {list(codes)} for injection, but "
                    f"mu={self.mu} ({self.mu_definition}) and alpha={self.alpha} need {n_needed}. "
                    "Make y and groups with this splitter's make_labels and the same parameters."
                )

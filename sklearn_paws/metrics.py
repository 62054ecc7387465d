"""Significance improvement characteristic (SIC) and a scikit-learn scorer for it.

The SIC of a cut on the classifier score is ``eps_S / sqrt(eps_B)``, with ``eps_S`` the signal
efficiency (true positive rate) and ``eps_B`` the background efficiency (false positive rate). It
is the factor by which the cut improves the significance ``S / sqrt(B)`` of a counting experiment.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.metrics import make_scorer, roc_curve
from sklearn.utils.validation import column_or_1d

from .exceptions import InputDataError, LowStatisticsWarning
from .model_selection import truth_from_labels

__all__ = ["SICScorer", "sic_at_background_efficiency", "sic_curve"]


def _resolve_pos_label(y_true, pos_label):
    if pos_label is not None:
        return pos_label
    classes = np.unique(y_true)
    if set(classes.tolist()) <= {0, 1} or set(classes.tolist()) <= {-1, 1}:
        return 1
    raise ValueError(
        f"y_true has the labels {classes.tolist()}; pass pos_label to say which one is signal."
    )


def _check_both_classes(y_true, pos_label):
    if not np.any(y_true == pos_label):
        raise InputDataError(
            f"y_true contains no signal (label {pos_label!r}), so the signal efficiency is undefined. "
            "Score events that include signal."
        )
    if np.all(y_true == pos_label):
        raise InputDataError(
            "y_true contains no background, so the background efficiency is undefined. "
            "Score events that include background."
        )


def sic_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=False):
    """Compute the SIC at every threshold of the ROC curve.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary truth, 1 (or ``pos_label``) for signal. Decode weak-supervision labels first with
        :func:`sklearn_paws.model_selection.truth_from_labels`.
    y_score : array-like of shape (n_samples,)
        Classifier scores, higher for more signal-like events.
    pos_label : int, float, bool or str, default=None
        Label of signal. None means 1 when ``y_true`` is in {0, 1} or {-1, 1}.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights.
    drop_intermediate : bool, default=False
        Passed to :func:`sklearn.metrics.roc_curve`. The default keeps every threshold, because
        SIC is not linear along the ROC curve, so dropped collinear ROC points would be missing
        from the SIC curve.

    Returns
    -------
    sic : ndarray of shape (n_thresholds,)
        ``tpr / sqrt(fpr)``. NaN where ``fpr == 0``: with no background event passing, the
        background efficiency is not measured and the ratio is undefined (the first point, with
        threshold ``inf``, is always NaN).
    fpr : ndarray of shape (n_thresholds,)
        Background efficiency, increasing.
    tpr : ndarray of shape (n_thresholds,)
        Signal efficiency, increasing.
    thresholds : ndarray of shape (n_thresholds,)
        Score thresholds, decreasing, as :func:`sklearn.metrics.roc_curve` returns them.

    Raises
    ------
    InputDataError
        If ``y_true`` contains no signal or no background.
    """
    y_true = column_or_1d(y_true)
    pos_label = _resolve_pos_label(y_true, pos_label)
    _check_both_classes(y_true, pos_label)

    fpr, tpr, thresholds = roc_curve(
        y_true, y_score, pos_label=pos_label, sample_weight=sample_weight,
        drop_intermediate=drop_intermediate,
    )

    sic = np.full(fpr.shape, np.nan)
    measured = fpr > 0
    sic[measured] = tpr[measured] / np.sqrt(fpr[measured])
    return sic, fpr, tpr, thresholds


def _check_background_efficiency(background_efficiency):
    if (
        isinstance(background_efficiency, (bool, np.bool_))
        or not isinstance(background_efficiency, numbers.Real)
        or not 0 < background_efficiency <= 1
    ):
        raise ValueError(
            f"background_efficiency must be a number in (0, 1], got {background_efficiency!r}."
        )


def _interpolate_tpr(fpr, tpr, background_efficiency):
    # ROC points are sorted by fpr with ties (vertical steps). Take the last point at or below the
    # efficiency, which has the highest tpr of its fpr, and the first point above it, which has the
    # lowest tpr of its fpr, and interpolate linearly in fpr between them.
    right = np.searchsorted(fpr, background_efficiency, side="right")
    left = right - 1
    if fpr[left] == background_efficiency or right == fpr.shape[0]:
        return float(tpr[left])
    weight = (background_efficiency - fpr[left]) / (fpr[right] - fpr[left])
    return float(tpr[left] + weight * (tpr[right] - tpr[left]))


def sic_at_background_efficiency(y_true, y_score, background_efficiency=1e-3, *, pos_label=None,
                                 sample_weight=None, min_passing_background=25):
    """Compute the SIC at a fixed background efficiency.

    The signal efficiency at ``background_efficiency`` is interpolated linearly in fpr between the
    two neighbouring points of the ROC curve, and the SIC is that signal efficiency divided by
    ``sqrt(background_efficiency)``. At an fpr where the ROC curve has a vertical step, the highest
    signal efficiency of the step is taken.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary truth, 1 (or ``pos_label``) for signal.
    y_score : array-like of shape (n_samples,)
        Classifier scores, higher for more signal-like events.
    background_efficiency : float, default=1e-3
        Background efficiency eps_B in (0, 1] at which the SIC is evaluated.
    pos_label : int, float, bool or str, default=None
        Label of signal. None means 1 when ``y_true`` is in {0, 1} or {-1, 1}.
    sample_weight : array-like of shape (n_samples,), default=None
        Event weights. The event counts in the checks below are then the effective number of
        background events ``(sum w)**2 / sum(w**2)``.
    min_passing_background : int, default=25
        A :class:`~sklearn_paws.exceptions.LowStatisticsWarning` is issued when fewer background
        events than this pass the cut, i.e. when ``n_background * background_efficiency`` is
        smaller. With ``n`` passing events the relative statistical uncertainty of eps_B is about
        ``1 / sqrt(n)``.

    Returns
    -------
    sic : float
        ``tpr(background_efficiency) / sqrt(background_efficiency)``.

    Raises
    ------
    InputDataError
        If ``y_true`` contains no signal, or if there are so few background events that fewer than
        one passes the cut (``n_background * background_efficiency < 1``). The message gives the
        number of background events needed.
    ValueError
        If ``background_efficiency`` is not in (0, 1].

    Warns
    -----
    LowStatisticsWarning
        When fewer than ``min_passing_background`` background events pass the cut.
    """
    _check_background_efficiency(background_efficiency)
    y_true = column_or_1d(y_true)
    pos_label = _resolve_pos_label(y_true, pos_label)
    _check_both_classes(y_true, pos_label)

    background = y_true != pos_label
    if sample_weight is None:
        n_background = float(np.sum(background))
    else:
        # Kish effective number of events: the count of unweighted events with the same
        # relative statistical uncertainty.
        background_weight = column_or_1d(sample_weight)[background].astype(float)
        weight_sum_squares = float(np.sum(background_weight**2))
        n_background = 0.0
        if weight_sum_squares > 0:
            n_background = float(np.sum(background_weight)) ** 2 / weight_sum_squares

    n_passing = n_background * background_efficiency
    if n_passing < 1:
        n_needed = math.ceil(1 / background_efficiency - 1e-9)
        raise InputDataError(
            f"Only {n_background:.0f} background events were scored, so fewer than one passes a cut "
            f"at background_efficiency={background_efficiency:g}. At least {n_needed} background "
            "events are needed; score more background or raise background_efficiency."
        )
    if n_passing < min_passing_background:
        warnings.warn(
            f"The SIC at background_efficiency={background_efficiency:g} rests on about "
            f"{n_passing:.1f} background events passing the cut (fewer than "
            f"min_passing_background={min_passing_background}), so its statistical uncertainty "
            f"is about {100 / math.sqrt(n_passing):.0f}% on eps_B. Score more background events "
            "for a reliable value.",
            LowStatisticsWarning,
            stacklevel=2,
        )

    _, fpr, tpr, _ = sic_curve(y_true, y_score, pos_label=pos_label, sample_weight=sample_weight)
    return _interpolate_tpr(fpr, tpr, background_efficiency) / math.sqrt(background_efficiency)


def _sic_score(y_true, y_score, *, background_efficiency, min_passing_background, label_encoding,
               sample_weight=None):
    # Metric function behind SICScorer: make_scorer hands it the score column of classes_[-1].
    y_score = np.asarray(y_score)
    if y_score.ndim == 2 and y_score.shape[1] == 2:
        y_score = y_score[:, -1]
    if y_score.ndim != 1:
        raise ValueError(
            f"The estimator returned scores of shape {y_score.shape}, but SICScorer needs one score "
            "per event from a classifier fitted on two classes (0 reference, 1 data). A fit on "
            "labels with the held-out code 2, e.g. GridSearchCV(refit=True) on splitter labels, "
            "gives three classes; use refit=False."
        )
    truth = truth_from_labels(y_true, label_encoding)
    return sic_at_background_efficiency(
        truth, y_score, background_efficiency, sample_weight=sample_weight,
        min_passing_background=min_passing_background,
    )


class SICScorer:
    """Scorer that returns the SIC at a fixed background efficiency, for ``scoring=``.

    Call it as ``scorer(estimator, X, y)``, the scikit-learn scorer protocol, so that it works in
    ``cross_val_score``, ``cross_validate`` and ``GridSearchCV`` with any classifier or
    ``Pipeline`` that ends in one. The score of an event is the ``predict_proba`` column of
    ``classes_[-1]``; estimators without ``predict_proba`` use ``decision_function``. For weak
    supervision ``classes_[-1]`` is the data label 1, which is the signal-like direction. The truth
    comes from ``y`` through :func:`sklearn_paws.model_selection.truth_from_labels`, so ``y`` may
    be the labels of :class:`~sklearn_paws.model_selection.WeakSupervisionSplitter` or plain
    truth. Higher is better.

    The scorer wraps :func:`sklearn.metrics.make_scorer`, built at each call from the current
    parameters, so it uses scikit-learn's own choice of response method and positive column. It
    has ``get_params`` and ``set_params``, so :func:`sklearn.base.clone` copies it, and it pickles
    for ``n_jobs`` > 1.

    Parameters
    ----------
    background_efficiency : float, default=1e-3
        Background efficiency eps_B in (0, 1] at which the SIC is evaluated.
    min_passing_background : int, default=25
        Number of background events passing the cut below which a
        :class:`~sklearn_paws.exceptions.LowStatisticsWarning` is issued.
    label_encoding : {"auto", "weak", "truth"}, default="auto"
        How to read ``y``, see :func:`~sklearn_paws.model_selection.truth_from_labels`.

    Notes
    -----
    A test fold with fewer than ``1 / background_efficiency`` background events raises
    :class:`~sklearn_paws.exceptions.InputDataError`, which ``cross_val_score`` turns into a NaN
    score and a warning by default (``error_score=np.nan``).

    Examples
    --------
    >>> from sklearn_paws.metrics import SICScorer
    >>> SICScorer(background_efficiency=1e-2)
    SICScorer(background_efficiency=0.01, min_passing_background=25, label_encoding='auto')
    """

    # NOTE: sample_weight can be passed to a direct call, but metadata routing cannot send it
    # here, because this class does not implement set_score_request.

    def __init__(self, background_efficiency=1e-3, *, min_passing_background=25, label_encoding="auto"):
        self.background_efficiency = background_efficiency
        self.min_passing_background = min_passing_background
        self.label_encoding = label_encoding

    def get_params(self, deep=True):
        """Get the parameters of this scorer.

        Parameters
        ----------
        deep : bool, default=True
            Ignored; the scorer has no nested objects.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {
            "background_efficiency": self.background_efficiency,
            "min_passing_background": self.min_passing_background,
            "label_encoding": self.label_encoding,
        }

    def set_params(self, **params):
        """Set the parameters of this scorer.

        Parameters
        ----------
        **params : dict
            Parameter names mapped to new values.

        Returns
        -------
        self : SICScorer
            This scorer.

        Raises
        ------
        ValueError
            If a name is not a parameter of the scorer.
        """
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"SICScorer has no parameter {name!r}; its parameters are {sorted(valid)}.")
            setattr(self, name, value)
        return self

    def __repr__(self):
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({arguments})"

    def _make_scorer(self):
        _check_background_efficiency(self.background_efficiency)
        return make_scorer(
            _sic_score,
            response_method=("predict_proba", "decision_function"),
            background_efficiency=self.background_efficiency,
            min_passing_background=self.min_passing_background,
            label_encoding=self.label_encoding,
        )

    def __call__(self, estimator, X, y_true, **kwargs):
        """Score a fitted estimator on test events.

        Parameters
        ----------
        estimator : object
            Fitted classifier, or a Pipeline that ends in one, with ``predict_proba`` or
            ``decision_function``.
        X : array-like of shape (n_samples, n_features)
            Test events.
        y_true : array-like of shape (n_samples,)
            Weak-supervision labels or plain truth of the test events.
        **kwargs : dict
            Passed on to the scikit-learn scorer, e.g. ``sample_weight``.

        Returns
        -------
        sic : float
            SIC at ``background_efficiency``.

        Raises
        ------
        InputDataError
            If the test events contain no signal or too little background for
            ``background_efficiency``.
        """
        return self._make_scorer()(estimator, X, y_true, **kwargs)

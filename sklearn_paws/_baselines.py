"""Non-parametric MLP baselines of the PAWS study: fully supervised and classical weak supervision.

Both use the network, training loop and ensemble of :class:`~sklearn_paws._network.BaseMLPClassifier`
on the event features only (no theta). They differ in what their labels mean:

- :class:`SupervisedClassifier` learns signal (the larger label) against background at one
  parameter point, with truth labels. It is the upper reference of the study.
- :class:`WeakSupervisionClassifier` learns data (label 1) against reference (label 0), the
  CWoLa-style baseline, and is never given truth labels. With a perfect reference, its output is
  monotone in the signal-to-background likelihood ratio.

A second weak-supervision baseline needs no wrapper:
``sklearn.ensemble.HistGradientBoostingClassifier`` fitted on the same 0/1 labels.
"""

import numpy as np
from sklearn.metrics import log_loss

from ._network import BaseMLPClassifier

_PARAMETERS_DOC = """
    Parameters
    ----------
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
        Fraction of the events, stratified by label, held out for early stopping and for
        ranking the ensemble members.
    n_models : int, default=1
        Networks trained with different seeds (10 in the PAWS paper).
    n_keep : int or None, default=None
        Networks kept, those with the lowest validation loss (5 in the PAWS paper). None keeps
        all. Their mean probability is the ensemble output.
    n_jobs : int or None, default=None
        Networks trained in parallel with joblib (None: one at a time).
    device : str, default="cpu"
        torch device of the training.
    random_state : int, RandomState instance or None, default=None
        Seed of the validation split, the initialisations and the shuffling.
    verbose : int, default=0
        0 is silent, 1 shows a progress bar over the ensemble members.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels. ``classes_[1]`` is the positive class.
    n_features_in_ : int
        Number of feature columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X is a DataFrame with string column names.
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
"""


class _FeatureMLPClassifier(BaseMLPClassifier):
    """MLP ensemble on the features only, with the parameters shared by both baselines."""

    def __init__(self, *, hidden_layer_sizes=(256, 128, 64), activation="relu",
                 learning_rate=1e-3, batch_size=1024, max_epochs=100, early_stopping_patience=10,
                 lr_decay_factor=0.5, lr_decay_patience=5, min_learning_rate=1e-6,
                 validation_fraction=0.2, n_models=1, n_keep=None, n_jobs=None, device="cpu",
                 random_state=None, verbose=0):
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
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose


class SupervisedClassifier(_FeatureMLPClassifier):
    __doc__ = """Fully supervised MLP classifier of signal against background at one parameter point.

    The dedicated supervised baseline of the PAWS study: trained with truth labels on signal of a
    single theta, it bounds what a weakly supervised method can reach there.
    """ + _PARAMETERS_DOC + """
    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_paws import SupervisedClassifier
    >>> from sklearn_paws.datasets import FEATURE_COLUMNS
    >>> from sklearn_paws.datasets import make_toy_background, make_toy_signal
    >>> events = pd.concat([make_toy_signal(300, 300, 500, random_state=0),
    ...                     make_toy_background(2000, random_state=1)])
    >>> clf = SupervisedClassifier(hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    >>> clf.fit(events[list(FEATURE_COLUMNS)], events["label"]).predict_proba(
    ...     events[list(FEATURE_COLUMNS)]).shape
    (2500, 2)
    """


class WeakSupervisionClassifier(_FeatureMLPClassifier):
    __doc__ = """Classical weak supervision: an MLP classifier of data (label 1) against reference (label 0).

    ``fit`` accepts only the labels 0 (reference) and 1 (data), the training labels of
    ``WeakSupervisionSplitter``, so no truth label reaches it. Its output, ranked, separates
    signal from background as well as the data-to-reference likelihood ratio does.
    """ + _PARAMETERS_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_paws import WeakSupervisionClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((400, 3))
    >>> y = np.repeat([0, 1], 200)
    >>> clf = WeakSupervisionClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    >>> clf.fit(X, y).decision_function(X).shape
    (400,)
    """

    def score(self, X, y, sample_weight=None):
        """Return minus the cross-entropy of data against reference (greater is better).

        Data and reference carry half the weight each, as for ``PAWSClassifier.score``, so
        ``-log(2)`` is the score of a classifier that cannot tell them apart. Accuracy, the
        scikit-learn default, would measure how well D and R are separated at a 0.5 cut, which
        is near chance even for a good anomaly score.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units, with the columns of ``fit``.
        y : array-like of shape (n_samples,)
            Labels 1 (data) and 0 (reference); both must occur.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights, applied on top of the equal weighting of data and reference.

        Returns
        -------
        score : float
            Minus the weighted binary cross-entropy.

        Raises
        ------
        ValueError
            If ``y`` contains labels other than 0 and 1, e.g. the held-out signal code 2 of a
            ``WeakSupervisionSplitter`` test fold, or lacks one of them. Score truth-labelled
            events with :class:`~sklearn_paws.SICScorer` (``scoring=SICScorer()``).
        """
        y = np.asarray(y)
        labels = set(np.unique(y).tolist())
        if labels != {0, 1}:
            raise ValueError(
                f"WeakSupervisionClassifier.score needs the labels 0 (reference) and 1 (data), got "
                f"{sorted(labels)[:5]}. For test folds with truth codes pass scoring=SICScorer() to "
                "cross_val_score or GridSearchCV."
            )

        is_data = y == 1
        weights = np.where(is_data, 0.5 / is_data.sum(), 0.5 / (~is_data).sum())
        if sample_weight is not None:
            weights = weights * np.asarray(sample_weight, dtype=np.float64)
        probability = self.predict_proba(X)[:, 1]
        return -float(log_loss(y, probability, sample_weight=weights, labels=[0, 1]))

    def _check_target(self, y):
        labels = np.unique(y)
        is_numeric = np.issubdtype(labels.dtype, np.number) or labels.dtype == bool
        if not (is_numeric and set(labels.tolist()) <= {0, 1}):
            raise ValueError(
                "WeakSupervisionClassifier accepts only the labels 0 (reference) and 1 (data), "
                f"got {labels.tolist()[:5]}. Encode the events with WeakSupervisionSplitter, "
                "whose training folds carry exactly these labels."
            )

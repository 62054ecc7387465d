"""The torch MLP and the skorch training machinery shared by every neural estimator.

Every neural classifier of sklearn-paws is an ensemble of multilayer perceptrons with one logit
output, trained with skorch on standardised inputs, with early stopping on a held-out validation
split and learning-rate decay on plateaus. :class:`BaseMLPClassifier` implements the scikit-learn side
(input validation, labels, scaling, the ensemble and its predictions). The subclasses add what is
special to them (theta columns and calibration in the parameterized classifier).

skorch pays a fixed cost per mini-batch item when it reads a dataset sample by sample. Here the
training data stay in two tensors, and :class:`BatchIterator` hands skorch whole mini-batches, so
each item skorch receives is a whole batch.
"""

import copy
import logging
import math
import numbers
import threading
import warnings

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm
from .exceptions import InputDataError

logger = logging.getLogger(__name__)

ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "elu": torch.nn.ELU,
    "gelu": torch.nn.GELU,
    "silu": torch.nn.SiLU,
    "tanh": torch.nn.Tanh,
}

# Events per forward pass at prediction time: bounds the memory of the hidden activations.
PREDICTION_CHUNK_SIZE = 16384

# Guards the global torch generator while a member's weights are initialised.
_GLOBAL_RNG_LOCK = threading.Lock()

# The smallest scale used to standardise a column, so that constant columns do not divide by zero.
_MIN_SCALE = 1e-12


class MLP(torch.nn.Module):
    """Fully connected network with one logit output.

    Parameters
    ----------
    n_inputs : int
        Number of input columns.
    hidden_layer_sizes : tuple of int
        Width of each hidden layer.
    activation : str
        Name of the activation between layers, a key of ``ACTIVATIONS``.
    """

    def __init__(self, n_inputs, hidden_layer_sizes=(256, 128, 64), activation="relu"):
        super().__init__()
        widths = [int(n_inputs), *(int(width) for width in hidden_layer_sizes)]
        self.hidden = torch.nn.ModuleList(
            torch.nn.Linear(n_in, n_out) for n_in, n_out in zip(widths[:-1], widths[1:])
        )
        self.activation = ACTIVATIONS[activation]()
        self.output = torch.nn.Linear(widths[-1], 1)

    def forward(self, X):
        """Compute the logit of every row of ``X`` (shape (N, n_inputs)) as a tensor of shape (N,)."""
        hidden = X
        for layer in self.hidden:
            hidden = self.activation(layer(hidden))
        return self.output(hidden).squeeze(-1)

    def forward_from_first_layer(self, first_preactivation):
        """Finish the forward pass from the first layer's pre-activation ``W1 x + b1``.

        Parameters
        ----------
        first_preactivation : torch.Tensor of shape (..., hidden_layer_sizes[0])
            Output of the first linear layer, before its activation. Leading dimensions are free.

        Returns
        -------
        logits : torch.Tensor of shape (...)
        """
        hidden = self.activation(first_preactivation)
        for layer in self.hidden[1:]:
            hidden = self.activation(layer(hidden))
        return self.output(hidden).squeeze(-1)


class BatchDataset(torch.utils.data.Dataset):
    """Training or validation data kept as two tensors and served a mini-batch at a time.

    Parameters
    ----------
    X : torch.Tensor of shape (N, n_inputs), float32
        Standardised inputs.
    y : torch.Tensor of shape (N,), float32
        Labels 0/1.
    theta_slice : slice or None, default=None
        Columns of ``X`` that hold theta. When given with ``theta_pool``, every background row
        (label 0) of every mini-batch gets theta drawn afresh from ``theta_pool``.
    theta_pool : torch.Tensor of shape (M, n_theta) or None, default=None
        Theta values to draw from, e.g. the standardised theta of every signal training row.
    generator : torch.Generator or None, default=None
        Source of the shuffling and of the theta draws.
    """

    def __init__(self, X, y, *, theta_slice=None, theta_pool=None, generator=None):
        self.X = X
        self.y = y
        self.theta_slice = theta_slice
        self.theta_pool = theta_pool
        self.generator = generator
        self._is_background = (y == 0) if theta_pool is not None else None

    def __len__(self):
        return len(self.y)

    def __getitem__(self, index):
        return self.X[index], self.y[index]

    def get_batch(self, indices):
        """Return the rows ``indices`` as ``(X, y)``, with fresh theta for the background rows."""
        X_batch = self.X.index_select(0, indices)
        y_batch = self.y.index_select(0, indices)
        if self.theta_pool is None:
            return X_batch, y_batch

        draws = torch.randint(len(self.theta_pool), (len(indices),), generator=self.generator)
        is_background = self._is_background.index_select(0, indices).unsqueeze(1)
        theta = X_batch[:, self.theta_slice]
        X_batch[:, self.theta_slice] = torch.where(is_background, self.theta_pool[draws], theta)
        return X_batch, y_batch


class BatchIterator:
    """skorch iterator that yields whole mini-batches of a :class:`BatchDataset`.

    skorch builds one iterator per epoch, so a shuffling iterator draws a new order every epoch
    from the dataset's generator.

    Parameters
    ----------
    dataset : BatchDataset
        The data.
    batch_size : int
        Rows per mini-batch. The last batch may be smaller.
    shuffle : bool, default=False
        Whether to visit the rows in a random order.
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        if not isinstance(dataset, BatchDataset):
            raise TypeError(
                f"BatchIterator needs a BatchDataset, got {type(dataset).__name__}. Wrap the "
                "tensors with BatchDataset(X, y)."
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n_rows = len(self.dataset)
        if self.shuffle:
            order = torch.randperm(n_rows, generator=self.dataset.generator)
        else:
            order = torch.arange(n_rows)
        for start in range(0, n_rows, self.batch_size):
            yield self.dataset.get_batch(order[start:start + self.batch_size])


def train_network(X_train, y_train, X_valid, y_valid, *, config, seed, theta_slice=None,
                  theta_pool=None):
    """Train one MLP with skorch and return it with its loss curves.

    Parameters
    ----------
    X_train, X_valid : ndarray of shape (N, n_inputs), float32
        Standardised inputs of the training and validation splits.
    y_train, y_valid : ndarray of shape (N,), float32
        Labels 0/1.
    config : dict
        ``hidden_layer_sizes``, ``activation``, ``learning_rate``, ``batch_size``, ``max_epochs``,
        ``early_stopping_patience``, ``lr_decay_factor``, ``lr_decay_patience``,
        ``min_learning_rate``, ``device``.
    seed : int
        Seed of the weight initialisation, the shuffling and the theta draws.
    theta_slice, theta_pool : slice and ndarray, optional
        Redraw theta of the background training rows from ``theta_pool`` in every mini-batch
        (see :class:`BatchDataset`).

    Returns
    -------
    module : MLP
        The network with the weights of its best validation epoch, on the CPU, in eval mode.
    history : dict
        ``train_loss`` and ``valid_loss`` per epoch (ndarrays) and ``best_valid_loss`` (float).
    """
    from skorch import NeuralNetBinaryClassifier
    from skorch.callbacks import EarlyStopping, LRScheduler
    from skorch.helper import predefined_split

    generator = torch.Generator().manual_seed(int(seed))

    # joblib workers receive the arrays as read-only memory maps. The tensors are only read, so
    # they share that memory instead of copying it, and torch's warning about it does not apply.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable",
                                category=UserWarning)
        pool = None if theta_pool is None else torch.from_numpy(theta_pool)
        train_data = BatchDataset(
            torch.from_numpy(X_train), torch.from_numpy(y_train),
            theta_slice=theta_slice, theta_pool=pool, generator=generator,
        )
        valid_data = BatchDataset(torch.from_numpy(X_valid), torch.from_numpy(y_valid))

    net = NeuralNetBinaryClassifier(
        MLP,
        module__n_inputs=X_train.shape[1],
        module__hidden_layer_sizes=tuple(config["hidden_layer_sizes"]),
        module__activation=config["activation"],
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        lr=config["learning_rate"],
        max_epochs=config["max_epochs"],
        batch_size=config["batch_size"],
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_valid=BatchIterator,
        train_split=predefined_split(valid_data),
        callbacks=[
            ("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=config["early_stopping_patience"],
                load_best=True, sink=logger.debug,
            )),
            ("lr_decay", LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau, monitor="valid_loss",
                factor=config["lr_decay_factor"], patience=config["lr_decay_patience"],
                min_lr=config["min_learning_rate"],
            )),
        ],
        callbacks__valid_acc=None,
        callbacks__print_log=None,
        device=config["device"],
        verbose=0,
    )

    # The weight initialisation draws from the global torch generator. Seeding it under a lock
    # keeps members reproducible when joblib runs them in threads. fork_rng restores it afterwards.
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        net.initialize()
    net.partial_fit(train_data, None)

    train_loss = np.asarray(net.history[:, "train_loss"], dtype=float)
    valid_loss = np.asarray(net.history[:, "valid_loss"], dtype=float)
    module = net.module_.to("cpu").eval()
    history = {
        "train_loss": train_loss,
        "valid_loss": valid_loss,
        "best_valid_loss": float(np.min(valid_loss)),
    }
    return module, history


def _check_positive_int(estimator, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(
            f"{type(estimator).__name__}: {name} must be a positive integer, got {value!r}."
        )


def _check_positive_float(estimator, name, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0:
        raise ValueError(
            f"{type(estimator).__name__}: {name} must be a positive number, got {value!r}."
        )


class BaseMLPClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier made of an ensemble of MLPs trained with skorch.

    Subclasses define ``__init__`` with the parameters below (scikit-learn reads the parameter
    names from it) and may override the hooks ``_check_target``, ``_prepare_fit``,
    ``_prepare_predict`` and ``_after_fit``. The ensemble output is the mean of the kept
    members' probabilities.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers.
    activation : {"relu", "elu", "gelu", "silu", "tanh"}
        Activation between layers.
    learning_rate : float
        Initial learning rate of Adam.
    batch_size : int
        Events per mini-batch.
    max_epochs : int
        Maximum number of passes over the training split.
    early_stopping_patience : int
        Epochs without improvement of the validation loss before training stops. The weights
        of the best epoch are kept.
    lr_decay_factor : float
        Factor applied to the learning rate after ``lr_decay_patience`` epochs without
        improvement of the validation loss.
    lr_decay_patience : int
        See ``lr_decay_factor``.
    min_learning_rate : float
        Lower bound of the decayed learning rate.
    validation_fraction : float
        Fraction of the events, stratified by label, held out for early stopping and for
        ranking the ensemble members.
    n_models : int
        Networks trained with different seeds.
    n_keep : int or None
        Networks kept, those with the lowest validation loss. None keeps all.
    n_jobs : int or None
        Networks trained in parallel with joblib.
    device : str
        torch device of the training, e.g. ``"cpu"`` or ``"cuda"``.
    random_state : int, RandomState instance or None
        Seed of the validation split, the initialisations, the shuffling and any draws.
    verbose : int
        0 is silent, 1 shows a progress bar over the ensemble members.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # -- hooks -------------------------------------------------------------------------------

    def _check_target(self, y):
        """Validate the labels of ``fit`` and raise ValueError when they are unusable."""

    def _prepare_fit(self, X, y_encoded):
        """Return the network inputs (physical units) of the ``fit`` events, in network order."""
        return X

    def _prepare_predict(self, X):
        """Return the network inputs (physical units) of the prediction events."""
        return X

    def _after_fit(self, X_inputs, y_encoded, split, rng):
        """Finish the fit after the ensemble is trained (e.g. calibrate)."""

    def _theta_width(self):
        """Return the number of trailing network inputs that hold theta (0: none)."""
        return 0

    # -- fit ---------------------------------------------------------------------------------

    def _check_parameters(self):
        for name in ("batch_size", "max_epochs", "early_stopping_patience", "lr_decay_patience",
                     "n_models"):
            _check_positive_int(self, name, getattr(self, name))
        for name in ("learning_rate", "min_learning_rate"):
            _check_positive_float(self, name, getattr(self, name))
        if self.n_keep is not None:
            _check_positive_int(self, "n_keep", self.n_keep)
            if self.n_keep > self.n_models:
                raise ValueError(
                    f"{type(self).__name__}: n_keep={self.n_keep} is larger than "
                    f"n_models={self.n_models}. Keep at most n_models networks."
                )
        if not 0 < self.lr_decay_factor < 1:
            raise ValueError(
                f"{type(self).__name__}: lr_decay_factor must lie in (0, 1), got "
                f"{self.lr_decay_factor!r}."
            )
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"{type(self).__name__}: validation_fraction must lie in (0, 1), got "
                f"{self.validation_fraction!r}, because early stopping needs a validation split."
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: activation must be one of {sorted(ACTIVATIONS)}, got "
                f"{self.activation!r}."
            )
        if len(self.hidden_layer_sizes) == 0:
            raise ValueError(
                f"{type(self).__name__}: hidden_layer_sizes must name at least one layer, got "
                f"{self.hidden_layer_sizes!r}."
            )
        for width in self.hidden_layer_sizes:
            _check_positive_int(self, "every entry of hidden_layer_sizes", width)

    def _encode_target(self, y):
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__}: Only binary classification is supported. y is of type "
                f"{target_type!r}. Pass one label per event."
            )
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) > 2:
            raise ValueError(
                f"{type(self).__name__}: Only binary classification is supported. y has "
                f"{len(encoder.classes_)} classes {list(encoder.classes_)[:5]}. With labels from "
                "WeakSupervisionSplitter, code 2 marks held-out signal (truth): it reaches fit only "
                "through a refit, so use GridSearchCV(..., refit=False)."
            )
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs events of 2 classes, but y has 1 class "
                f"{list(encoder.classes_)}."
            )
        self._check_target(y)
        self.classes_ = encoder.classes_
        return encoder.transform(y).astype(np.int8)

    def _training_config(self):
        return {
            "hidden_layer_sizes": tuple(self.hidden_layer_sizes),
            "activation": self.activation,
            "learning_rate": float(self.learning_rate),
            "batch_size": int(self.batch_size),
            "max_epochs": int(self.max_epochs),
            "early_stopping_patience": int(self.early_stopping_patience),
            "lr_decay_factor": float(self.lr_decay_factor),
            "lr_decay_patience": int(self.lr_decay_patience),
            "min_learning_rate": float(self.min_learning_rate),
            "device": self.device,
        }

    def _split(self, y_encoded, rng):
        counts = np.bincount(y_encoded, minlength=2)
        if counts.min() < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 events of each class for the "
                f"stratified validation split, got {counts.tolist()} events of classes "
                f"{list(self.classes_)}."
            )
        n_valid = max(2, int(round(self.validation_fraction * len(y_encoded))))
        if len(y_encoded) - n_valid < 2:
            raise ValueError(
                f"{type(self).__name__}: {len(y_encoded)} events leave no training split with "
                f"validation_fraction={self.validation_fraction}. Pass more events."
            )
        # Drawn class by class here, because sklearn's StratifiedShuffleSplit builds Python
        # lists of all indices, which takes several times the memory of the data at 10^6 events.
        train_parts, valid_parts = [], []
        for label, count in enumerate(counts):
            members = np.flatnonzero(y_encoded == label)
            shuffled = members[rng.permutation(count)]
            n_valid_label = min(max(1, int(round(n_valid * count / len(y_encoded)))), count - 1)
            valid_parts.append(shuffled[:n_valid_label])
            train_parts.append(shuffled[n_valid_label:])
        train_index = np.sort(np.concatenate(train_parts))
        valid_index = np.sort(np.concatenate(valid_parts))
        return train_index, valid_index

    def fit(self, X, y):
        """Train the ensemble.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units.
        y : array-like of shape (n_samples,)
            Two class labels. The larger one (``classes_[1]``) is the positive class.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            If y does not have exactly two classes, or a parameter is invalid.
        """
        self._check_parameters()
        check_feature_frame(X, type(self).__name__)
        check_finite(X, type(self).__name__)
        X, y = validate_data(self, X, y, dtype=np.float32, force_writeable=True)
        y_encoded = self._encode_target(y)
        rng = check_random_state(self.random_state)

        inputs = self._prepare_fit(X, y_encoded)
        train_index, valid_index = self._split(y_encoded, rng)

        # Standardise with the statistics of the training split. Theta columns use those of
        # the signal rows, because background theta is redrawn from the signal's.
        n_theta = self._theta_width()
        train_inputs = inputs[train_index]
        mean, scale = _column_mean_std(train_inputs)
        if n_theta:
            signal_theta = train_inputs[y_encoded[train_index] == 1, -n_theta:]
            mean[-n_theta:], scale[-n_theta:] = _column_mean_std(signal_theta)
        scale = np.where(scale > _MIN_SCALE, scale, 1.0)
        self.input_mean_ = mean.astype(np.float32)
        self.input_scale_ = scale.astype(np.float32)

        # train_inputs is a fresh copy (fancy indexing), so it is standardised in place.
        X_train = self._standardise(train_inputs, out=train_inputs)
        X_valid = self._standardise(inputs[valid_index])
        y_train = y_encoded[train_index].astype(np.float32)
        y_valid = y_encoded[valid_index].astype(np.float32)

        theta_slice = theta_pool = None
        if n_theta:
            theta_slice = slice(X_train.shape[1] - n_theta, X_train.shape[1])
            theta_pool = np.ascontiguousarray(X_train[y_train == 1, theta_slice])
            # Validation background gets theta drawn once, so that the validation loss of
            # every epoch and of every member is computed on the same events.
            is_background = y_valid == 0
            draws = rng.randint(len(theta_pool), size=int(is_background.sum()))
            X_valid[np.flatnonzero(is_background)[:, None],
                    np.arange(theta_slice.start, theta_slice.stop)] = theta_pool[draws]

        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_models)
        self._fit_ensemble(X_train, y_train, X_valid, y_valid, seeds, theta_slice, theta_pool)
        # The standardised copies are no longer needed; free them before the calibration.
        del X_train, X_valid, y_train, y_valid, train_inputs, theta_pool
        self._after_fit(inputs, y_encoded, (train_index, valid_index), rng)
        return self

    def _fit_ensemble(self, X_train, y_train, X_valid, y_valid, seeds, theta_slice, theta_pool):
        config = self._training_config()
        tasks = (
            delayed(train_network)(
                X_train, y_train, X_valid, y_valid, config=config, seed=seed,
                theta_slice=theta_slice, theta_pool=theta_pool,
            )
            for seed in seeds
        )
        results = []
        progress = tqdm(total=len(seeds), desc=f"{type(self).__name__} members",
                        disable=not self.verbose)
        with progress:
            for result in Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks):
                results.append(result)
                progress.update(1)
                logger.info("%s: member %d/%d trained, best validation loss %.5f after %d "
                            "epochs", type(self).__name__, len(results), len(seeds),
                            result[1]["best_valid_loss"], len(result[1]["valid_loss"]))

        self.validation_losses_ = np.array([history["best_valid_loss"] for _, history in results])
        n_keep = self.n_models if self.n_keep is None else self.n_keep
        self.kept_models_ = np.sort(np.argsort(self.validation_losses_, kind="stable")[:n_keep])
        self.networks_ = [results[index][0] for index in self.kept_models_]
        self.histories_ = [history for _, history in results]
        self.n_iter_ = np.array([len(self.histories_[index]["train_loss"])
                                 for index in self.kept_models_])

    def _standardise(self, inputs, out=None):
        standardised = np.subtract(inputs, self.input_mean_, out=out)
        return np.divide(standardised, self.input_scale_, out=standardised)

    # -- prediction --------------------------------------------------------------------------

    def _member_logits(self, X_standardised):
        """Return the logits of every kept member, shape (n_kept, N), as float64.

        The networks run in float64 here. In float32, the matrix products round differently
        with the number of rows, so an event's score would depend on the other events passed.
        """
        networks = [copy.deepcopy(network).double() for network in self.networks_]
        logits = np.empty((len(networks), len(X_standardised)), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(X_standardised), PREDICTION_CHUNK_SIZE):
                chunk = torch.from_numpy(X_standardised[start:start + PREDICTION_CHUNK_SIZE])
                chunk = chunk.double()
                for index, network in enumerate(networks):
                    stop = start + len(chunk)
                    logits[index, start:stop] = network(chunk).numpy()
        return logits

    def decision_function(self, X):
        """Compute the log odds of the ensemble probability, log(p / (1 - p)).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units, with the columns of ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Positive values favour ``classes_[1]``.

        Raises
        ------
        InputDataError
            If X is a DataFrame whose jet masses look like GeV, or that has truth columns.
        """
        check_is_fitted(self)
        check_feature_frame(X, type(self).__name__)
        check_finite(X, type(self).__name__)
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        inputs = self._standardise(self._prepare_predict(X))
        logits = torch.from_numpy(self._member_logits(inputs))
        return _ensemble_log_odds(logits).numpy()

    def predict_proba(self, X):
        """Compute class probabilities as the mean over the kept ensemble members.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units, with the columns of ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        """Predict the class of every event (the positive class where its probability > 0.5).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events in physical units, with the columns of ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


def _column_mean_std(array, chunk_size=PREDICTION_CHUNK_SIZE):
    """Return the float64 mean and standard deviation of every column of a 2-D array.

    Works through row chunks, because ``numpy.std`` makes a float64 copy of the whole array.
    """
    mean = np.zeros(array.shape[1])
    for start in range(0, len(array), chunk_size):
        mean += array[start:start + chunk_size].sum(axis=0, dtype=np.float64)
    mean /= max(len(array), 1)

    squared_deviation = np.zeros(array.shape[1])
    for start in range(0, len(array), chunk_size):
        deviation = array[start:start + chunk_size] - mean
        squared_deviation += np.einsum("ij,ij->j", deviation, deviation)
    return mean, np.sqrt(squared_deviation / max(len(array), 1))


def _ensemble_log_odds(member_logits):
    """Return log(f / (1 - f)) for f the mean of sigmoid over the members (dimension 0).

    Computed with log-sum-exp, so it stays finite where f rounds to 0 or 1.
    """
    log_signal = torch.logsumexp(torch.nn.functional.logsigmoid(member_logits), dim=0)
    log_background = torch.logsumexp(torch.nn.functional.logsigmoid(-member_logits), dim=0)
    return log_signal - log_background


# Columns that contain truth or bookkeeping, never a feature. Training on them would leak the truth.
_FORBIDDEN_FEATURE_COLUMNS = ("label", "decay_mode")

# A median jet mass above this (in the TeV feature columns) means the masses are in GeV.
_MAX_MEDIAN_JET_MASS_TEV = 20.0


def check_finite(X, estimator_name):
    """Raise when a numeric X has NaN or infinite values, naming the columns that have them.

    Non-numeric input is left to scikit-learn's validation, which rejects it with its own message.

    Raises
    ------
    InputDataError
        If a numeric column of a DataFrame, or a numeric array, contains NaN or infinity.
    """
    if isinstance(X, pd.DataFrame):
        # Column by column, so that no full copy of X is made.
        bad_rows = np.zeros(len(X), dtype=bool)
        bad_columns = []
        for position, name in enumerate(X.columns):
            values = X.iloc[:, position].to_numpy()
            if not np.issubdtype(values.dtype, np.number):
                continue
            bad = ~np.isfinite(values)
            if bad.any():
                bad_rows |= bad
                bad_columns.append(name)
    else:
        values = np.asarray(X) if isinstance(X, np.ndarray) else None
        if values is None or values.ndim != 2 or not np.issubdtype(values.dtype, np.number):
            return
        bad = ~np.isfinite(values)
        bad_rows = bad.any(axis=1)
        bad_columns = np.flatnonzero(bad.any(axis=0)).tolist()
    if bad_columns:
        raise InputDataError(
            f"{estimator_name}: X has {int(bad_rows.sum())} events with NaN or infinite values, in "
            f"the columns {bad_columns}. Drop or repair those events first, e.g. with "
            "X[np.isfinite(X).all(axis=1)]."
        )


def check_feature_frame(X, estimator_name):
    """Raise when a DataFrame given as X carries truth columns or jet masses in GeV.

    Parameters
    ----------
    X : object
        The X passed to ``fit``; only pandas DataFrames are checked.
    estimator_name : str
        Name used in the message.

    Raises
    ------
    InputDataError
        If X has a ``label`` or ``decay_mode`` column, or its ``mj1``/``mj2`` columns look like GeV
        or have a negative median (standardised features).
    """
    columns = getattr(X, "columns", None)
    if columns is None:
        return
    forbidden = [name for name in _FORBIDDEN_FEATURE_COLUMNS if name in columns]
    if forbidden:
        raise InputDataError(
            f"{estimator_name}: X contains the columns {forbidden}, which hold truth or bookkeeping, "
            "not features. Drop them from X (pass the labels as y), e.g. X = events[FEATURE_COLUMNS]."
        )
    for name in ("mj1", "mj2"):
        if name in columns:
            median = float(np.nanmedian(np.asarray(X[name], dtype=float))) if len(X) else 0.0
            if median > _MAX_MEDIAN_JET_MASS_TEV:
                raise InputDataError(
                    f"{estimator_name}: column {name!r} has median {median:.4g}, which looks like GeV; "
                    "the jet-mass features are in TeV. Divide them by 1000, or read the file with "
                    "sklearn_paws.datasets.read_lhco_features, which converts them."
                )
            if median < 0.0:
                raise InputDataError(
                    f"{estimator_name}: column {name!r} has median {median:.4g}, but jet masses are "
                    "positive, so the features look standardised (e.g. by a StandardScaler in a "
                    "Pipeline). Pass them in physical units (TeV): the estimators scale them inside."
                )

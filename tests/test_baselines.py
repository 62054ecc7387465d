"""Tests of the non-parametric baselines: SupervisedClassifier and WeakSupervisionClassifier."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from sklearn_paws._baselines import SupervisedClassifier, WeakSupervisionClassifier
from sklearn_paws.datasets import FEATURE_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_signal
from sklearn_paws.exceptions import InputDataError

FEATURES = list(FEATURE_COLUMNS)
SMALL = dict(hidden_layer_sizes=(16,), max_epochs=8, batch_size=128)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def supervised_events():
    signal = make_toy_signal(300, 300, 1000, random_state=0)
    background = make_toy_background(3000, random_state=1)
    return pd.concat([signal, background], ignore_index=True)


@pytest.fixture(scope="module")
def weak_events():
    """Data (y=1: background plus 10 % signal) and reference (y=0: background), with truth."""
    background_data = make_toy_background(9000, random_state=2)
    signal = make_toy_signal(300, 300, 1000, random_state=3)
    reference = make_toy_background(10000, random_state=4)
    events = pd.concat([background_data, signal, reference], ignore_index=True)
    events["y"] = np.r_[np.ones(10000, dtype=int), np.zeros(10000, dtype=int)]
    return events


@pytest.fixture(scope="module")
def supervised(supervised_events):
    clf = SupervisedClassifier(random_state=0, **SMALL)
    return clf.fit(supervised_events[FEATURES], supervised_events["label"])


def test_supervised_separates_signal(supervised_events, supervised):
    scores = supervised.decision_function(supervised_events[FEATURES])
    assert roc_auc_score(supervised_events["label"], scores) > 0.95


def test_supervised_same_seed_identical(supervised_events, supervised):
    again = SupervisedClassifier(random_state=0, **SMALL)
    again.fit(supervised_events[FEATURES], supervised_events["label"])
    np.testing.assert_array_equal(again.predict_proba(supervised_events[FEATURES]),
                                  supervised.predict_proba(supervised_events[FEATURES]))


def test_supervised_pickle_round_trip(supervised_events, supervised):
    restored = pickle.loads(pickle.dumps(supervised))
    np.testing.assert_array_equal(restored.decision_function(supervised_events[FEATURES]),
                                  supervised.decision_function(supervised_events[FEATURES]))


def test_supervised_clone_unfitted(supervised):
    copy = clone(supervised)
    assert copy.get_params() == supervised.get_params()
    assert not hasattr(copy, "networks_")


def test_supervised_feature_names(supervised):
    assert list(supervised.feature_names_in_) == FEATURES


def test_supervised_string_labels(supervised_events):
    labels = np.where(supervised_events["label"] == 1, "signal", "background")
    clf = SupervisedClassifier(random_state=0, **SMALL).fit(supervised_events[FEATURES], labels)
    assert set(clf.predict(supervised_events[FEATURES])) <= {"signal", "background"}


def test_supervised_three_classes(supervised_events):
    y = supervised_events["label"].to_numpy().copy()
    y[:5] = 2
    with pytest.raises(ValueError, match="Only binary classification is supported."):
        SupervisedClassifier(**SMALL).fit(supervised_events[FEATURES], y)


def test_supervised_invalid_activation(supervised_events):
    clf = SupervisedClassifier(activation="sigmoid-ish")
    with pytest.raises(ValueError, match="activation"):
        clf.fit(supervised_events[FEATURES], supervised_events["label"])


def test_weak_rejects_truth_code(weak_events):
    y = weak_events["y"].to_numpy().copy()
    y[y == 1] = 2
    with pytest.raises(ValueError, match="only the labels 0"):
        WeakSupervisionClassifier(**SMALL).fit(weak_events[FEATURES], y)


def test_weak_rejects_string_labels(weak_events):
    y = np.where(weak_events["y"] == 1, "data", "reference")
    with pytest.raises(ValueError, match="only the labels 0"):
        WeakSupervisionClassifier(**SMALL).fit(weak_events[FEATURES], y)


def test_weak_finds_abundant_signal(weak_events):
    # Trained on data against reference only. Truth is used for scoring alone.
    clf = WeakSupervisionClassifier(random_state=0, hidden_layer_sizes=(32, 16), max_epochs=15)
    clf.fit(weak_events[FEATURES], weak_events["y"])
    test = pd.concat([make_toy_signal(300, 300, 2000, random_state=5),
                      make_toy_background(20000, random_state=6)], ignore_index=True)
    scores = clf.decision_function(test[FEATURES])
    assert roc_auc_score(test["label"], scores) > 0.9


def test_weak_ensemble_keeps_best(weak_events):
    subset = weak_events.iloc[::5]
    clf = WeakSupervisionClassifier(random_state=0, n_models=3, n_keep=2, **SMALL)
    clf.fit(subset[FEATURES], subset["y"])
    worst = int(np.argmax(clf.validation_losses_))
    assert len(clf.networks_) == 2
    assert worst not in clf.kept_models_


def test_weak_ensemble_mean_probability(weak_events):
    subset = weak_events.iloc[::5]
    X = subset[FEATURES].to_numpy(dtype=np.float32)
    clf = WeakSupervisionClassifier(random_state=0, n_models=2, **SMALL).fit(X, subset["y"])
    X = X[:100]
    standardised = torch.from_numpy((X - clf.input_mean_) / clf.input_scale_)
    with torch.no_grad():
        members = [torch.sigmoid(network(standardised)).numpy() for network in clf.networks_]
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], np.mean(members, axis=0),
                               rtol=1e-5, atol=1e-6)


def test_weak_score_is_balanced_cross_entropy(weak_events):
    # R gets a third as many events as D, so that the equal weighting of D and R matters.
    subset = pd.concat([weak_events[weak_events["y"] == 1].iloc[::5],
                        weak_events[weak_events["y"] == 0].iloc[::15]], ignore_index=True)
    clf = WeakSupervisionClassifier(random_state=0, **SMALL).fit(subset[FEATURES], subset["y"])
    y = subset["y"].to_numpy()
    probability = clf.predict_proba(subset[FEATURES])[:, 1]
    expected = (0.5 * np.mean(np.log(probability[y == 1]))
                + 0.5 * np.mean(np.log(1.0 - probability[y == 0])))

    assert clf.score(subset[FEATURES], y) == pytest.approx(expected, rel=1e-6)


def test_weak_score_rejects_truth_code(weak_events):
    subset = weak_events.iloc[::5]
    clf = WeakSupervisionClassifier(random_state=0, **SMALL).fit(subset[FEATURES], subset["y"])
    y = subset["y"].to_numpy().copy()
    y[:10] = 2

    with pytest.raises(ValueError, match="SICScorer"):
        clf.score(subset[FEATURES], y)


def test_weak_predict_rejects_gev(weak_events):
    subset = weak_events.iloc[::5]
    clf = WeakSupervisionClassifier(random_state=0, **SMALL).fit(subset[FEATURES], subset["y"])
    in_gev = subset[FEATURES].copy()
    in_gev[["mj1", "mj2"]] *= 1000.0

    with pytest.raises(InputDataError, match="looks like GeV"):
        clf.predict_proba(in_gev)

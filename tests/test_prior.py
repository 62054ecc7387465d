"""Tests of ParameterizedClassifier: API, the frozen torch interface for PAWS, and physics on the toy."""

import copy
import math
import pickle
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from joblib import parallel_config
from sklearn.base import clone
from sklearn.metrics import roc_curve

from sklearn_paws import _prior
from sklearn_paws._baselines import SupervisedClassifier
from sklearn_paws._prior import ParameterizedClassifier
from sklearn_paws.datasets import FEATURE_COLUMNS, THETA_COLUMNS
from sklearn_paws.datasets._toy import (
    make_toy_background,
    make_toy_grid,
    make_toy_signal,
    toy_likelihood_ratio,
)
from sklearn_paws.exceptions import InputDataError, LowStatisticsWarning

COLUMNS = [*FEATURE_COLUMNS, *THETA_COLUMNS]
SMALL = dict(hidden_layer_sizes=(16,), max_epochs=4, kappa_grid_size=4, calibration_size=500)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_training_events(n_per_point=100, n_background=3000, masses=(100, 300, 500),
                         n_noise_features=0, seed=0):
    """Return toy signal on a mass grid plus background, whose theta columns hold 0."""
    signal = make_toy_grid(masses, n_per_point, n_noise_features=n_noise_features,
                           random_state=seed)
    background = make_toy_background(n_background, n_noise_features=n_noise_features,
                                     random_state=seed + 1)
    background[list(THETA_COLUMNS)] = 0.0
    events = pd.concat([signal, background], ignore_index=True)
    return events.drop(columns=["mjj", "decay_mode"])


@pytest.fixture(scope="module")
def events():
    return make_training_events()


@pytest.fixture(scope="module")
def fitted(events):
    return ParameterizedClassifier(random_state=0, **SMALL).fit(events[COLUMNS], events["label"])


# -- API -------------------------------------------------------------------------------------


def test_fit_pandas_feature_names(fitted):
    assert list(fitted.feature_names_in_) == COLUMNS


def test_fit_theta_located_by_name(events):
    shuffled = ["mx", *FEATURE_COLUMNS[:3], "my", *FEATURE_COLUMNS[3:]]
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(events[shuffled], events["label"])
    assert [shuffled[index] for index in clf.theta_indices_] == ["mx", "my"]


def test_fit_theta_by_name_same_model(events, fitted):
    shuffled = ["mx", *FEATURE_COLUMNS[:3], "my", *FEATURE_COLUMNS[3:]]
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(events[shuffled], events["label"])
    np.testing.assert_allclose(clf.decision_function(events[shuffled]),
                               fitted.decision_function(events[COLUMNS]), rtol=1e-5, atol=1e-5)


def test_fit_array_trailing_theta(events, fitted):
    clf = ParameterizedClassifier(random_state=0, **SMALL)
    clf.fit(events[COLUMNS].to_numpy(), events["label"].to_numpy())
    np.testing.assert_array_equal(clf.decision_function(events[COLUMNS].to_numpy()),
                                  fitted.decision_function(events[COLUMNS]))


def test_fit_missing_theta_column(events):
    clf = ParameterizedClassifier(**SMALL)
    with pytest.raises(InputDataError, match="'my'"):
        clf.fit(events[[*FEATURE_COLUMNS, "mx"]], events["label"])


def test_fit_three_classes(events):
    y = events["label"].to_numpy().copy()
    y[:10] = 2
    with pytest.raises(ValueError, match="Only binary classification is supported."):
        ParameterizedClassifier(**SMALL).fit(events[COLUMNS], y)


def test_fit_background_theta_ignored(events, fitted):
    altered = events.copy()
    is_background = altered["label"] == 0
    rng = np.random.default_rng(5)
    altered.loc[is_background, "mx"] = rng.uniform(50, 600, is_background.sum())
    altered.loc[is_background, "my"] = 1234.0
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(altered[COLUMNS], altered["label"])
    np.testing.assert_array_equal(clf.decision_function(events[COLUMNS]),
                                  fitted.decision_function(events[COLUMNS]))


def test_fit_same_seed_identical(events, fitted):
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(events[COLUMNS], events["label"])
    np.testing.assert_array_equal(clf.likelihood_ratio(events[COLUMNS]),
                                  fitted.likelihood_ratio(events[COLUMNS]))


def test_fit_other_seed_differs(events, fitted):
    clf = ParameterizedClassifier(random_state=1, **SMALL).fit(events[COLUMNS], events["label"])
    assert not np.allclose(clf.decision_function(events[COLUMNS]),
                           fitted.decision_function(events[COLUMNS]))


def test_clone_unfitted_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "networks_")


def test_pickle_round_trip(events, fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.likelihood_ratio(events[COLUMNS]),
                                  fitted.likelihood_ratio(events[COLUMNS]))


def test_set_params_changes_fit(events):
    clf = ParameterizedClassifier(random_state=0, **SMALL).set_params(hidden_layer_sizes=(8, 4))
    clf.fit(events[COLUMNS], events["label"])
    assert clf.networks_[0].hidden[1].out_features == 4


def test_ensemble_keeps_best(events):
    clf = ParameterizedClassifier(random_state=0, n_models=3, n_keep=2, n_jobs=2, **SMALL)
    # Threads instead of processes: the same code path without the start-up cost of workers.
    with parallel_config(backend="threading"):
        clf.fit(events[COLUMNS], events["label"])
    worst = int(np.argmax(clf.validation_losses_))
    assert len(clf.networks_) == 2
    assert worst not in clf.kept_models_


def test_ensemble_threads_same_as_serial(events):
    serial = ParameterizedClassifier(random_state=0, n_models=2, **SMALL)
    serial.fit(events[COLUMNS], events["label"])
    threaded = clone(serial).set_params(n_jobs=2)
    with parallel_config(backend="threading"):
        threaded.fit(events[COLUMNS], events["label"])
    np.testing.assert_array_equal(threaded.validation_losses_, serial.validation_losses_)


def test_n_keep_larger_than_n_models(events):
    with pytest.raises(ValueError, match="n_keep=3"):
        ParameterizedClassifier(n_models=2, n_keep=3).fit(events[COLUMNS], events["label"])


def test_predict_proba_rows_sum_to_one(events, fitted):
    proba = fitted.predict_proba(events[COLUMNS])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# -- frozen torch interface for PAWS ----------------------------------------------------------


def _features_tensor(events):
    return torch.tensor(events[list(FEATURE_COLUMNS)].to_numpy(), dtype=torch.float32)


def test_frozen_module_no_gradients(fitted):
    module = fitted.frozen_log_likelihood_ratio()
    assert not any(parameter.requires_grad for parameter in module.parameters())
    assert not module.training


def test_frozen_module_stays_eval(fitted):
    module = fitted.frozen_log_likelihood_ratio()
    module.train()
    assert not module.training


def test_frozen_forward_shape(events, fitted):
    module = fitted.frozen_log_likelihood_ratio()
    prepared = module.prepare(_features_tensor(events[:50]))
    theta = torch.tensor([[300.0, 300.0], [100.0, 500.0], [250.0, 420.0]])
    assert module(prepared, theta).shape == (3, 50)


def test_frozen_prepare_row_sliceable(events, fitted):
    module = fitted.frozen_log_likelihood_ratio()
    features = _features_tensor(events[:100])
    torch.testing.assert_close(module.prepare(features)[20:40], module.prepare(features[20:40]))


def test_frozen_matches_likelihood_ratio(events, fitted):
    module = fitted.frozen_log_likelihood_ratio()
    subset = events[:200].copy()
    subset[list(THETA_COLUMNS)] = (250.0, 420.0)
    with torch.no_grad():
        log_ratio = module(module.prepare(_features_tensor(subset)), torch.tensor([[250.0, 420.0]]))
    np.testing.assert_allclose(log_ratio[0].numpy(), fitted.log_likelihood_ratio(subset[COLUMNS]),
                               rtol=1e-4, atol=1e-4)


def test_frozen_log_odds_matches_decision(events, fitted):
    module = fitted.frozen_log_likelihood_ratio()
    subset = events[:200]
    theta = torch.tensor(subset[list(THETA_COLUMNS)].to_numpy(), dtype=torch.float32)
    with torch.no_grad():
        log_odds = module.log_odds_per_event(module.prepare(_features_tensor(subset)), theta)
    np.testing.assert_allclose(log_odds.numpy(), fitted.decision_function(subset[COLUMNS]),
                               rtol=1e-4, atol=1e-4)


def test_frozen_gradient_theta(events, fitted):
    module = fitted.frozen_log_likelihood_ratio()
    prepared = module.prepare(_features_tensor(events[:300]))
    theta = torch.tensor([[260.0, 330.0], [120.0, 480.0]], requires_grad=True)
    module(prepared, theta).mean().backward()
    assert torch.isfinite(theta.grad).all()
    assert (theta.grad != 0).all()


def test_kappa_interpolation_exact_at_nodes(fitted):
    module = fitted.frozen_log_likelihood_ratio()
    nodes = torch.tensor([[axis_x, axis_y] for axis_x in fitted.kappa_grid_axes_[0]
                          for axis_y in fitted.kappa_grid_axes_[1]], dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(module.log_kappa(nodes).numpy(),
                                   fitted.log_kappa_grid_.ravel(), rtol=1e-5, atol=1e-5)


def test_kappa_gradient_matches_finite_difference(fitted):
    module = fitted.frozen_log_likelihood_ratio()
    theta = torch.tensor([[230.0, 370.0]], dtype=torch.float64, requires_grad=True)
    module = module.double()
    module.log_kappa(theta).sum().backward()
    step = 1e-3
    shifted = theta.detach().clone()
    shifted[0, 0] += step
    with torch.no_grad():
        slope = (module.log_kappa(shifted) - module.log_kappa(theta.detach())) / step
    assert theta.grad[0, 0].item() == pytest.approx(slope.item(), rel=1e-3, abs=1e-6)


def test_background_mean_calibration_is_one(events, fitted):
    # calibrate(X) without y defines kappa by this property on X, at every grid node.
    clf = copy.deepcopy(fitted)
    background = events[events["label"] == 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        clf.calibrate(background[COLUMNS])
    node = (clf.kappa_grid_axes_[0][1], clf.kappa_grid_axes_[1][2])
    at_node = background.assign(mx=node[0], my=node[1])
    assert clf.likelihood_ratio(at_node[COLUMNS]).mean() == pytest.approx(1.0, rel=1e-3)


def _calibration_events(seed):
    """Return held-out toy signal on the training grid plus background, with labels."""
    return make_training_events(n_per_point=100, n_background=1000, seed=seed)


def test_calibrate_signal_refits_kappa(fitted):
    clf = copy.deepcopy(fitted)
    held_out = _calibration_events(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        clf.calibrate(held_out[COLUMNS], held_out["label"])
    assert not np.allclose(clf.log_kappa_grid_, fitted.log_kappa_grid_)
    assert np.isfinite(clf.log_kappa_grid_).all()
    assert clf.calibration_error_.shape == clf.log_kappa_grid_.shape
    assert (clf.calibration_error_ > 0).all()


def test_calibrate_signal_one_theta_warns(fitted):
    # Signal at (100, 100) GeV only leaves the far grid nodes without data.
    held_out = _calibration_events(seed=4)
    held_out = held_out[(held_out["label"] == 0) | (held_out["mx"] + held_out["my"] == 200)]
    with pytest.warns(LowStatisticsWarning, match=r"at theta = \(500.0, 500.0\)"):
        copy.deepcopy(fitted).calibrate(held_out[COLUMNS], held_out["label"])


def test_calibrate_one_class(fitted):
    held_out = _calibration_events(seed=5)
    background = held_out[held_out["label"] == 0]
    with pytest.raises(ValueError, match="0 signal"):
        copy.deepcopy(fitted).calibrate(background[COLUMNS], background["label"])


def test_calibrate_unknown_label(fitted):
    held_out = _calibration_events(seed=5)
    labels = held_out["label"].to_numpy().copy()
    labels[0] = 7
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        copy.deepcopy(fitted).calibrate(held_out[COLUMNS], labels)


def test_calibrate_drawn_thetas_same_seed(fitted, monkeypatch):
    # Fewer rows than background events x distinct thetas: every background event gets thetas
    # drawn from the signal's.
    monkeypatch.setattr(_prior, "_BRIDGE_MAX_ROWS", 2000)
    held_out = _calibration_events(seed=6)
    grids = []
    for _ in range(2):
        clf = copy.deepcopy(fitted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LowStatisticsWarning)
            clf.calibrate(held_out[COLUMNS], held_out["label"])
        grids.append(clf.log_kappa_grid_)
    np.testing.assert_array_equal(grids[0], grids[1])


def test_calibrate_signal_fraction_invalid(events):
    clf = ParameterizedClassifier(calibration_signal_fraction=1.0, **SMALL)
    with pytest.raises(ValueError, match="calibration_signal_fraction"):
        clf.fit(events[COLUMNS], events["label"])


# -- the bridge calibration on a Gaussian model with a known likelihood ratio -------------------

# Background x ~ N(0, 1), signal at theta x ~ N(theta, 1): log Lambda = theta x - theta^2 / 2.
# The "classifier" returns log L = log Lambda + SCALE(theta), so the right log kappa is -SCALE.
GAUSSIAN_THETAS = np.array([0.5, 1.0, 1.5, 2.0, 2.5])


def _gaussian_scale(theta):
    return 1.1 + 0.3 * theta


def _gaussian_bridge(fraction, thetas, node_axis, seed, n_signal=4000, n_background=20000):
    """Fit the bridge to the Gaussian model; return the nodes and their standard errors."""
    rng = np.random.default_rng(seed)
    signal_index = np.repeat(np.arange(len(thetas)), n_signal)
    signal_x = rng.normal(thetas[signal_index], 1.0)
    background_x = rng.normal(0.0, 1.0, n_background)
    background_index, background_weight = _prior._background_theta_index(
        n_background, signal_index, len(thetas), np.random.RandomState(seed))

    def log_odds(x, theta):
        return theta * x - theta**2 / 2 + _gaussian_scale(theta)

    theta_tensor = torch.tensor(thetas[:, None])
    basis = _prior._interpolation_basis(
        (len(node_axis),), torch.tensor([node_axis[0]]), torch.tensor([node_axis[-1]]),
        theta_tensor)
    nodes, error, converged = _prior._fit_bridge(
        basis, (len(node_axis),), signal_index, log_odds(signal_x, thetas[signal_index]),
        background_index,
        log_odds(background_x[:, None], thetas[background_index]), background_weight,
        fraction / (1 - fraction))
    assert converged
    return nodes, error


@pytest.mark.parametrize("fraction", [0.5, 0.01])
def test_bridge_recovers_known_scale(fraction):
    nodes, error = _gaussian_bridge(fraction, GAUSSIAN_THETAS, GAUSSIAN_THETAS, seed=0)
    pulls = (nodes + _gaussian_scale(GAUSSIAN_THETAS)) / error
    assert np.abs(pulls).max() < 4.0


def test_bridge_error_matches_spread():
    nodes = np.array([_gaussian_bridge(0.01, GAUSSIAN_THETAS[2:3], GAUSSIAN_THETAS[2:3],
                                       seed=seed, n_signal=1000, n_background=5000)[0][0]
                      for seed in range(40)])
    _, error = _gaussian_bridge(0.01, GAUSSIAN_THETAS[2:3], GAUSSIAN_THETAS[2:3], seed=100,
                                n_signal=1000, n_background=5000)
    # The spread of 40 fits has a relative standard error of about 11 %.
    assert nodes.std(ddof=1) == pytest.approx(error[0], rel=0.35)


def test_bridge_node_without_signal_follows_neighbour():
    # Signal sits on the nodes up to 2.0, and the interpolation at a node uses no other node,
    # so the nodes above 2.0 have no data.
    node_axis = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    nodes, _ = _gaussian_bridge(0.01, GAUSSIAN_THETAS[:4], node_axis, seed=1)
    assert abs(nodes[-1] - nodes[3]) < 0.1 * abs(nodes[3])


# -- physics on the toy -----------------------------------------------------------------------

PHYSICS_NETWORK = dict(hidden_layer_sizes=(64, 32), max_epochs=30, random_state=0)
POINTS = [(300.0, 300.0), (100.0, 500.0)]


def significance_improvement(scores, truth, background_efficiency=1e-3):
    """Return SIC = eps_S / sqrt(eps_B) at the given background efficiency."""
    false_positive, true_positive, _ = roc_curve(truth, scores)
    signal_efficiency = np.interp(background_efficiency, false_positive, true_positive)
    return signal_efficiency / np.sqrt(background_efficiency)


@pytest.fixture(scope="module")
def physics_events():
    return make_training_events(n_per_point=200, n_background=40000,
                                masses=tuple(range(50, 650, 50)), n_noise_features=10, seed=10)


@pytest.fixture(scope="module")
def physics_test_background():
    # 40k events: at eps_B = 1e-3, 40 background events pass the threshold.
    return make_toy_background(40000, n_noise_features=10, random_state=20)


def _fit_parameterized(events, n_noise_features):
    features = [*FEATURE_COLUMNS, *(f"noise{index}" for index in range(n_noise_features))]
    columns = [*features, *THETA_COLUMNS]
    return ParameterizedClassifier(**PHYSICS_NETWORK).fit(events[columns], events["label"])


@pytest.fixture(scope="module")
def physics_prior(physics_events):
    return _fit_parameterized(physics_events, 0)


@pytest.fixture(scope="module")
def physics_prior_noise(physics_events):
    return _fit_parameterized(physics_events, 10)


def _test_events(mx, my, background, seed):
    signal = make_toy_signal(mx, my, 5000, n_noise_features=10, random_state=seed)
    frame = pd.concat([signal, background], ignore_index=True)
    frame[list(THETA_COLUMNS)] = (mx, my)
    return frame, frame["label"].to_numpy()


def _columns(clf):
    return list(clf.feature_names_in_)


@pytest.mark.slow
@pytest.mark.parametrize("mx, my", POINTS)
def test_sic_near_supervised(mx, my, physics_events, physics_prior, physics_test_background):
    test, truth = _test_events(mx, my, physics_test_background, seed=30)
    signal = make_toy_signal(mx, my, 5000, random_state=40)
    background = physics_events[physics_events["label"] == 0]
    train = pd.concat([signal, background], ignore_index=True)
    features = list(FEATURE_COLUMNS)
    supervised = SupervisedClassifier(**PHYSICS_NETWORK)
    supervised.fit(train[features], train["label"])

    sic_supervised = significance_improvement(supervised.decision_function(test[features]), truth)
    sic_prior = significance_improvement(
        physics_prior.decision_function(test[_columns(physics_prior)]), truth)
    assert sic_prior >= 0.9 * sic_supervised


@pytest.mark.slow
@pytest.mark.parametrize("mx, my", POINTS)
def test_sic_noise_columns_stable(mx, my, physics_prior, physics_prior_noise,
                                  physics_test_background):
    test, truth = _test_events(mx, my, physics_test_background, seed=50)
    sic = significance_improvement(
        physics_prior.decision_function(test[_columns(physics_prior)]), truth)
    sic_noise = significance_improvement(
        physics_prior_noise.decision_function(test[_columns(physics_prior_noise)]), truth)
    assert abs(sic_noise - sic) < 0.1 * sic


@pytest.mark.slow
def test_calibrated_mean_over_background():
    """The calibrated likelihood ratio averages 1 over held-out background at each theta.

    The classifier is trained on the jet masses only here. With all six toy features the signal is so
    far from the background that the background mean of the ratio rests on a handful of events:
    for the (64, 32) network of the tests above, the 5 largest of 400k held-out background
    values carry 42-52 % of the sum, so no affordable sample can check that mean to 5 %.
    """
    features = ["mj1", "mj2"]
    columns = [*features, *THETA_COLUMNS]
    events = make_training_events(n_per_point=1000, n_background=30000, seed=60)
    clf = ParameterizedClassifier(hidden_layer_sizes=(32, 16), max_epochs=30, kappa_grid_size=3,
                                  random_state=0)
    clf.fit(events[columns], events["label"])

    # A background sample larger than the validation split pins kappa down to about 2 %.
    calibration = make_toy_background(300000, random_state=61)
    calibration[list(THETA_COLUMNS)] = 0.0
    clf.calibrate(calibration[columns])

    held_out = make_toy_background(300000, random_state=62)
    means = []
    for mx, my in POINTS:
        held_out[list(THETA_COLUMNS)] = (mx, my)
        means.append(clf.likelihood_ratio(held_out[columns]).mean())
    assert means[0] == pytest.approx(1.0, abs=0.05)
    assert means[1] == pytest.approx(1.0, abs=0.05)


def estimate_background_mean(ratio, exact_background, ratio_signal, exact_signal):
    """Estimate E_b[ratio] and its standard error from background and signal samples.

    Both samples are pooled with the balance heuristic of multiple importance sampling: event x
    has weight p_B(x) / q(x), where q = (n_b p_B + n_s p_S) / (n_b + n_s) is the density of the
    pool, so the weight is (n_b + n_s) / (n_b + n_s L(x)) with L the exact ratio. The estimate is
    unbiased for any ``ratio``, and its terms stay bounded wherever ``ratio`` is close to L.

    Parameters
    ----------
    ratio, exact_background : ndarray of shape (n_b,)
        Tested and exact likelihood ratios of the background events.
    ratio_signal, exact_signal : ndarray of shape (n_s,)
        The same on signal events.

    Returns
    -------
    estimate, standard_error : float
    """
    n_background, n_signal = len(ratio), len(ratio_signal)
    fraction_background = n_background / (n_background + n_signal)
    fraction_signal = 1.0 - fraction_background

    terms_background = ratio / (fraction_background + fraction_signal * exact_background)
    terms_signal = ratio_signal / (fraction_background + fraction_signal * exact_signal)
    estimate = (fraction_background * terms_background.mean()
                + fraction_signal * terms_signal.mean())
    variance = (fraction_background**2 * terms_background.var() / n_background
                + fraction_signal**2 * terms_signal.var() / n_signal)
    return estimate, np.sqrt(variance)


@pytest.fixture(scope="module")
def six_feature_prior():
    """Return a prior on all six toy features, calibrated with the bridge on held-out events.

    The calibration sample has 300k independent background events and 3000 signal events per
    grid point.
    """
    events = make_training_events(n_per_point=3000, n_background=60000, seed=60)
    clf = ParameterizedClassifier(hidden_layer_sizes=(128, 64), max_epochs=60,
                                  kappa_grid_size=3, random_state=0)
    clf.fit(events[COLUMNS], events["label"])

    calibration = make_training_events(n_per_point=3000, n_background=300000, seed=64)
    return clf.calibrate(calibration[COLUMNS], calibration["label"])


@pytest.fixture(scope="module")
def six_feature_background_means(six_feature_prior):
    """Return {theta: (estimate, standard error)} of E_b[calibrated ratio] on all six features.

    The mean is estimated on 200k background and 100k signal events per point, independent of
    the prior's training and calibration, with the exact toy ratio.
    """
    clf = six_feature_prior
    background = make_toy_background(200000, random_state=62)
    means = {}
    for mx, my in POINTS:
        signal = make_toy_signal(mx, my, 100000, random_state=63)
        background[list(THETA_COLUMNS)] = (mx, my)
        signal[list(THETA_COLUMNS)] = (mx, my)
        means[(mx, my)] = estimate_background_mean(
            clf.likelihood_ratio(background[COLUMNS]), toy_likelihood_ratio(background, mx, my),
            clf.likelihood_ratio(signal[COLUMNS]), toy_likelihood_ratio(signal, mx, my),
        )
    return means


@pytest.mark.slow
@pytest.mark.parametrize("mx, my", POINTS)
def test_background_mean_estimate_precise(mx, my, six_feature_background_means):
    """The estimate of E_b[calibrated ratio] has the power to detect a 5 % miscalibration.

    The plain background mean cannot be used on all six features. The exact toy ratio L has
    Var_b[L] = E_s[L] - 1, about 1e15 at both points, and its own plain mean over these 200k
    background events is 0.56 +- 0.21 at (300, 300) and 0.66 +- 0.38 at (100, 500). For the
    calibrated prior, the plain mean has standard errors of 0.60 and 0.42, and the control
    variate mean_b(ratio - L) + 1 still has 0.40 and 0.13, because the ratio misses L by factors
    of 2 to 5 on the rare signal-like background events that carry both means. The pooled
    estimate of ``estimate_background_mean`` has 0.013 and 0.006.
    """
    _, standard_error = six_feature_background_means[(mx, my)]
    assert standard_error < 0.02


# NOTE: the calibrated mean comes out 0.55 +- 0.003 at (300, 300) and 0.90 +- 0.004 at
# (100, 500), with calibration_error_ 0.11 at both nodes. kappa = 1 / mean_b[f / (1 - f)] on the
# 300k background gives 2.19 and 1.44. No kappa fixes it: mean_b[kappa f / (1 - f)] =
# kappa E_s[(f / (1 - f)) / Lambda], and on signal events with log Lambda above 10 (about half
# of the signal, and of the order of 10 of the 300k background events) the network's
# f / (1 - f) falls short of Lambda by e^1.8 to e^6, against e^1.4 where signal and background
# overlap. The bridge matches the overlap, and the background mean cannot sample the rest.
@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the prior's f / (1 - f) is not proportional to the "
                   "toy's likelihood ratio on the most signal-like events, which fix the "
                   "background mean of the calibrated ratio")
@pytest.mark.parametrize("mx, my", POINTS)
def test_calibrated_mean_six_features(mx, my, six_feature_background_means):
    estimate, _ = six_feature_background_means[(mx, my)]
    assert estimate == pytest.approx(1.0, abs=0.05)


@pytest.fixture(scope="module")
def default_prior():
    """Return a two-prong prior trained on the default dataset, with its events.

    The namespace has ``prior``, ``training_background`` (70 % of the default background, which
    trained and calibrated the prior), ``background`` (the other 30 %, never seen) and
    ``test_signal``.
    """
    from sklearn_paws.datasets._default import DATA_DIR, DATASET_FILENAME, load_default
    from sklearn_paws.study._runner import fit_prior

    if not (DATA_DIR / DATASET_FILENAME).exists():
        pytest.skip("the default dataset has not been assembled into the package yet")
    dataset = load_default()
    background = dataset.background.sample(frac=1.0, random_state=0).reset_index(drop=True)
    n_held_out = int(0.3 * len(background))
    signal = dataset.grid_signal[dataset.grid_signal["decay_mode"] == "qq"]
    training_background = background.iloc[n_held_out:]
    prior = fit_prior(signal, training_background, list(FEATURE_COLUMNS),
                      dict(max_epochs=40, random_state=0), random_state=0)
    return SimpleNamespace(prior=prior, training_background=training_background,
                           background=background.iloc[:n_held_out], test_signal=dataset.test_signal)


# The purpose of kappa: with the calibrated ratio at the true theta, the maximum-likelihood signal
# fraction of background plus injected simulated signal is the injected one. The direct
# calibration of the PAWS paper, kappa = 1 / mean_b[f / (1 - f)], gave 0.26 and 0.14 of it at
# mu = 1 % at (100, 500) and (500, 100) with 65,618 background events in the dataset, and 1.17 and
# 0.84 at (100, 500) and (300, 300) with 226,928 (benchmarks/bench_calibration_default.py).
@pytest.mark.slow
@pytest.mark.parametrize("mu", [0.01, 0.03])
@pytest.mark.parametrize("mx, my", POINTS)
def test_calibrated_ratio_recovers_mu_on_simulation(mx, my, mu, default_prior):
    from sklearn_paws._paws import _max_likelihood_mu

    prior, background = default_prior.prior, default_prior.background
    test_signal = default_prior.test_signal
    theta = {"mx": mx, "my": my}
    log_ratio = prior.log_likelihood_ratio(background[list(FEATURE_COLUMNS)].assign(**theta))
    signal = test_signal[(test_signal["decay_mode"] == "qq") & (test_signal["mx"] == mx)
                         & (test_signal["my"] == my)]
    log_ratio_signal = prior.log_likelihood_ratio(signal[list(FEATURE_COLUMNS)].assign(**theta))

    rng = np.random.default_rng(7)
    n_signal = int(round(mu / (1 - mu) * len(log_ratio)))
    fits = [_max_likelihood_mu(np.r_[log_ratio, rng.choice(log_ratio_signal, n_signal,
                                                           replace=False)][None])[0]
            for _ in range(10)]
    assert _max_likelihood_mu(log_ratio[None])[0] < 0.1 * mu
    assert np.median(fits) == pytest.approx(mu, rel=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("mx, my", POINTS)
def test_sic_near_supervised_on_simulation(mx, my, default_prior):
    prior, background = default_prior.prior, default_prior.background
    test_signal = default_prior.test_signal
    columns = list(FEATURE_COLUMNS)
    point = test_signal[(test_signal["decay_mode"] == "qq") & (test_signal["mx"] == mx)
                        & (test_signal["my"] == my)].sample(frac=1.0, random_state=4)
    half = len(point) // 2
    training_background = default_prior.training_background
    train = pd.concat([point.iloc[:half][columns], training_background[columns]])
    labels = np.r_[np.ones(half, dtype=int), np.zeros(len(training_background), dtype=int)]
    supervised = SupervisedClassifier(max_epochs=40, random_state=0).fit(train, labels)

    evaluation = pd.concat([point.iloc[half:], background], ignore_index=True)
    truth = np.r_[np.ones(len(point) - half), np.zeros(len(background))]
    score_supervised = supervised.decision_function(evaluation[columns])
    score_prior = prior.log_likelihood_ratio(evaluation[columns].assign(mx=mx, my=my))
    # At 1e-3 a few dozen held-out background events decide the SIC, at 1e-2 ten times more.
    for efficiency in (1e-3, 1e-2):
        sic_supervised = significance_improvement(score_supervised, truth, efficiency)
        sic_prior = significance_improvement(score_prior, truth, efficiency)
        assert sic_prior >= 0.9 * sic_supervised, f"eps_B = {efficiency:g}"


# Although the calibrated ratio misses a background mean of 1 here, the signal fraction fitted
# from it at the true theta is the injected one (0.975 to 1.0 of it). The toy signal is so well
# separated that mu hardly depends on kappa: kappa 3 times too small or too large gives 0.95 or
# 1.05 of the injected mu, so the tolerance is 4 %.
@pytest.mark.slow
@pytest.mark.parametrize("mu", [0.01, 0.03])
@pytest.mark.parametrize("mx, my", POINTS)
def test_calibrated_ratio_recovers_mu_six_features(mx, my, mu, six_feature_prior):
    from sklearn_paws._paws import _max_likelihood_mu

    background = make_toy_background(100000, random_state=65)
    n_signal = int(round(mu / (1 - mu) * len(background)))
    fits = []
    for draw in range(5):
        signal = make_toy_signal(mx, my, n_signal, random_state=66 + draw)
        data = pd.concat([background, signal], ignore_index=True)
        data[list(THETA_COLUMNS)] = (mx, my)
        fits.append(_max_likelihood_mu(six_feature_prior.log_likelihood_ratio(data[COLUMNS])[None])[0])
    assert np.median(fits) == pytest.approx(mu, rel=0.04)


def test_fit_nan_background_theta(events, fitted):
    # pandas.concat leaves NaN theta in background rows when the background table lacks the columns.
    with_nan = events.copy()
    with_nan.loc[with_nan["label"] == 0, list(THETA_COLUMNS)] = np.nan
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(with_nan[COLUMNS], with_nan["label"])

    np.testing.assert_array_equal(clf.decision_function(events[COLUMNS]),
                                  fitted.decision_function(events[COLUMNS]))
    assert with_nan[list(THETA_COLUMNS)].isna().any().all()


def test_fit_nan_background_theta_array(events, fitted):
    array = events[COLUMNS].to_numpy(dtype=np.float64)
    array[events["label"].to_numpy() == 0, -2:] = np.nan
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(array, events["label"].to_numpy())

    np.testing.assert_array_equal(clf.decision_function(events[COLUMNS].to_numpy()),
                                  fitted.decision_function(events[COLUMNS]))


def test_fit_nan_background_theta_integer_columns(events, fitted):
    # A DataFrame without string column names carries theta in its trailing columns, as an array.
    array = events[COLUMNS].to_numpy(dtype=np.float64)
    array[events["label"].to_numpy() == 0, -2:] = np.nan
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(pd.DataFrame(array),
                                                               events["label"].to_numpy())

    np.testing.assert_array_equal(clf.decision_function(events[COLUMNS].to_numpy()),
                                  fitted.decision_function(events[COLUMNS]))


@pytest.mark.filterwarnings("ignore::sklearn_paws.exceptions.LowStatisticsWarning")
def test_calibrate_array_fit_named_frame(events):
    # Fitted on arrays, the estimator reads theta by position in any later input.
    array = events[COLUMNS].to_numpy()
    clf = ParameterizedClassifier(random_state=0, **SMALL).fit(array, events["label"].to_numpy())
    renamed = pd.DataFrame(array, columns=[f"c{index}" for index in range(array.shape[1])])
    by_frame = copy.deepcopy(clf).calibrate(renamed, events["label"])
    by_array = copy.deepcopy(clf).calibrate(array, events["label"])

    np.testing.assert_allclose(by_frame.log_kappa_grid_, by_array.log_kappa_grid_)


def test_fit_nan_signal_theta_rejected(events):
    broken = events.copy()
    signal_rows = np.flatnonzero(broken["label"].to_numpy() == 1)[:3]
    broken.loc[signal_rows, "my"] = np.nan

    with pytest.raises(InputDataError, match=r"\['my'\] are NaN in 3 signal"):
        ParameterizedClassifier(**SMALL).fit(broken[COLUMNS], broken["label"])


@pytest.mark.filterwarnings("ignore::sklearn_paws.exceptions.LowStatisticsWarning")
def test_fit_misnamed_theta_with_nan(events):
    # Background rows with NaN theta under other column names: the names are the error.
    renamed = events.rename(columns={"mx": "mX", "my": "mY"})
    renamed.loc[renamed["label"] == 0, ["mX", "mY"]] = np.nan
    columns = [*FEATURE_COLUMNS, "mX", "mY"]

    with pytest.raises(InputDataError, match=r"theta column\(s\) \['mx', 'my'\] are missing"):
        ParameterizedClassifier(**SMALL).fit(renamed[columns], renamed["label"])


def test_fit_nan_feature_named(events):
    broken = events.copy()
    broken.loc[[3, 5], "tau21j1"] = np.nan

    with pytest.raises(InputDataError,
                       match=r"2 events with NaN or infinite values, in the columns \['tau21j1'\]"):
        ParameterizedClassifier(**SMALL).fit(broken[COLUMNS], broken["label"])


def test_likelihood_ratio_nan_theta(events, fitted):
    broken = events[COLUMNS].copy()
    broken.loc[0, "mx"] = np.nan

    with pytest.raises(InputDataError, match=r"in the columns \['mx'\]"):
        fitted.likelihood_ratio(broken)


def test_calibrate_nan_background_theta(events, fitted):
    with_nan = events.copy()
    with_nan.loc[with_nan["label"] == 0, list(THETA_COLUMNS)] = np.nan
    clf = copy.deepcopy(fitted).calibrate(with_nan[COLUMNS], with_nan["label"])
    reference = copy.deepcopy(fitted).calibrate(events[COLUMNS], events["label"])

    np.testing.assert_allclose(clf.log_kappa_grid_, reference.log_kappa_grid_)


def test_likelihood_ratio_rejects_gev(events, fitted):
    in_gev = events[COLUMNS].copy()
    in_gev[["mj1", "mj2"]] *= 1000.0

    with pytest.raises(InputDataError, match="looks like GeV"):
        fitted.likelihood_ratio(in_gev)
    with pytest.raises(InputDataError, match="looks like GeV"):
        fitted.predict_proba(in_gev)


def test_fit_label_count_mismatch(events):
    with pytest.raises(ValueError, match="has 3900 events but y has 3895 labels"):
        ParameterizedClassifier(**SMALL).fit(events[COLUMNS], events["label"].to_numpy()[:-5])

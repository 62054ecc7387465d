"""Tests of PAWSClassifier.

Most physics checks use ``ExactToyPrior``, a stand-in for a fitted ParameterizedClassifier whose
log likelihood ratio is the exact one of the toy model. With an exact Lambda, PAWS must recover
the injected masses and mu, and any failure is PAWS's own.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_curve

from sklearn_paws._paws import PAWSClassifier, _max_likelihood_mu
from sklearn_paws.datasets._columns import FEATURE_COLUMNS, THETA_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_signal
from sklearn_paws.datasets._toy_prior import ExactToyPrior
from sklearn_paws.exceptions import DataQualityWarning, InputDataError

# Short test fits stop at max_epochs on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn_paws.exceptions.ConvergenceWarning")


def _feature_names(n_noise):
    return list(FEATURE_COLUMNS) + [f"noise{i}" for i in range(n_noise)]


def make_weak_dataset(mass_point, mu, *, n_background=50_000, n_noise=0, alpha=None, seed=0):
    """Return (data, reference) frames of features: D = background + mu signal, R = background."""
    rng = np.random.default_rng(seed)
    names = _feature_names(n_noise)
    reference = make_toy_background(n_background, n_noise_features=n_noise,
                                    random_state=int(rng.integers(2**31)))[names]
    background = make_toy_background(n_background, n_noise_features=n_noise,
                                     random_state=int(rng.integers(2**31)))[names]
    n_signal = int(round(mu * n_background / (1.0 - mu)))
    parts = [background]
    if n_signal:
        if alpha is None:
            counts = {"qq": n_signal}
        else:
            n_three = int(round(alpha * n_signal))
            counts = {"qq": n_signal - n_three, "qqq": n_three}
        for mode, count in counts.items():
            parts.append(make_toy_signal(*mass_point, count, decay_mode=mode,
                                         n_noise_features=n_noise,
                                         random_state=int(rng.integers(2**31)))[names])
    data = pd.concat(parts, ignore_index=True)
    return data, reference


def _fast_paws(prior, **params):
    settings = dict(n_init=10, n_keep=5, batch_size=2048, verbose=False,
                    random_state=0)
    settings.update(params)
    return PAWSClassifier(pretrained=prior, **settings)


@pytest.fixture(scope="module")
def exact_prior():
    return ExactToyPrior().fit()


def _mass_error(paws, mass_point):
    """Return the larger mass error in GeV, for the better of the two orderings."""
    fitted = np.array([paws.mx_, paws.my_])
    truth = np.array(mass_point, dtype=float)
    return min(np.abs(fitted - truth).max(), np.abs(fitted - truth[::-1]).max())


def _sic_at(truth, scores, background_efficiency=1e-3):
    """Return SIC = eps_S / sqrt(eps_B) at the given background efficiency (ROC interpolation)."""
    fpr, tpr, _ = roc_curve(truth, scores)
    efficiency = np.interp(background_efficiency, fpr, tpr)
    return efficiency / math.sqrt(background_efficiency)


# ----------------------------------------------------------------------------------------------
# Physics with the exact likelihood ratio


@pytest.mark.slow
@pytest.mark.parametrize("mass_point", [(300.0, 300.0), (100.0, 500.0)])
def test_fit_recovers_masses_and_mu(exact_prior, mass_point):
    data, reference = make_weak_dataset(mass_point, 0.01, seed=1)
    paws = _fast_paws(exact_prior).fit(data, reference)

    assert _mass_error(paws, mass_point) < 50.0
    assert 0.01 / 1.5 < paws.mu_ < 0.01 * 1.5
    assert paws.significance_ > 5.0


@pytest.mark.slow
@pytest.mark.parametrize("n_noise", [0, 10])
def test_fit_without_signal_claims_nothing(n_noise):
    prior = ExactToyPrior(n_noise_features=n_noise).fit()
    data, reference = make_weak_dataset((300.0, 300.0), 0.0, n_noise=n_noise, seed=2)
    paws = _fast_paws(prior).fit(data, reference)

    # The test statistic detects an injected mu of 5e-4 on this toy (benchmarks/bench_paws_null.py),
    # so a fit on background alone must return less and must not be significant.
    assert paws.mu_ < 5e-4
    assert paws.test_statistic_ < 9.0
    assert paws.significance_ < 3.0


@pytest.mark.slow
def test_fit_measures_small_mu(exact_prior):
    data, reference = make_weak_dataset((300.0, 300.0), 1e-3, seed=7)
    paws = _fast_paws(exact_prior).fit(data, reference)

    assert 1e-3 / 1.5 < paws.mu_ < 1e-3 * 1.5
    assert paws.restarts_.loc[paws.restarts_["rank"] == 0, "mu"].item() == paws.mu_
    assert paws.restarts_.loc[paws.restarts_["rank"] == 0, "mu_bce"].item() == paws.mu_bce_


@pytest.mark.parametrize(
    "ratios, expected",
    [
        (np.r_[np.zeros(9900), np.full(100, 1e8)], 0.01),
        (np.r_[np.full(100, 0.5), 3.0], 0.0),
        (np.full(10, 5.0), 1.0),
    ],
)
def test_max_likelihood_mu_cases(ratios, expected):
    with np.errstate(divide="ignore"):
        log_ratios = np.log(ratios)[None, :]
    estimate = _max_likelihood_mu(log_ratios)

    assert estimate.shape == (1,)
    assert estimate[0] == pytest.approx(expected, rel=1e-4, abs=1e-9)


def test_max_likelihood_mu_matches_grid():
    rng = np.random.default_rng(3)
    log_ratios = rng.normal(-1.0, 2.0, size=(2, 3000))
    estimate = _max_likelihood_mu(log_ratios)

    def log_likelihood(mu, log_l):
        return np.log1p(np.outer(np.atleast_1d(mu), np.expm1(log_l))).sum(axis=1)

    grid = np.linspace(0.0, 1.0, 1001)
    for row, log_l in enumerate(log_ratios):
        assert 0.0 < estimate[row] < 1.0
        best = log_likelihood(estimate[row], log_l)[0]
        assert best >= log_likelihood(grid, log_l).max()
        assert best >= log_likelihood(estimate[row] + np.array([-1e-6, 1e-6]), log_l).max()


@pytest.mark.slow
@pytest.mark.parametrize("n_noise", [0, 10])
def test_fit_sic_matches_supervised(n_noise):
    exact_prior = ExactToyPrior(n_noise_features=n_noise).fit()
    mass_point = (300.0, 300.0)
    data, reference = make_weak_dataset(mass_point, 0.003, n_noise=n_noise, seed=3)
    paws = _fast_paws(exact_prior).fit(data, reference)

    names = _feature_names(n_noise)
    background = make_toy_background(200_000, n_noise_features=n_noise, random_state=31)[names]
    signal = make_toy_signal(*mass_point, 20_000, n_noise_features=n_noise, random_state=32)[names]
    test = pd.concat([background, signal], ignore_index=True)
    truth = np.r_[np.zeros(len(background)), np.ones(len(signal))]

    # The fully supervised reference is the exact likelihood ratio at the true masses, the best
    # any classifier can do.
    module = exact_prior.frozen_log_likelihood_ratio()
    with torch.no_grad():
        features = torch.from_numpy(test.to_numpy(np.float32, copy=True))
        supervised = module(module.prepare(features), torch.tensor([mass_point])).numpy()[0]

    sic_paws = _sic_at(truth, paws.decision_function(test))
    sic_supervised = _sic_at(truth, supervised)
    assert sic_paws >= 0.9 * sic_supervised


@pytest.mark.slow
def test_fit_ignores_noise_dimensions():
    prior = ExactToyPrior(n_noise_features=10).fit()
    mass_point = (100.0, 500.0)
    data, reference = make_weak_dataset(mass_point, 0.01, n_noise=10, seed=4)
    paws = _fast_paws(prior).fit(data, reference)

    assert paws.n_features_in_ == 16
    assert _mass_error(paws, mass_point) < 50.0
    assert 0.01 / 1.5 < paws.mu_ < 0.01 * 1.5


@pytest.mark.slow
def test_fit_two_decay_modes_learns_alpha():
    priors = {"qq": ExactToyPrior("qq").fit(), "qqq": ExactToyPrior("qqq").fit()}
    data, reference = make_weak_dataset((100.0, 500.0), 0.01, alpha=0.5, seed=5)
    paws = _fast_paws(priors).fit(data, reference)

    # Y is the three-prong candidate, so the two orderings differ and the swap check must find
    # the right one.
    assert abs(paws.mx_ - 100.0) < 50.0
    assert abs(paws.my_ - 500.0) < 50.0
    assert 0.01 / 1.5 < paws.mu_ < 0.01 * 1.5
    assert 0.0 <= paws.alpha_ <= 1.0
    assert paws.decay_modes_ == ["qq", "qqq"]


def test_loss_landscape_minimum_at_truth(exact_prior):
    data, reference = make_weak_dataset((300.0, 300.0), 0.05, n_background=5000, seed=6)
    masses = [100.0, 300.0, 500.0]
    landscape = PAWSClassifier(exact_prior, verbose=False).loss_landscape(
        data, reference, masses, masses, mu=0.05)

    assert landscape.shape == (9, 4)
    best = landscape.loc[landscape["loss"].idxmin()]
    assert (best["mx"], best["my"]) == (300.0, 300.0)
    assert np.allclose(landscape["scaled_loss"], (landscape["loss"] - math.log(2)) * 1e5)


# ----------------------------------------------------------------------------------------------
# Interface


def _small_fit(prior, seed=0, **params):
    data, reference = make_weak_dataset((300.0, 300.0), 0.05, n_background=4000, seed=seed)
    settings = dict(n_init=3, n_keep=2, max_epochs=2, batch_size=1024)
    settings.update(params)
    return _fast_paws(prior, **settings), data, reference


def test_keep_tolerance_none_keeps_n_keep(exact_prior):
    paws, data, reference = _small_fit(exact_prior, keep_tolerance=None)
    paws.fit(data, reference)

    assert paws.restarts_["kept"].sum() == 2
    assert len(paws.kept_params_) == 2


def test_fit_forms_agree(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.zeros(len(reference))]

    first = clone(paws).fit(data, reference)
    second = clone(paws).fit(X, y)
    assert first.mx_ == second.mx_
    assert first.mu_ == second.mu_


def test_fit_rejects_standardised_features(exact_prior):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.zeros(len(reference))]

    with pytest.raises(InputDataError, match="look standardised"):
        make_pipeline(StandardScaler(), paws).fit(X, y)


def test_two_modes_need_three_prong(exact_prior):
    paws, data, reference = _small_fit({"qq": exact_prior, "q3": exact_prior})

    with pytest.raises(ValueError, match="one must be 'qqq'"):
        paws.fit(data, reference)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0.0])
def test_fit_rejects_bad_learning_rate(exact_prior, value):
    paws, data, reference = _small_fit(exact_prior)
    paws.set_params(learning_rate=value)

    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        paws.fit(data, reference)


def test_large_signal_fraction_warns(exact_prior):
    # Data that are 80 % signal: no resonance search expects that, so the fit warns.
    data, reference = make_weak_dataset((300.0, 300.0), 0.8, n_background=1000, seed=3)
    paws = _fast_paws(exact_prior, n_init=3, n_keep=2, max_epochs=10, batch_size=1024)

    with pytest.warns(DataQualityWarning, match="fitted a signal fraction mu_ = 0.[5-9]"):
        paws.fit(data, reference)

    assert paws.mu_ > 0.5


def test_small_signal_fraction_does_not_warn(exact_prior):
    paws, data, reference = _small_fit(exact_prior)

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        paws.fit(data, reference)

    assert paws.mu_ < 0.5


def test_fit_rejects_truth_labels(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.zeros(len(reference))]
    y[:10] = 2

    with pytest.raises(ValueError, match="Only binary classification is supported"):
        paws.fit(X, y)


def test_fit_warns_reference_copy_of_data(exact_prior):
    paws, data, _ = _small_fit(exact_prior)

    with pytest.warns(DataQualityWarning, match=f"{len(data)} of the {len(data)} data events also occur"):
        paws.fit(data, data.copy())


def test_fit_disjoint_reference_no_warning(exact_prior):
    paws, data, reference = _small_fit(exact_prior)

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        paws.fit(data, reference)


def test_fit_rejects_two_dimensional_labels(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = pd.DataFrame({"label": np.r_[np.ones(len(data)), np.zeros(len(reference))]})

    with pytest.raises(InputDataError, match=r"Pass labels as a 1-D array"):
        paws.fit(X, y)


def test_fit_rejects_string_labels(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.full(len(data), "data"), np.full(len(reference), "reference")]

    with pytest.raises(ValueError, match=r"values such as \['data', 'reference'\]. Map them"):
        paws.fit(X, y)


def test_fit_rejects_missing_column(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    with pytest.raises(InputDataError, match="tau32j2"):
        paws.fit(data.drop(columns="tau32j2"), reference)


def test_fit_rejects_gev_array(exact_prior):
    data, reference = make_weak_dataset((300.0, 300.0), 0.01, n_background=2000, seed=9)
    data_gev = data.to_numpy() * np.array([1000.0, 1000.0, 1, 1, 1, 1])

    with pytest.raises(InputDataError, match="looks like GeV"):
        _fast_paws(exact_prior).fit(data_gev, reference.to_numpy())


def test_fit_rejects_wrong_feature_count(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    with pytest.raises(InputDataError, match="7 features"):
        paws.fit(np.c_[data.to_numpy(), np.zeros(len(data))], reference.to_numpy())


def test_fit_rejects_mismatched_modes():
    priors = {"qq": ExactToyPrior("qq").fit(),
              "qqq": ExactToyPrior("qqq", n_noise_features=2).fit()}
    paws, data, reference = _small_fit(priors)
    with pytest.raises(ValueError, match="different features"):
        paws.fit(data, reference)


def test_fit_accepts_single_mode_mapping(exact_prior):
    paws, data, reference = _small_fit({"qqq": exact_prior})
    paws.fit(data, reference)
    assert math.isnan(paws.alpha_)


def test_fit_ignores_extra_columns(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    labelled = data.assign(label=1, mx=300.0)
    first = clone(paws).fit(labelled, reference)
    second = clone(paws).fit(data, reference)
    assert first.mx_ == second.mx_


def test_restarts_table(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    paws.fit(data, reference)
    table = paws.restarts_

    assert len(table) == 3
    expected_kept = (table["rank"] < 2) & (table["statistic_gap"] <= paws.keep_tolerance)
    assert table["kept"].tolist() == expected_kept.tolist()
    assert table.loc[table["rank"] == 0, "kept"].item()
    assert table.loc[table["rank"] == 0, "statistic_gap"].item() == 0.0
    assert len(paws.kept_params_) == table["kept"].sum()
    assert set(table.columns) >= {"mx_start", "my_start", "mx", "my", "mu", "validation_loss",
                                  "statistic_gap", "kept", "swapped"}
    assert table.loc[table["rank"] == 0, "validation_loss"].item() == paws.validation_loss_
    assert paws.loss_curve_.shape[1] == 3


def test_predictions_consistent(exact_prior):
    paws, data, reference = _small_fit(exact_prior, max_epochs=4)
    paws.fit(data, reference)
    signal = make_toy_signal(300.0, 300.0, 500, random_state=7)[_feature_names(0)]
    proba = paws.predict_proba(signal)
    scores = paws.decision_function(signal)

    assert proba.shape == (500, 2)
    assert list(paws.classes_) == [0, 1]
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(scores, np.log(proba[:, 1] / proba[:, 0]), atol=1e-6)
    assert scores.mean() > paws.decision_function(reference).mean()


def test_score_sign_convention(exact_prior):
    paws, data, reference = _small_fit(exact_prior, max_epochs=4)
    paws.fit(data, reference)

    assert paws.score(data, reference) > -math.log(2.0)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.full(len(reference), 2)]
    with pytest.raises(ValueError, match="0 \\(reference\\) and 1 \\(data\\)"):
        paws.score(X, y)


def test_clone_keeps_pretrained(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    paws.fit(data, reference)
    copy = clone(paws)

    assert copy.pretrained is exact_prior
    assert not hasattr(copy, "mx_")


def test_cross_val_score_runs(exact_prior):
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    paws, data, reference = _small_fit(exact_prior)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.zeros(len(reference))]
    scores = cross_val_score(paws, X, y, cv=StratifiedKFold(2, shuffle=True, random_state=0))

    assert scores.shape == (2,)
    assert np.all(np.isfinite(scores))


def test_grid_search_keeps_pretrained(exact_prior):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    paws, data, reference = _small_fit(exact_prior, max_epochs=1)
    X = pd.concat([data, reference], ignore_index=True)
    y = np.r_[np.ones(len(data)), np.zeros(len(reference))]
    search = GridSearchCV(paws, {"learning_rate": [0.05, 0.1]},
                          cv=StratifiedKFold(2, shuffle=True, random_state=0))
    search.fit(X, y)

    assert search.best_estimator_.pretrained is exact_prior
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_fit_same_seed_same_result(exact_prior):
    paws, data, reference = _small_fit(exact_prior)
    first = clone(paws).fit(data, reference).restarts_
    second = clone(paws).fit(data, reference).restarts_
    pd.testing.assert_frame_equal(first, second)


def test_fit_requires_pretrained():
    with pytest.raises(ValueError, match="pretrained is None"):
        PAWSClassifier().fit(np.zeros((10, 6)), np.zeros((10, 6)))


# ----------------------------------------------------------------------------------------------
# Integration with a real ParameterizedClassifier


@pytest.fixture(scope="module")
def trained_prior():
    from sklearn_paws._prior import ParameterizedClassifier
    from sklearn_paws.datasets._toy import make_toy_grid

    signal = make_toy_grid(masses=(100, 200, 300, 400, 500), n_events_per_point=600,
                           random_state=0)
    background = make_toy_background(len(signal), random_state=1)
    events = pd.concat([signal, background], ignore_index=True)
    events[list(THETA_COLUMNS)] = events[list(THETA_COLUMNS)].fillna(0.0)
    columns = list(FEATURE_COLUMNS) + list(THETA_COLUMNS)
    prior = ParameterizedClassifier(hidden_layer_sizes=(64, 64), max_epochs=10, batch_size=512,
                                    calibration_size=5000, kappa_grid_size=6, random_state=0)
    return prior.fit(events[columns], events["label"])


def _network_weights(prior):
    return [{name: tensor.clone() for name, tensor in network.state_dict().items()}
            for network in prior.networks_]


@pytest.mark.slow
def test_fit_with_parameterized_classifier(trained_prior):
    before = _network_weights(trained_prior)
    data, reference = make_weak_dataset((300.0, 300.0), 0.05, n_background=20_000, seed=8)
    paws = PAWSClassifier(trained_prior, mass_bounds=(100.0, 500.0), n_init=6, n_keep=3,
                          batch_size=1024, random_state=0, verbose=False).fit(data, reference)

    # This quickly trained prior resolves m_X + m_Y but hardly m_X - m_Y, so the masses are not
    # checked here; the exact-likelihood tests check them.
    assert paws.significance_ > 5.0
    assert abs(paws.mx_ + paws.my_ - 600.0) < 100.0
    after = _network_weights(trained_prior)
    for weights_before, weights_after in zip(before, after):
        for name, tensor in weights_before.items():
            assert torch.equal(tensor, weights_after[name]), name
    copy = clone(paws)
    assert copy.pretrained is trained_prior
    assert copy.pretrained.networks_


def test_parameterized_classifier_feature_check(trained_prior):
    paws = PAWSClassifier(trained_prior, n_init=2, n_keep=1, max_epochs=1, verbose=False)
    data, reference = make_weak_dataset((300.0, 300.0), 0.05, n_background=2000, n_noise=1,
                                        seed=9)
    with pytest.raises(InputDataError, match="7 features"):
        paws.fit(data.to_numpy(), reference.to_numpy())

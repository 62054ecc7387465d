"""Tests of the toy model's exact likelihood ratio."""

import numpy as np
import pytest

from sklearn_paws.datasets import FEATURE_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_signal, toy_likelihood_ratio
from sklearn_paws.exceptions import InputDataError

POINTS = [(300.0, 300.0), (100.0, 500.0)]
N_EVENTS = 200_000


def overlap_identity_pull(background_ratio, signal_ratio):
    """Return the pull of mean_b[L / (1 + L)] - mean_s[1 / (1 + L)] from 0.

    Both means equal the integral of p_S p_B / (p_S + p_B) when L = p_S / p_B, whatever the
    separation. Their terms lie in [0, 1], so, unlike the mean of L over background, the
    difference has a finite variance and a reliable standard error.
    """
    background_terms = background_ratio / (1.0 + background_ratio)
    signal_terms = 1.0 / (1.0 + signal_ratio)
    error = np.hypot(background_terms.std() / np.sqrt(len(background_terms)),
                     signal_terms.std() / np.sqrt(len(signal_terms)))
    return (background_terms.mean() - signal_terms.mean()) / error


@pytest.fixture(scope="module")
def background():
    return make_toy_background(N_EVENTS, random_state=0)


@pytest.mark.parametrize("decay_mode", ["qq", "qqq"])
@pytest.mark.parametrize("mx, my", POINTS)
def test_exact_ratio_overlap_identity(mx, my, decay_mode, background):
    signal = make_toy_signal(mx, my, N_EVENTS, decay_mode=decay_mode, random_state=1)
    pull = overlap_identity_pull(
        toy_likelihood_ratio(background, mx, my, decay_mode=decay_mode),
        toy_likelihood_ratio(signal, mx, my, decay_mode=decay_mode),
    )
    assert abs(pull) < 4.0


@pytest.mark.parametrize("mx, my", POINTS)
def test_shifted_mass_breaks_identity(mx, my, background):
    # A density with m_X 10 % too high must fail the check that the exact one passes.
    signal = make_toy_signal(mx, my, N_EVENTS, random_state=2)
    pull = overlap_identity_pull(toy_likelihood_ratio(background, 1.1 * mx, my),
                                 toy_likelihood_ratio(signal, 1.1 * mx, my))
    assert abs(pull) > 4.0


def test_wrong_decay_mode_breaks_identity(background):
    signal = make_toy_signal(300.0, 300.0, N_EVENTS, decay_mode="qqq", random_state=3)
    pull = overlap_identity_pull(toy_likelihood_ratio(background, 300.0, 300.0, decay_mode="qq"),
                                 toy_likelihood_ratio(signal, 300.0, 300.0, decay_mode="qq"))
    assert abs(pull) > 4.0


def test_exact_ratio_mean_below_cut(background):
    # E_b[L 1{L < c}] = P_s(L < c): the normalisation over the part of the background where the
    # ratio is bounded, so that the background mean has a usable standard error.
    mx, my, cut = 100.0, 100.0, 10.0
    signal = make_toy_signal(mx, my, N_EVENTS, random_state=4)
    background_ratio = toy_likelihood_ratio(background, mx, my)
    background_terms = np.where(background_ratio < cut, background_ratio, 0.0)
    signal_terms = toy_likelihood_ratio(signal, mx, my) < cut
    error = np.hypot(background_terms.std() / np.sqrt(N_EVENTS),
                     signal_terms.std() / np.sqrt(N_EVENTS))
    assert abs(background_terms.mean() - signal_terms.mean()) < 4.0 * error


def test_exact_ratio_log_matches(background):
    subset = background[:1000]
    np.testing.assert_allclose(toy_likelihood_ratio(subset, 300.0, 300.0, log=True),
                               np.log(toy_likelihood_ratio(subset, 300.0, 300.0)))


def test_exact_ratio_array_matches_frame(background):
    subset = background[:1000]
    array = subset[list(FEATURE_COLUMNS)].to_numpy()
    np.testing.assert_array_equal(toy_likelihood_ratio(array, 100.0, 500.0),
                                  toy_likelihood_ratio(subset, 100.0, 500.0))


def test_exact_ratio_noise_ignored():
    plain = make_toy_background(500, random_state=5)
    noisy = make_toy_background(500, n_noise_features=3, random_state=5)
    noisy[list(FEATURE_COLUMNS)] = plain[list(FEATURE_COLUMNS)]
    np.testing.assert_array_equal(toy_likelihood_ratio(noisy, 300.0, 300.0),
                                  toy_likelihood_ratio(plain, 300.0, 300.0))


def test_exact_ratio_per_event_theta(background):
    subset = background[:100]
    mx = np.where(np.arange(100) < 50, 100.0, 300.0)
    per_event = toy_likelihood_ratio(subset, mx, 500.0)
    np.testing.assert_allclose(per_event[:50], toy_likelihood_ratio(subset[:50], 100.0, 500.0))
    np.testing.assert_allclose(per_event[50:], toy_likelihood_ratio(subset[50:], 300.0, 500.0))


def test_exact_ratio_symmetric_in_x_and_y(background):
    # With two-prong Y, X and Y jets have the same shapes, so swapping the masses changes nothing.
    subset = background[:1000]
    np.testing.assert_allclose(toy_likelihood_ratio(subset, 100.0, 500.0),
                               toy_likelihood_ratio(subset, 500.0, 100.0))


def test_exact_ratio_below_background_support():
    signal = make_toy_signal(50.0, 50.0, 20_000, random_state=6)
    light = signal["mj2"] <= 0.02
    ratio = toy_likelihood_ratio(signal, 50.0, 50.0)
    assert light.any()
    assert np.all(np.isinf(ratio[light.to_numpy()]))


def test_exact_ratio_missing_column(background):
    with pytest.raises(InputDataError, match="tau32j2"):
        toy_likelihood_ratio(background.drop(columns="tau32j2"), 300.0, 300.0)


def test_exact_ratio_array_wrong_width():
    with pytest.raises(InputDataError, match="shape"):
        toy_likelihood_ratio(np.ones((10, 5)), 300.0, 300.0)


def test_exact_ratio_unknown_decay_mode(background):
    with pytest.raises(ValueError, match="decay_mode"):
        toy_likelihood_ratio(background[:10], 300.0, 300.0, decay_mode="bb")


def test_exact_ratio_nonpositive_mass(background):
    with pytest.raises(ValueError, match="positive"):
        toy_likelihood_ratio(background[:10], 0.0, 300.0)

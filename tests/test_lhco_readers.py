"""Tests of the LHC Olympics and PAWS signal readers, the feature computation and the SR cut."""

import logging
import math
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

from sklearn_paws.datasets import (
    DECAY_MODE_COLUMN,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    LHCO_COLUMNS,
    MJJ_COLUMN,
    compute_paws_features,
    read_lhco_features,
    read_paws_signal,
    select_signal_region,
)
from sklearn_paws.exceptions import DataQualityWarning, InputDataError

from conftest import make_lhco_events

LOGGER = "sklearn_paws.datasets._lhco"


def reference_features(row):
    """Compute (mj1, mj2, tau21j1, tau21j2, tau32j1, tau32j2, mjj) of one GeV event in TeV."""
    jets = []
    for jet in (1, 2):
        px, py, pz, m = (row[f"{q}j{jet}"] for q in ("px", "py", "pz", "m"))
        energy = math.sqrt(px**2 + py**2 + pz**2 + m**2)
        tau21 = row[f"tau2j{jet}"] / row[f"tau1j{jet}"]
        tau32 = row[f"tau3j{jet}"] / row[f"tau2j{jet}"]
        jets.append((m / 1000, tau21, tau32, energy, px, py, pz))

    heavy, light = sorted(jets, key=lambda jet: jet[0], reverse=True)
    total = [a + b for a, b in zip(jets[0][3:], jets[1][3:])]
    mjj = math.sqrt(total[0] ** 2 - total[1] ** 2 - total[2] ** 2 - total[3] ** 2) / 1000
    return [heavy[0], light[0], heavy[1], light[1], heavy[2], light[2], mjj]


# --- compute_paws_features: physics ----------------------------------------------------------


def test_features_match_reference(lhco_events):
    features = compute_paws_features(lhco_events)
    expected = np.array([reference_features(row) for _, row in lhco_events.iterrows()])

    columns = [*FEATURE_COLUMNS, MJJ_COLUMN]
    np.testing.assert_allclose(features[columns].to_numpy(), expected, rtol=1e-10)


def test_features_column_order(lhco_events):
    features = compute_paws_features(lhco_events)
    assert list(features.columns) == [*FEATURE_COLUMNS, MJJ_COLUMN, LABEL_COLUMN]


def test_back_to_back_mjj():
    # Equal and opposite momenta: the event is at rest, so mjj = E1 + E2.
    event = make_lhco_events(n_events=1)
    event[["pyj1", "pzj1", "pyj2", "pzj2"]] = 0.0
    event[["pxj1", "pxj2", "mj1", "mj2"]] = [[1500.0, -1500.0, 300.0, 100.0]]

    mjj = compute_paws_features(event)[MJJ_COLUMN].iloc[0]
    expected = (math.hypot(1500.0, 300.0) + math.hypot(1500.0, 100.0)) / 1000
    assert mjj == pytest.approx(expected, rel=1e-12)


def test_heavier_jet_first(lhco_events):
    features = compute_paws_features(lhco_events)
    assert (features["mj1"] >= features["mj2"]).all()


def test_reorder_moves_taus():
    event = make_lhco_events(n_events=1)
    event[["mj1", "tau1j1", "tau2j1", "tau3j1"]] = [[80.0, 0.4, 0.2, 0.1]]
    event[["mj2", "tau1j2", "tau2j2", "tau3j2"]] = [[500.0, 0.5, 0.1, 0.08]]

    row = compute_paws_features(event).iloc[0]

    assert row["mj1"] == pytest.approx(0.5)
    assert row["mj2"] == pytest.approx(0.08)
    assert row["tau21j1"] == pytest.approx(0.2)
    assert row["tau21j2"] == pytest.approx(0.5)
    assert row["tau32j1"] == pytest.approx(0.8)
    assert row["tau32j2"] == pytest.approx(0.5)


def test_ordered_event_not_swapped():
    event = make_lhco_events(n_events=1)
    event[["mj1", "tau1j1", "tau2j1", "tau3j1"]] = [[500.0, 0.5, 0.1, 0.08]]
    event[["mj2", "tau1j2", "tau2j2", "tau3j2"]] = [[80.0, 0.4, 0.2, 0.1]]

    row = compute_paws_features(event).iloc[0]

    assert row["mj1"] == pytest.approx(0.5)
    assert row["tau21j1"] == pytest.approx(0.2)
    assert row["tau32j2"] == pytest.approx(0.5)


def test_tev_input_same_features(lhco_events):
    in_tev = lhco_events.copy()
    momentum_and_mass = [c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]
    in_tev[momentum_and_mass] /= 1000

    expected = compute_paws_features(lhco_events)
    features = compute_paws_features(in_tev, units="TeV")
    pd.testing.assert_frame_equal(features, expected, rtol=1e-12)


def test_index_and_label_kept(lhco_events):
    lhco_events.index = lhco_events.index + 1000
    features = compute_paws_features(lhco_events)

    assert features.index.equals(lhco_events.index)
    assert features[LABEL_COLUMN].dtype == np.int64
    assert features[LABEL_COLUMN].sum() == lhco_events[LABEL_COLUMN].sum()


def test_no_label_column(lhco_events):
    features = compute_paws_features(lhco_events.drop(columns=LABEL_COLUMN))
    assert LABEL_COLUMN not in features.columns


# --- compute_paws_features: bad input --------------------------------------------------------


def test_missing_columns_all_named(lhco_events):
    with pytest.raises(InputDataError) as error:
        compute_paws_features(lhco_events.drop(columns=["tau3j1", "pzj2"]))
    assert "'tau3j1'" in str(error.value)
    assert "'pzj2'" in str(error.value)


def test_tev_values_in_gev_call(lhco_events):
    lhco_events[[c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]] /= 1000
    with pytest.raises(InputDataError, match="units='TeV'"):
        compute_paws_features(lhco_events)


def test_masses_in_tev_momenta_in_gev(lhco_events):
    lhco_events[["mj1", "mj2"]] /= 1000
    with pytest.raises(InputDataError, match="masses .* look like TeV while the momenta look like GeV"):
        compute_paws_features(lhco_events)


def test_gev_values_in_tev_call(lhco_events):
    with pytest.raises(InputDataError, match="units='GeV'"):
        compute_paws_features(lhco_events, units="TeV")


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_nonfinite_rows_dropped(lhco_events, bad_value):
    lhco_events.loc[[3, 7], "tau2j2"] = bad_value
    with pytest.warns(DataQualityWarning, match="Dropped 2 of 200"):
        features = compute_paws_features(lhco_events)
    assert list(features.index) == [i for i in range(200) if i not in (3, 7)]


def test_nan_label_dropped(lhco_events):
    lhco_events.loc[5, LABEL_COLUMN] = np.nan
    with pytest.warns(DataQualityWarning, match="Dropped 1 of 200"):
        features = compute_paws_features(lhco_events)
    assert 5 not in features.index


def test_nonfinite_raise_names_column(lhco_events):
    lhco_events.loc[3, "mj1"] = np.nan
    with pytest.raises(InputDataError, match="'mj1'"):
        compute_paws_features(lhco_events, nonfinite="raise")


def test_all_nan_column_named(lhco_events):
    lhco_events["tau3j2"] = np.nan
    with pytest.raises(InputDataError, match=r"columns \['tau3j2'\] have no finite value"):
        compute_paws_features(lhco_events)


def test_zero_tau_ratios_zero(lhco_events, caplog):
    # Event 0: one-constituent jet 1. Event 1: two-constituent jet 2. Both are the heavier jet.
    lhco_events.loc[0, ["mj1", "mj2", "tau1j1", "tau2j1", "tau3j1"]] = [600.0, 50.0, 0, 0, 0]
    lhco_events.loc[1, ["mj1", "mj2", "tau2j2", "tau3j2"]] = [50.0, 600.0, 0, 0]

    with caplog.at_level(logging.INFO, logger=LOGGER):
        features = compute_paws_features(lhco_events)

    for event in (0, 1):
        assert features.loc[event, "tau21j1"] == 0.0
        assert features.loc[event, "tau32j1"] == 0.0
        assert features.loc[event, "tau21j2"] > 0.0
    assert len(features) == 200
    assert "in 2 of 200 events" in caplog.text


def test_zero_tau_drop(lhco_events):
    lhco_events.loc[[0, 9], "tau1j2"] = 0.0
    with pytest.warns(DataQualityWarning, match="Dropped 2 of 200"):
        features = compute_paws_features(lhco_events, zero_tau="drop")
    assert len(features) == 198


def test_tiny_negative_mass_clipped(lhco_events, caplog):
    lhco_events.loc[4, "mj2"] = -2e-5
    with caplog.at_level(logging.INFO, logger=LOGGER):
        features = compute_paws_features(lhco_events)
    assert features.loc[4, "mj2"] == 0.0
    assert "Set 1 negative mj2 values" in caplog.text


def test_negative_mass_error(lhco_events):
    lhco_events.loc[4, "mj1"] = -50.0
    with pytest.raises(InputDataError, match="'mj1'.*-50"):
        compute_paws_features(lhco_events)


def test_negative_mass_tolerance_in_gev(lhco_events):
    # -0.5 GeV is within the default 1 GeV tolerance also when the input is in TeV.
    lhco_events[[c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]] /= 1000
    lhco_events.loc[4, "mj1"] = -0.0005
    features = compute_paws_features(lhco_events, units="TeV")
    assert features.loc[4, "mj2"] == 0.0


def test_negative_mass_tev_error(lhco_events):
    lhco_events[[c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]] /= 1000
    lhco_events.loc[4, "mj1"] = -0.002
    with pytest.raises(InputDataError, match="below -1 GeV"):
        compute_paws_features(lhco_events, units="TeV")


def test_label_not_binary(lhco_events):
    lhco_events.loc[2, LABEL_COLUMN] = 2.0
    with pytest.raises(InputDataError, match="label"):
        compute_paws_features(lhco_events)


def test_text_column_rejected(lhco_events):
    lhco_events["mj1"] = lhco_events["mj1"].astype(str)
    with pytest.raises(InputDataError, match="'mj1'.*pd.to_numeric"):
        compute_paws_features(lhco_events)


def test_not_dataframe_rejected(lhco_events):
    with pytest.raises(TypeError, match="ndarray"):
        compute_paws_features(lhco_events.to_numpy())


@pytest.mark.parametrize(
    "argument", [{"units": "MeV"}, {"zero_tau": "nan"}, {"nonfinite": "keep"}]
)
def test_bad_argument(lhco_events, argument):
    with pytest.raises(ValueError, match="not supported"):
        compute_paws_features(lhco_events, **argument)


def test_negative_tolerance_rejected(lhco_events):
    with pytest.raises(ValueError, match="negative_mass_tolerance"):
        compute_paws_features(lhco_events, negative_mass_tolerance=-1.0)


# --- read_lhco_features: files -----------------------------------------------------------


def test_read_round_trip(lhco_events, write_hdf):
    path = write_hdf(lhco_events)
    pd.testing.assert_frame_equal(read_lhco_features(path), compute_paws_features(lhco_events))


@pytest.mark.parametrize("key", ["df", "/df"])
def test_read_explicit_key(lhco_events, write_hdf, key):
    path = write_hdf(lhco_events, key="df")
    assert len(read_lhco_features(path, key=key)) == 200


def test_read_several_keys(lhco_events, write_hdf):
    write_hdf(lhco_events, key="background")
    path = write_hdf(lhco_events.iloc[:10], key="signal")

    with pytest.raises(InputDataError, match="'/background', '/signal'"):
        read_lhco_features(path)
    assert len(read_lhco_features(path, key="signal")) == 10


def test_read_wrong_key(lhco_events, write_hdf):
    path = write_hdf(lhco_events)
    with pytest.raises(InputDataError, match="'events'.*'/df'"):
        read_lhco_features(path, key="events")


def test_read_missing_file(tmp_path):
    path = tmp_path / "absent.h5"
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        read_lhco_features(path)


def test_read_text_file(tmp_path, lhco_events):
    path = tmp_path / "events.csv"
    lhco_events.to_csv(path)
    with pytest.raises(InputDataError, match="not an HDF5 file"):
        read_lhco_features(path)


def test_read_plain_hdf5(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as handle:
        handle["jets"] = np.zeros((3, 14))
    with pytest.raises(InputDataError, match="no pandas table.*'jets'"):
        read_lhco_features(path)


def test_read_series(write_hdf, lhco_events):
    path = write_hdf(lhco_events["mj1"])
    with pytest.raises(InputDataError, match="Series"):
        read_lhco_features(path)


def test_read_missing_columns_name_file(lhco_events, write_hdf):
    path = write_hdf(lhco_events.drop(columns=["tau1j1", "tau1j2"]))
    with pytest.raises(InputDataError) as error:
        read_lhco_features(path)
    assert str(path) in str(error.value)
    assert "['tau1j1', 'tau1j2']" in str(error.value)


def test_read_empty_table(lhco_events, write_hdf):
    path = write_hdf(lhco_events.iloc[:0])
    with pytest.raises(InputDataError, match="no usable events"):
        read_lhco_features(path)


def test_read_all_rows_dropped(lhco_events, write_hdf):
    lhco_events["mj1"] = np.nan
    path = write_hdf(lhco_events)
    with pytest.raises(InputDataError, match=r"columns \['mj1'\] have no finite value"):
        read_lhco_features(path)


# --- read_paws_signal ----------------------------------------------------------------------


def signal_events():
    events = make_lhco_events(n_events=50).drop(columns=LABEL_COLUMN)
    events["mx"] = np.repeat([100.0, 500.0], 25)
    events["my"] = np.repeat([300.0, 100.0], 25)
    return events


def test_signal_theta_kept(write_hdf):
    events = signal_events()
    features = read_paws_signal(write_hdf(events))

    np.testing.assert_array_equal(features["mx"].to_numpy(), events["mx"].to_numpy())
    np.testing.assert_array_equal(features["my"].to_numpy(), events["my"].to_numpy())


def test_signal_label_filled(write_hdf):
    features = read_paws_signal(write_hdf(signal_events()))
    assert (features[LABEL_COLUMN] == 1).all()


def test_signal_columns(write_hdf):
    features = read_paws_signal(write_hdf(signal_events()), decay_mode="qqq")
    expected = [*FEATURE_COLUMNS, MJJ_COLUMN, LABEL_COLUMN, "mx", "my", DECAY_MODE_COLUMN]
    assert list(features.columns) == expected


def test_signal_decay_mode(write_hdf):
    features = read_paws_signal(write_hdf(signal_events()), decay_mode="qq")
    assert (features[DECAY_MODE_COLUMN] == "qq").all()


def test_signal_bad_decay_mode(write_hdf):
    with pytest.raises(ValueError, match="decay_mode"):
        read_paws_signal(write_hdf(signal_events()), decay_mode="bb")


def test_signal_missing_theta(write_hdf):
    path = write_hdf(signal_events().drop(columns="my"))
    with pytest.raises(InputDataError, match=r"\['my'\].*PAWS parametric signal"):
        read_paws_signal(path)


def test_signal_theta_in_tev(write_hdf):
    events = signal_events()
    events["mx"] /= 1000
    with pytest.raises(InputDataError, match="'mx'.*TeV"):
        read_paws_signal(write_hdf(events))


# --- select_signal_region --------------------------------------------------------------------


def mjj_table(values):
    return pd.DataFrame({MJJ_COLUMN: values, "mj1": np.arange(len(values), dtype=float)})


def test_region_bounds_excluded():
    table = mjj_table([3.2, 3.3, 3.31, 3.5, 3.69, 3.7, 3.8])
    selected = select_signal_region(table)
    assert selected[MJJ_COLUMN].tolist() == [3.31, 3.5, 3.69]


def test_region_custom_bounds():
    selected = select_signal_region(mjj_table([2.0, 2.5, 3.0]), mjj_min=2.2, mjj_max=2.8)
    assert selected[MJJ_COLUMN].tolist() == [2.5]


def test_region_logs_counts(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        select_signal_region(mjj_table([3.0, 3.5, 3.6, 4.0]))
    assert "Kept 2 of 4 events" in caplog.text


def test_region_returns_copy():
    table = mjj_table([3.5, 3.6])
    selected = select_signal_region(table)
    selected["mj1"] = -1.0
    assert (table["mj1"] >= 0).all()


def test_region_empty_error():
    with pytest.raises(InputDataError) as error:
        select_signal_region(mjj_table([3400.0, 3500.0]))
    message = str(error.value)
    assert "3.3 < mjj < 3.7 TeV" in message
    assert "3400 to 3500" in message
    assert "GeV" in message


def test_region_empty_table():
    with pytest.raises(InputDataError, match="no events"):
        select_signal_region(mjj_table([]))


def test_region_bad_bounds():
    with pytest.raises(ValueError, match="mjj_min"):
        select_signal_region(mjj_table([3.5]), mjj_min=3.7, mjj_max=3.3)


def test_region_missing_mjj(lhco_events):
    with pytest.raises(InputDataError, match="'mjj'"):
        select_signal_region(lhco_events)


# --- real LHC Olympics R&D subset ---------------------------------------------------------------


@pytest.fixture(scope="module")
def subset_features(request):
    path = request.getfixturevalue("lhco_subset_path")
    return read_lhco_features(path)


@pytest.fixture(scope="module")
def subset_region(subset_features):
    return select_signal_region(subset_features)


def medians(table, label, column):
    return float(np.median(table.loc[table[LABEL_COLUMN] == label, column]))


@pytest.mark.realdata
def test_subset_reads_quietly(lhco_subset_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        features = read_lhco_features(lhco_subset_path)
    assert len(features) == 50_000


@pytest.mark.realdata
def test_subset_region_fractions(subset_features, subset_region):
    read = subset_features[LABEL_COLUMN].value_counts()
    kept = subset_region[LABEL_COLUMN].value_counts()
    assert kept[0] / read[0] == pytest.approx(0.143, abs=0.01)
    assert kept[1] / read[1] == pytest.approx(0.766, abs=0.02)


@pytest.mark.realdata
def test_subset_signal_masses(subset_region):
    # X(500 GeV) and Y(100 GeV): a GeV result or pT-ordered jets are far outside these bands.
    assert medians(subset_region, 1, "mj1") == pytest.approx(0.5, rel=0.05)
    assert medians(subset_region, 1, "mj2") == pytest.approx(0.1, abs=0.02)


@pytest.mark.realdata
def test_subset_signal_two_prong(subset_region):
    signal = medians(subset_region, 1, "tau21j1")
    background = medians(subset_region, 0, "tau21j1")
    assert signal < background
    assert signal == pytest.approx(0.18, abs=0.03)
    assert background == pytest.approx(0.49, abs=0.03)


@pytest.mark.realdata
def test_subset_pt_order_fails(lhco_subset_path, subset_region):
    # The mass checks above must catch a reader that keeps the pT order of the file.
    raw = pd.read_hdf(lhco_subset_path).loc[subset_region.index]
    signal = raw[raw[LABEL_COLUMN] == 1]

    assert np.median(signal["mj1"]) / 1000 != pytest.approx(0.5, rel=0.05)
    assert np.median(signal["mj2"]) / 1000 != pytest.approx(0.1, abs=0.02)
    assert np.median(signal["tau2j1"] / signal["tau1j1"]) != pytest.approx(0.18, abs=0.03)


@pytest.mark.realdata
def test_subset_zero_tau_drop(lhco_subset_path):
    with pytest.warns(DataQualityWarning, match="Dropped 7 of 50000"):
        features = read_lhco_features(lhco_subset_path, zero_tau="drop")
    assert len(features) == 49_993

"""Tests of the raw particle reader and converter of sklearn_paws.datasets._raw."""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_paws.cli import main
from sklearn_paws.datasets._columns import LABEL_COLUMN, LHCO_COLUMNS
from sklearn_paws.datasets._raw import (
    N_PARTICLE_COLUMNS,
    convert_raw_to_features,
    read_lhco_raw,
)
from sklearn_paws.exceptions import DataQualityWarning, InputDataError

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
RAW_TINY = DATA_DIR / "lhco_rnd_raw_tiny.h5"
FEATURES_TINY = DATA_DIR / "lhco_rnd_raw_tiny_features.h5"
OUTPUT_COLUMNS = [*LHCO_COLUMNS, LABEL_COLUMN]


def _dijet_events(n_events, seed=0, n_particles=30):
    """Return raw rows of back-to-back two-jet events, padded with zeros at the end."""
    rng = np.random.default_rng(seed)
    rows = np.zeros((n_events, N_PARTICLE_COLUMNS + 1))
    for event in range(n_events):
        axis_eta = rng.uniform(-1.0, 1.0, size=2)
        axis_phi = rng.uniform(-np.pi, np.pi)
        centres_phi = np.array([axis_phi, axis_phi + np.pi])
        side = np.arange(n_particles) % 2
        pt = rng.uniform(10.0, 60.0, n_particles)
        eta = axis_eta[side] + rng.normal(0.0, 0.1, n_particles)
        phi = (centres_phi[side] + rng.normal(0.0, 0.1, n_particles) + np.pi) % (2 * np.pi) - np.pi
        rows[event, 0 : 3 * n_particles : 3] = pt
        rows[event, 1 : 3 * n_particles : 3] = eta
        rows[event, 2 : 3 * n_particles : 3] = phi
    rows[:, -1] = rng.integers(0, 2, n_events)
    return rows


def _write_raw(path, rows, format="fixed", label_dtype=np.float64):
    frame = pd.DataFrame(rows)
    if rows.shape[1] == N_PARTICLE_COLUMNS + 1:
        frame[N_PARTICLE_COLUMNS] = frame[N_PARTICLE_COLUMNS].astype(label_dtype)
    frame.to_hdf(path, key="df", format=format, mode="w")
    return path


def _convert(raw_path, output_path, **kwargs):
    kwargs.setdefault("progress", False)
    return convert_raw_to_features(raw_path, output_path, **kwargs)


@pytest.fixture
def dijet_file(tmp_path):
    return _write_raw(tmp_path / "raw.h5", _dijet_events(40))


# --- reading ----------------------------------------------------------------------------------


def test_read_chunks_cover_file(dijet_file):
    chunks = list(read_lhco_raw(dijet_file, chunksize=15))
    full = pd.read_hdf(dijet_file)
    assert [len(chunk) for chunk in chunks] == [15, 15, 10]
    np.testing.assert_array_equal(pd.concat(chunks).to_numpy(), full.to_numpy())


@pytest.mark.parametrize("format", ["fixed", "table"])
def test_read_start_stop_slices_rows(tmp_path, format):
    rows = _dijet_events(20)
    path = _write_raw(tmp_path / f"raw_{format}.h5", rows, format=format)
    chunks = list(read_lhco_raw(path, chunksize=4, start=3, stop=13))
    combined = pd.concat(chunks)
    assert list(combined.index) == list(range(3, 13))
    np.testing.assert_array_equal(combined.to_numpy(), rows[3:13])


def test_read_integer_label_block(tmp_path):
    # An int64 label makes pandas store a second block: both must be reassembled by column.
    rows = _dijet_events(10)
    path = _write_raw(tmp_path / "raw_int_label.h5", rows, label_dtype=np.int64)
    combined = pd.concat(read_lhco_raw(path, chunksize=3))
    np.testing.assert_array_equal(combined.to_numpy(), rows)


def test_read_tiny_sample_matches_pandas():
    if not RAW_TINY.exists():
        pytest.skip(f"{RAW_TINY} not found")
    chunks = list(read_lhco_raw(RAW_TINY, chunksize=400))
    full = pd.read_hdf(RAW_TINY)
    assert [len(chunk) for chunk in chunks] == [400, 400, 200]
    np.testing.assert_array_equal(pd.concat(chunks).to_numpy(), full.to_numpy())


# --- converting the official sample -----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_conversion(tmp_path_factory):
    pytest.importorskip("fastjet")
    if not (RAW_TINY.exists() and FEATURES_TINY.exists()):
        pytest.skip(f"reference files not found in {DATA_DIR}")
    output = tmp_path_factory.mktemp("tiny") / "features.h5"
    summary = _convert(RAW_TINY, output, chunksize=300)
    return summary, pd.read_hdf(output), pd.read_hdf(FEATURES_TINY)


def test_tiny_conversion_keeps_every_event(tiny_conversion):
    summary, features, reference = tiny_conversion
    assert summary["n_written"] == 1000
    assert features.index.equals(reference.index)


def test_tiny_conversion_columns_official(tiny_conversion):
    _, features, _ = tiny_conversion
    assert list(features.columns) == OUTPUT_COLUMNS


def test_tiny_conversion_masses_match_reference(tiny_conversion):
    _, features, reference = tiny_conversion
    for column in ("mj1", "mj2"):
        relative = np.abs(features[column] - reference[column]) / reference[column]
        assert relative.max() < 1e-6, column


def test_tiny_conversion_jet_pt_matches_reference(tiny_conversion):
    _, features, reference = tiny_conversion
    for jet in (1, 2):
        ours = np.hypot(features[f"pxj{jet}"], features[f"pyj{jet}"])
        theirs = np.hypot(reference[f"pxj{jet}"], reference[f"pyj{jet}"])
        assert (np.abs(ours - theirs) / theirs).max() < 1e-6, f"j{jet}"


def test_tiny_conversion_labels_match(tiny_conversion):
    _, features, reference = tiny_conversion
    np.testing.assert_array_equal(features[LABEL_COLUMN], reference[LABEL_COLUMN])


def test_tiny_conversion_readable_by_feature_reader(tiny_conversion):
    summary, _, _ = tiny_conversion
    from sklearn_paws.datasets import read_lhco_features

    table = read_lhco_features(summary["output_path"])
    assert len(table) == 1000
    assert table["mjj"].between(1.0, 10.0).all()


# --- conversion of synthetic files ------------------------------------------------------------


@pytest.fixture
def fastjet_available():
    pytest.importorskip("fastjet")


def test_convert_synthetic_two_jets(fastjet_available, dijet_file, tmp_path):
    output = tmp_path / "features.h5"
    summary = _convert(dijet_file, output, chunksize=16)
    features = pd.read_hdf(output)
    assert summary["n_dropped"] == 0
    assert len(features) == 40
    leading_pt = np.hypot(features["pxj1"], features["pyj1"])
    subleading_pt = np.hypot(features["pxj2"], features["pyj2"])
    assert (leading_pt >= subleading_pt).all()


def test_padding_in_middle_same_features(fastjet_available, tmp_path):
    rows = _dijet_events(12)
    shuffled = rows.copy()
    rng = np.random.default_rng(3)
    for event in range(len(rows)):
        # Move every particle (zero-pT padding included) to a random slot.
        order = rng.permutation(N_PARTICLE_COLUMNS // 3)
        triplets = rows[event, :N_PARTICLE_COLUMNS].reshape(-1, 3)
        shuffled[event, :N_PARTICLE_COLUMNS] = triplets[order].ravel()
    plain = _convert(_write_raw(tmp_path / "plain.h5", rows), tmp_path / "plain_out.h5")
    mixed = _convert(_write_raw(tmp_path / "mixed.h5", shuffled), tmp_path / "mixed_out.h5")
    assert plain["n_written"] == mixed["n_written"]
    expected = pd.read_hdf(plain["output_path"])
    result = pd.read_hdf(mixed["output_path"])
    pd.testing.assert_frame_equal(result, expected, rtol=1e-9)


def test_one_jet_events_dropped_and_counted(fastjet_available, tmp_path):
    rows = _dijet_events(10)
    for event in (2, 7):
        rows[event, :N_PARTICLE_COLUMNS] = 0.0
        rows[event, 0:3] = (900.0, 0.1, 0.2)
    path = _write_raw(tmp_path / "one_jet.h5", rows)
    with pytest.warns(DataQualityWarning, match="fewer than two jets"):
        summary = _convert(path, tmp_path / "out.h5", chunksize=4)
    features = pd.read_hdf(tmp_path / "out.h5")
    assert summary["n_dropped"] == 2
    assert summary["dropped_events"].tolist() == [2, 7]
    assert 2 not in features.index
    assert len(features) == 8


def test_no_label_file_has_no_label_column(fastjet_available, tmp_path):
    rows = _dijet_events(6)[:, :N_PARTICLE_COLUMNS]
    path = _write_raw(tmp_path / "black_box.h5", rows)
    _convert(path, tmp_path / "out.h5")
    assert list(pd.read_hdf(tmp_path / "out.h5").columns) == list(LHCO_COLUMNS)


def test_parallel_jobs_same_output(fastjet_available, dijet_file, tmp_path):
    serial = _convert(dijet_file, tmp_path / "serial.h5", chunksize=10, n_jobs=1)
    parallel = _convert(dijet_file, tmp_path / "parallel.h5", chunksize=10, n_jobs=2)
    pd.testing.assert_frame_equal(
        pd.read_hdf(parallel["output_path"]), pd.read_hdf(serial["output_path"])
    )


def test_resume_skips_finished_chunks(fastjet_available, dijet_file, tmp_path, monkeypatch):
    from sklearn_paws.datasets import _raw

    original = _raw.raw_values_to_features
    calls = []

    def fail_on_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(_raw, "raw_values_to_features", fail_on_third_chunk)
    output = tmp_path / "out.h5"
    with pytest.raises(KeyboardInterrupt):
        _convert(dijet_file, output, chunksize=10)
    assert not output.exists()
    assert len(list((tmp_path / "out.h5.parts").glob("chunk-*.h5"))) == 2

    converted = []

    def count_chunks(*args, **kwargs):
        converted.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_raw, "raw_values_to_features", count_chunks)
    summary = _convert(dijet_file, output, chunksize=10)
    assert len(converted) == 2
    assert summary["n_written"] == 40
    assert not (tmp_path / "out.h5.parts").exists()


def test_resume_rejects_other_settings(fastjet_available, dijet_file, tmp_path):
    work_dir = tmp_path / "work"
    _convert(dijet_file, tmp_path / "a.h5", chunksize=10, work_dir=work_dir, keep_work_dir=True)
    with pytest.raises(ValueError, match="chunksize"):
        _convert(dijet_file, tmp_path / "b.h5", chunksize=20, work_dir=work_dir)


def test_output_written_without_leftovers(fastjet_available, dijet_file, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    _convert(dijet_file, out_dir / "features.h5", chunksize=10)
    assert sorted(os.listdir(out_dir)) == ["features.h5"]


def test_existing_output_not_replaced(fastjet_available, dijet_file, tmp_path):
    output = tmp_path / "features.h5"
    output.write_text("keep me")
    with pytest.raises(FileExistsError):
        _convert(dijet_file, output)
    assert output.read_text() == "keep me"


# --- bad input --------------------------------------------------------------------------------


def test_wrong_column_count_raises(tmp_path):
    path = _write_raw(tmp_path / "short.h5", np.zeros((3, 2000)))
    with pytest.raises(InputDataError, match="2000 columns") as error:
        next(read_lhco_raw(path))
    assert "short.h5" in str(error.value)


def test_features_file_rejected(tmp_path):
    if not FEATURES_TINY.exists():
        pytest.skip(f"{FEATURES_TINY} not found")
    with pytest.raises(InputDataError, match="read_lhco_features"):
        next(read_lhco_raw(FEATURES_TINY))


def test_truncated_file_raises(tmp_path):
    rows = _dijet_events(200)
    full = _write_raw(tmp_path / "full.h5", rows)
    data = full.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputDataError, match="truncated") as error:
        for _ in read_lhco_raw(truncated, chunksize=50):
            pass
    assert "truncated.h5" in str(error.value)


def test_not_hdf5_raises(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("pt,eta,phi\n1,2,3\n")
    with pytest.raises(InputDataError, match="events.csv"):
        next(read_lhco_raw(path))


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        next(read_lhco_raw(tmp_path / "absent.h5"))


@pytest.mark.parametrize(
    "column, value, problem",
    [(4, np.nan, "NaN"), (3, -5.0, "negative pT"), (N_PARTICLE_COLUMNS, 2.0, "label")],
)
def test_bad_value_names_event(tmp_path, column, value, problem):
    rows = _dijet_events(8)
    rows[5, column] = value
    path = _write_raw(tmp_path / "bad.h5", rows)
    with pytest.raises(InputDataError, match=problem) as error:
        list(read_lhco_raw(path, chunksize=4))
    assert "event 5" in str(error.value)
    assert "bad.h5" in str(error.value)


def test_several_keys_need_key(tmp_path):
    path = _write_raw(tmp_path / "two.h5", _dijet_events(3))
    pd.DataFrame({"x": [1.0]}).to_hdf(path, key="other", mode="a")
    with pytest.raises(InputDataError, match="key=") as error:
        next(read_lhco_raw(path))
    assert "truncated" not in str(error.value)
    assert len(next(read_lhco_raw(path, key="df"))) == 3


@pytest.mark.parametrize("chunksize", [0, -3, 2.5, True])
def test_invalid_chunksize_raises(dijet_file, chunksize):
    with pytest.raises(ValueError, match="chunksize"):
        next(read_lhco_raw(dijet_file, chunksize=chunksize))


# --- command line -----------------------------------------------------------------------------


def test_cli_converts_file(fastjet_available, dijet_file, tmp_path, capsys):
    output = tmp_path / "cli.h5"
    arguments = ["convert-raw", str(dijet_file), str(output), "--chunksize", "25", "--no-progress"]
    status = main(arguments)
    assert status == 0
    assert len(pd.read_hdf(output)) == 40
    assert "Wrote 40 of 40 events" in capsys.readouterr().out


def test_cli_bad_input_exit_status(tmp_path, capsys):
    path = _write_raw(tmp_path / "short.h5", np.zeros((3, 2000)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["convert-raw", str(path), str(tmp_path / "out.h5"), "--no-progress"])
    assert status == 2
    assert "2000 columns" in capsys.readouterr().err


def test_all_events_dropped_raises(fastjet_available, tmp_path):
    rows = np.zeros((5, N_PARTICLE_COLUMNS + 1))
    rows[:, 0:3] = (500.0, 0.0, 0.0)
    path = _write_raw(tmp_path / "one_particle.h5", rows)
    with pytest.raises(InputDataError, match="two jets") as error:
        _convert(path, tmp_path / "out.h5")
    assert "one_particle.h5" in str(error.value)
    assert not (tmp_path / "out.h5").exists()


def test_cli_unknown_axes_exit_status(dijet_file, tmp_path, capsys):
    arguments = ["convert-raw", str(dijet_file), str(tmp_path / "out.h5"), "--axes", "kt"]
    assert main(arguments) == 2
    assert "axes must be one of" in capsys.readouterr().err

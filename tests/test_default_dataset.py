"""Tests of the embedded default dataset and of its resumable generation and assembly."""

import dataclasses
import json
import logging
import shutil

import numpy as np
import pytest

from sklearn_paws.datasets._columns import FEATURE_COLUMNS
from sklearn_paws.datasets._default import (
    DATA_DIR,
    DATASET_FILENAME,
    PROVENANCE_FILENAME,
    DefaultDatasetPlan,
    assemble_default_dataset,
    generate_default_dataset,
    load_default,
)

EMBEDDED = (DATA_DIR / DATASET_FILENAME).exists()


@pytest.fixture(scope="module")
def embedded():
    if not EMBEDDED:
        pytest.skip("the default dataset has not been assembled into the package yet")
    return load_default()


def test_embedded_counts_match_provenance(embedded):
    n_events = embedded.provenance["n_events"]
    assert len(embedded.background) == n_events["background"]
    assert len(embedded.grid_signal) == n_events["grid"]
    assert len(embedded.test_signal) == n_events["test"]


def test_embedded_feature_columns(embedded):
    for table in (embedded.background, embedded.grid_signal, embedded.test_signal):
        for column in (*FEATURE_COLUMNS, "mjj"):
            assert table[column].dtype == np.float32


def test_embedded_in_signal_region(embedded):
    for table in (embedded.background, embedded.grid_signal, embedded.test_signal):
        assert ((table["mjj"] > 3.3) & (table["mjj"] < 3.7)).all()


def test_embedded_jets_mass_ordered(embedded):
    for table in (embedded.background, embedded.grid_signal, embedded.test_signal):
        assert (table["mj1"] >= table["mj2"]).all()


def test_embedded_labels(embedded):
    assert (embedded.background["label"] == 0).all()
    assert (embedded.grid_signal["label"] == 1).all()
    assert (embedded.test_signal["label"] == 1).all()


def test_embedded_signal_on_grid(embedded):
    grid = embedded.grid_signal
    assert set(grid["mx"].unique()) <= set(range(50, 601, 50))
    assert set(grid["decay_mode"].unique()) <= {"qq", "qqq"}


def test_embedded_signal_mass_peak(embedded):
    # The heavier jet of (m_X, m_Y) = (500, 100) signal peaks near m_X (masses in TeV).
    test = embedded.test_signal
    point = test[(test["mx"] == 500) & (test["my"] == 100) & (test["decay_mode"] == "qq")]
    if len(point) < 100:
        pytest.skip("the partial dataset has fewer than 100 events at (500, 100)")
    assert abs(point["mj1"].median() - 0.5) < 0.03


def test_embedded_meets_targets(embedded):
    # The targets of the shipped dataset: 300,000 background events, 1,000 events per grid point
    # and decay mode, 20,000 per test point and decay mode, all in the signal region, in 40 MB.
    assert embedded.is_complete
    assert len(embedded.background) >= 300_000
    grid_counts = embedded.grid_signal.groupby(["mx", "my", "decay_mode"], observed=True).size()
    assert len(grid_counts) == 2 * 12 * 12
    assert grid_counts.min() >= 1_000
    test_counts = embedded.test_signal.groupby(["mx", "my", "decay_mode"], observed=True).size()
    assert len(test_counts) == 2 * 3
    assert test_counts.min() >= 20_000
    assert (DATA_DIR / DATASET_FILENAME).stat().st_size <= 40e6


def test_load_missing_dataset_says_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="simulate default"):
        load_default(tmp_path)


@pytest.mark.simulation
def test_generation_resumes_and_assembles(tmp_path):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    plan = DefaultDatasetPlan(
        seed=3, background_target=2, grid_target=5, test_target=5,
        background_chunk_size=40, grid_chunk_size=15, test_chunk_size=15,
        grid_masses=(500,), test_points=((300, 300),),
    )
    work = tmp_path / "work"
    generate_default_dataset(work, plan=plan, progress=False, data_dir=tmp_path / "data")
    files = sorted(work.rglob("*.npz"))
    generate_default_dataset(work, plan=plan, progress=False, data_dir=tmp_path / "data")
    assert sorted(work.rglob("*.npz")) == files

    provenance = assemble_default_dataset(work, tmp_path / "data", plan=plan, command="test")
    dataset = load_default(tmp_path / "data")
    assert provenance["complete"]
    assert len(dataset.grid_signal) >= 2 * plan.grid_target
    assert len(dataset.background) >= plan.background_target


@pytest.mark.simulation
def test_assembly_of_partial_run(tmp_path):
    pytest.importorskip("pythia8mc")
    plan = DefaultDatasetPlan(
        seed=4, grid_target=5, grid_chunk_size=15, grid_masses=(100,), test_points=((300, 300),),
    )
    generate_default_dataset(tmp_path / "work", plan=plan, parts=("grid",), progress=False,
                             data_dir=tmp_path / "data")
    provenance = assemble_default_dataset(tmp_path / "work", tmp_path / "data", plan=plan)
    dataset = load_default(tmp_path / "data")
    assert not dataset.is_complete
    assert provenance["counts"]["background"]["n_signal_region"] == 0
    assert len(dataset.grid_signal) == provenance["n_events"]["grid"]


# Resuming from the assembled dataset. Two grid samples ((100, 100) GeV, both decay modes) with
# chunks of 10 events keep each simulation step at a few seconds.
RESUME_PLAN = DefaultDatasetPlan(seed=5, grid_target=5, grid_chunk_size=10, grid_masses=(100,),
                                 test_points=((300, 300),))
BIGGER_PLAN = dataclasses.replace(RESUME_PLAN, grid_target=20)


def _chunk_indices(provenance):
    return {record["key"]: record["chunk_index"] for record in provenance["chunks"]}


def _file_indices(work_dir):
    indices = {}
    for path in work_dir.rglob("*.npz"):
        key = path.stem.split("_")[-3]
        indices.setdefault(key, []).append(int(path.stem.rsplit("_", 1)[1]))
    return {key: sorted(values) for key, values in indices.items()}


def _read_arrays(data_dir):
    with np.load(data_dir / DATASET_FILENAME) as data:
        return {key: data[key] for key in data.files}


def _sample_chunk_rows(arrays, mx, my, decay_code, chunk):
    selected = ((arrays["mx"] == mx) & (arrays["my"] == my)
                & (arrays["decay_code"] == decay_code) & (arrays["chunk"] == chunk))
    return np.column_stack([arrays[column][selected] for column in (*FEATURE_COLUMNS, "mjj")])


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """Chunk files of RESUME_PLAN and the dataset assembled from them."""
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    root = tmp_path_factory.mktemp("first_run")
    generate_default_dataset(root / "work", plan=RESUME_PLAN, parts=("grid",), progress=False,
                             data_dir=root / "data")
    provenance = assemble_default_dataset(root / "work", root / "data", plan=RESUME_PLAN,
                                          command="test")
    return root, provenance


@pytest.fixture
def data_copy(first_run, tmp_path):
    root, _ = first_run
    shutil.copytree(root / "data", tmp_path / "data")
    return tmp_path / "data"


@pytest.mark.simulation
def test_assembled_chunk_column(first_run):
    root, provenance = first_run
    arrays = _read_arrays(root / "data")
    for record in provenance["chunks"]:
        code = 1 if record["decay_mode"] == "qq" else 2
        for index, n_region in zip(record["chunk_index"], record["n_signal_region"]):
            rows = _sample_chunk_rows(arrays, record["mx"], record["my"], code, index)
            assert len(rows) == n_region
    assert sum(sum(record["n_signal_region"]) for record in provenance["chunks"]) == len(
        arrays["chunk"])


@pytest.mark.simulation
def test_provenance_file_matches_return(first_run):
    root, provenance = first_run
    assert json.loads((root / "data" / PROVENANCE_FILENAME).read_text()) == provenance


@pytest.mark.simulation
def test_resume_without_work_dir(first_run, data_copy, tmp_path):
    _, provenance = first_run
    old_indices = _chunk_indices(provenance)
    old_arrays = _read_arrays(data_copy)

    # Same targets, lost work folder: the recorded chunks reach them, so nothing is generated.
    generate_default_dataset(tmp_path / "work", plan=RESUME_PLAN, parts=("grid",),
                             progress=False, data_dir=data_copy)
    assert _file_indices(tmp_path / "work") == {}

    # A higher target: new chunks continue after the recorded ones.
    generate_default_dataset(tmp_path / "work", plan=BIGGER_PLAN, parts=("grid",),
                             progress=False, data_dir=data_copy)
    new_indices = _file_indices(tmp_path / "work")
    assert set(new_indices) == set(old_indices)
    for key, indices in new_indices.items():
        assert min(indices) == max(old_indices[key]) + 1

    merged = assemble_default_dataset(tmp_path / "work", data_copy, plan=BIGGER_PLAN,
                                      command="test")
    assert merged["counts"]["grid"]["samples_complete"] == 2
    for key, indices in _chunk_indices(merged).items():
        assert indices == sorted(old_indices[key] + new_indices[key])

    # The old events are still there, exactly once, next to the new ones.
    arrays = _read_arrays(data_copy)
    n_new = sum(
        sum(record["n_signal_region"][i] for i, index in enumerate(record["chunk_index"])
            if index in new_indices[record["key"]])
        for record in merged["chunks"]
    )
    assert len(arrays["chunk"]) == len(old_arrays["chunk"]) + n_new
    for record in provenance["chunks"]:
        code = 1 if record["decay_mode"] == "qq" else 2
        for index in record["chunk_index"]:
            old_rows = _sample_chunk_rows(old_arrays, record["mx"], record["my"], code, index)
            rows = _sample_chunk_rows(arrays, record["mx"], record["my"], code, index)
            assert np.array_equal(rows, old_rows)
    features = np.column_stack([arrays[column] for column in (*FEATURE_COLUMNS, "mjj")])
    assert len(np.unique(features, axis=0)) == len(features)


@pytest.mark.simulation
def test_reassembly_keeps_events_once(first_run, data_copy):
    root, provenance = first_run
    before = _read_arrays(data_copy)
    again = assemble_default_dataset(root / "work", data_copy, plan=RESUME_PLAN, command="test")
    after = _read_arrays(data_copy)
    assert again["n_events"] == provenance["n_events"]
    for column, values in before.items():
        assert np.array_equal(after[column], values)


@pytest.mark.simulation
def test_assembly_from_dataset_alone(first_run, data_copy, tmp_path):
    root, provenance = first_run
    before = _read_arrays(data_copy)
    again = assemble_default_dataset(tmp_path / "empty", data_copy, plan=RESUME_PLAN,
                                     command="test")
    after = _read_arrays(data_copy)
    assert _chunk_indices(again) == _chunk_indices(provenance)
    for column, values in before.items():
        assert np.array_equal(after[column], values)


@pytest.mark.simulation
def test_generation_runs_survive_lost_work_dir(first_run, data_copy, tmp_path):
    _, provenance = first_run
    again = assemble_default_dataset(tmp_path / "empty", data_copy, plan=RESUME_PLAN,
                                     command="test")
    assert len(provenance["generation_runs"]) == 1
    assert again["generation_runs"] == provenance["generation_runs"]


@pytest.mark.simulation
def test_old_format_not_merged(first_run, data_copy, caplog):
    root, provenance = first_run
    arrays = _read_arrays(data_copy)
    del arrays["chunk"]
    doubled = {column: np.concatenate([values, values]) for column, values in arrays.items()}
    np.savez_compressed(data_copy / DATASET_FILENAME, **doubled)

    with caplog.at_level(logging.WARNING, logger="sklearn_paws.datasets._default"):
        again = assemble_default_dataset(root / "work", data_copy, plan=RESUME_PLAN,
                                         command="test")
    assert "cannot be merged" in caplog.text
    assert again["n_events"] == provenance["n_events"]
    assert len(_read_arrays(data_copy)["chunk"]) == len(arrays["label"])


@pytest.mark.simulation
def test_other_plan_events_left_out(first_run, data_copy, tmp_path, caplog):
    other_seed = dataclasses.replace(RESUME_PLAN, seed=6)
    with caplog.at_level(logging.WARNING, logger="sklearn_paws.datasets._default"):
        again = assemble_default_dataset(tmp_path / "empty", data_copy, plan=other_seed,
                                         command="test")
    assert "left out" in caplog.text
    assert again["n_events"]["grid"] == 0
    assert again["chunks"] == []


@pytest.mark.simulation
def test_inconsistent_record_regenerated(first_run, data_copy, tmp_path, caplog):
    _, provenance = first_run
    changed = json.loads((data_copy / PROVENANCE_FILENAME).read_text())
    record = changed["chunks"][0]
    record["n_signal_region"][0] += 1
    (data_copy / PROVENANCE_FILENAME).write_text(json.dumps(changed))

    with caplog.at_level(logging.WARNING, logger="sklearn_paws.datasets._default"):
        generate_default_dataset(tmp_path / "work", plan=RESUME_PLAN, parts=("grid",),
                                 progress=False, data_dir=data_copy)
    assert "treated as missing" in caplog.text
    assert _file_indices(tmp_path / "work") == {record["key"]: [record["chunk_index"][0]]}


def test_test_part_repeats_no_grid_event():
    from sklearn_paws.datasets._default import _samples
    from sklearn_paws.datasets._simulate import chunk_seeds

    plan = DefaultDatasetPlan()
    grid = {(s.mx, s.my, s.decay_mode): s for s, _, _ in _samples(plan, "grid")}
    for sample, _, _ in _samples(plan, "test"):
        twin = grid[(sample.mx, sample.my, sample.decay_mode)]
        assert chunk_seeds(sample.seed, sample.stream(), 0) != chunk_seeds(twin.seed, twin.stream(), 0)

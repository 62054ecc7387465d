"""Tests of the embedded default dataset and of its resumable generation and assembly."""

import numpy as np
import pytest

from sklearn_paws.datasets._columns import FEATURE_COLUMNS
from sklearn_paws.datasets._default import (
    DATA_DIR,
    DATASET_FILENAME,
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
    generate_default_dataset(work, plan=plan, progress=False)
    files = sorted(work.rglob("*.npz"))
    generate_default_dataset(work, plan=plan, progress=False)
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
    generate_default_dataset(tmp_path / "work", plan=plan, parts=("grid",), progress=False)
    provenance = assemble_default_dataset(tmp_path / "work", tmp_path / "data", plan=plan)
    dataset = load_default(tmp_path / "data")
    assert not dataset.is_complete
    assert provenance["counts"]["background"]["n_signal_region"] == 0
    assert len(dataset.grid_signal) == provenance["n_events"]["grid"]

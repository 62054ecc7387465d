"""The study runner and the command line on tiny toy inputs: resume, damaged files, outputs."""

import dataclasses
import json
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_lhco_events

from sklearn_paws.cli import main
from sklearn_paws.datasets._lhco import compute_paws_features
from sklearn_paws.exceptions import DataQualityWarning
from sklearn_paws.study import list_cells, quick_profile, run_study, study_data_from_toy
from sklearn_paws.study._report import summarise, write_report, write_tables

TINY_NETWORK = dict(hidden_layer_sizes=(16,), max_epochs=2)


@pytest.fixture(scope="module")
def tiny_study():
    config = quick_profile(
        noise_features=(0,), mu_values=(0.01, 0.03), methods=("supervised", "paws", "hgb"),
        prior_params=TINY_NETWORK, supervised_params=TINY_NETWORK,
        paws_params=dict(n_init=2, n_keep=1, max_epochs=3), hgb_params=dict(n_models=1, max_iter=20),
    )
    data = study_data_from_toy(config.mass_points, n_background=30000, n_grid_per_point=20,
                               n_signal_per_mode=2000, random_state=0)
    return config, data


def test_study_runs_every_cell(tiny_study, tmp_path):
    config, data = tiny_study
    results = run_study(data, config, tmp_path)

    # The supervised cell is repeated on every mu, so every method has one row per mu.
    assert len(results) == len(config.methods) * len(config.mu_values)
    assert set(results["method"]) == set(config.methods)
    assert results[["sic", "sic_loose"]].notna().all().all()
    paws = results[results["method"] == "paws"]
    assert paws[["mx_fit", "my_fit", "mu_fit", "alpha_fit"]].notna().all().all()
    assert (paws["n_signal_injected"] > 0).all()


def _cell_times(folder):
    """Return the modification time of every stored cell file under ``folder``."""
    return {path: path.stat().st_mtime_ns for path in folder.glob("results-*/cells/*.json")}


def test_study_resume_skips_finished(tiny_study, tmp_path):
    config, data = tiny_study
    first = run_study(data, config, tmp_path)
    modified = _cell_times(tmp_path)

    second = run_study(data, config, tmp_path)

    assert len(modified) == len(list_cells(config))
    assert _cell_times(tmp_path) == modified
    assert np.allclose(first["sic"].to_numpy(), second["sic"].to_numpy())


def test_cut_down_scan_reuses_cells(tiny_study, tmp_path):
    config, data = tiny_study
    part = dataclasses.replace(config, mu_values=config.mu_values[:1])
    first = run_study(data, part, tmp_path)
    modified = _cell_times(tmp_path)

    whole = run_study(data, config, tmp_path)

    # The cells of the cut-down scan are reused, and only the new mu values are computed.
    after = _cell_times(tmp_path)
    assert len(modified) == len(list_cells(part))
    assert {path: after[path] for path in modified} == modified
    assert len(after) == len(list_cells(config))
    assert len(first) == len(config.methods)
    assert len(whole) == len(config.methods) * len(config.mu_values)
    shared = whole[whole["mu"] == config.mu_values[0]].reset_index(drop=True)
    np.testing.assert_allclose(shared["sic"], first["sic"])
    # The supervised classifier is trained without injected signal, so one result serves every mu.
    supervised = whole[whole["method"] == "supervised"]
    assert sorted(supervised["mu"]) == sorted(config.mu_values)
    assert supervised["sic"].nunique() == 1

    # Running the cut-down scan again reports its own cells only.
    again = run_study(data, part, tmp_path)
    assert sorted(again["mu"].unique()) == [config.mu_values[0]]


def test_landscapes_cached_and_reused(tiny_study, tmp_path):
    from sklearn_paws.study._landscape import compute_landscapes

    config, data = tiny_study
    config = dataclasses.replace(config, landscape_mu=(0.01,), landscape_step=275.0)
    first = compute_landscapes(data, config, tmp_path)
    files = sorted((tmp_path / "landscapes").glob("*.csv"))
    modified = [path.stat().st_mtime_ns for path in files]

    second = compute_landscapes(data, config, tmp_path)

    assert len(files) == 1
    assert [path.stat().st_mtime_ns for path in files] == modified
    key = ((300.0, 300.0), 0.01)
    assert len(first[key]) == 9
    np.testing.assert_allclose(second[key]["loss"], first[key]["loss"], rtol=1e-6)


def test_study_recomputes_damaged_cell(tiny_study, tmp_path):
    config, data = tiny_study
    run_study(data, config, tmp_path)
    damaged = sorted(tmp_path.glob("results-*/cells/hgb_*.json"))[0]
    damaged.write_text('[{"sic": 1.0, "meth')

    results = run_study(data, config, tmp_path)

    assert len(results) == len(config.methods) * len(config.mu_values)
    assert json.loads(damaged.read_text())[0]["method"] == "hgb"


def test_study_reruns_when_data_change(tiny_study, tmp_path):
    config, data = tiny_study
    run_study(data, config, tmp_path)
    smaller = dataclasses.replace(data, prior_background=data.prior_background.iloc[:-100])

    run_study(smaller, config, tmp_path)

    # New pre-training events give new priors and a new set of cells beside the old ones.
    assert len(list(tmp_path.glob("results-*"))) == 2
    assert len(list((tmp_path / "models").glob("prior_qq_*.joblib"))) == 2


def test_report_tables_and_markdown(tiny_study, tmp_path):
    config, data = tiny_study
    results = run_study(data, config, tmp_path)
    summary, paths = write_tables(results, tmp_path)
    report = write_report(results, summary, config, tmp_path, data_summary=data.summary(),
                          source=data.source, runtime_seconds=1.0, figure_paths=[])

    assert all(path.exists() for path in paths)
    assert len(summary) == len(summarise(results))
    text = report.read_text()
    assert "| paws |" in text
    assert "| SIC at 0.01 |" in text
    assert f"The fits of the {len(list_cells(config))} cells took" in text
    # Every table row carries a value in the loose SIC column.
    rows = [line for line in text.splitlines() if line.startswith("| paws |")]
    assert all(line.split("|")[5].strip() for line in rows)


def test_report_compares_simulation(tiny_study, tmp_path):
    from sklearn_paws.datasets import make_toy_background, make_toy_signal
    from sklearn_paws.study._real import compare_with_simulation

    config, data = tiny_study
    real_background = make_toy_background(2000, random_state=8)
    real_signal = make_toy_signal(500.0, 100.0, 500, random_state=9)
    comparison = compare_with_simulation(data, real_background, real_signal)
    results = run_study(data, config, tmp_path)
    summary, _ = write_tables(results, tmp_path)
    report = write_report(results, summary, config, tmp_path, data_summary=data.summary(),
                          source=data.source, runtime_seconds=1.0, figure_paths=[],
                          comparison=comparison)

    # The toy grid has signal at (500, 100) GeV, whose heavier jet sits near 0.5 TeV.
    signal_mj1 = comparison.set_index("feature").loc["mj1", "signal_simulated"]
    assert signal_mj1 == pytest.approx(0.5, abs=0.05)
    assert "## Simulated and real events" in report.read_text()
    assert "| mj1 |" in report.read_text()


def _write_signal_file(path):
    signal = make_lhco_events(600, random_state=5)
    signal["mx"] = np.repeat([100.0, 300.0, 500.0], 200)
    signal["my"] = 300.0
    signal["label"] = 1.0
    signal.to_hdf(path, key="df")


def _pretrain_from_files(tmp_path):
    """Write signal and background files, pre-train on them with the CLI, return the paths."""
    signal_path = tmp_path / "signal.h5"
    background_path = tmp_path / "background.h5"
    model_path = tmp_path / "prior.joblib"
    _write_signal_file(signal_path)
    make_lhco_events(1500, random_state=6).to_hdf(background_path, key="df")
    status = main(["pretrain", "--signal", str(signal_path), "--background", str(background_path),
                   "--output", str(model_path), "--epochs", "2"])
    return status, signal_path, background_path, model_path


def test_cli_pretrain_then_run(tmp_path, capsys):
    status, _, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0
    assert model_path.exists()

    # The data file's index labels differ from row positions, and the signal region drops rows.
    data_path = tmp_path / "data.h5"
    events = make_lhco_events(1500, random_state=7)
    events.index = np.arange(1500) * 3 + 1000
    events.to_hdf(data_path, key="df")
    status = main(["run", "--data", str(data_path), "--reference", str(background_path),
                   "--prior", f"qq={model_path}", "--n-init", "2", "--n-keep", "1",
                   "--mjj-min", "3.0", "--mjj-max", "3.9", "--output", str(tmp_path / "out")])
    assert status == 0
    fit = json.loads((tmp_path / "out" / "fit.json").read_text())
    assert 50.0 <= fit["mx_GeV"] <= 600.0

    # Every score row names its event by the index label of the data file's table.
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    features = compute_paws_features(events)
    inside = features[(features["mjj"] > 3.0) & (features["mjj"] < 3.9)]
    assert len(scores) == fit["n_data"] == len(inside)
    assert scores["event"].tolist() == inside.index.tolist()
    np.testing.assert_allclose(scores["mjj"], inside["mjj"], rtol=1e-6)


def test_run_warns_other_region(tmp_path):
    status, _, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0
    provenance = json.loads((tmp_path / "prior.joblib.json").read_text())
    assert (provenance["mjj_min_TeV"], provenance["mjj_max_TeV"]) == (3.3, 3.7)
    assert provenance["n_background"] > 0
    data_path = tmp_path / "data.h5"
    make_lhco_events(1500, random_state=8).to_hdf(data_path, key="df")
    arguments = ["run", "--data", str(data_path), "--reference", str(background_path),
                 "--prior", f"qq={model_path}", "--n-init", "2", "--n-keep", "1", "--output", str(tmp_path / "out")]

    with pytest.warns(DataQualityWarning, match=r"pre-trained in 3.3 < mjj < 3.7 TeV .* run selects 3 < mjj < 3.9"):
        assert main(arguments + ["--mjj-min", "3.0", "--mjj-max", "3.9"]) == 0

    # The same region as pre-training: no warning about it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(arguments) == 0
    assert not [warning for warning in caught if "pre-trained in" in str(warning.message)]


def test_cli_run_warns_reference_copy(tmp_path):
    status, _, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0
    copy_path = tmp_path / "copy.h5"
    copy_path.write_bytes(background_path.read_bytes())

    with pytest.warns(DataQualityWarning, match="also occur in the reference"):
        status = main(["run", "--data", str(background_path), "--reference", str(copy_path),
                       "--prior", f"qq={model_path}", "--n-init", "2", "--n-keep", "1",
                       "--mjj-min", "0.1", "--mjj-max", "100", "--output", str(tmp_path / "out")])
    assert status == 0


def test_written_files_follow_umask(tmp_path):
    from sklearn_paws.study._store import write_atomic

    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "result.txt", lambda temporary: Path(temporary).write_text("1"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "result.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize("arguments, expected", [
    (["--n-init", "2", "--n-keep", "5"], "--n-keep 5 exceeds --n-init 2"),
    (["--mjj-min", "10", "--mjj-max", "11"], "{data}: No event in the signal region 10 < mjj < 11 TeV"),
    (["--mjj-min", "3300", "--mjj-max", "3700"], "look like GeV, but the bounds are in TeV, e.g. --mjj-min 3.3 "
                                                 "--mjj-max 3.7"),
    (["--mjj-min", "3300", "--mjj-max", "3.7"], "e.g. --mjj-min 3.3 --mjj-max 3.7"),
    (["--mjj-min", "3.7", "--mjj-max", "3.3"], "--mjj-min 3.7 must be below --mjj-max 3.3"),
    (["--mjj-min", "10", "--mjj-max", "11"], "set the region with --mjj-min and --mjj-max"),
    (["--data", "{folder}"], "--data: Expected an HDF5 file, got the directory"),
    (["--reference", "missing.h5"], "--reference: No such file: 'missing.h5'"),
])
def test_cli_run_rejects_bad_input(tmp_path, capsys, arguments, expected):
    data_path = tmp_path / "data.h5"
    make_lhco_events(200).to_hdf(data_path, key="df")

    arguments = [argument.format(folder=tmp_path) for argument in arguments]

    status = main(["run", "--data", str(data_path), "--reference", str(data_path),
                   "--prior", f"qq={data_path}", "--output", str(tmp_path / "out"), *arguments])

    assert status == 2
    assert expected.format(data=data_path) in capsys.readouterr().err


@pytest.mark.parametrize("option, value, expected", [
    ("--learning-rate", "inf", "expected a positive finite number, got inf"),
    ("--learning-rate", "0", "expected a positive finite number, got 0"),
    ("--seed", "-1", "expected a seed from 0 to 4294967295, got -1"),
])
def test_cli_run_rejects_bad_option(tmp_path, capsys, option, value, expected):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--data", "d.h5", "--reference", "r.h5", "--prior", "p.joblib", option, value])

    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err


def test_cli_run_rejects_swapped_modes(tmp_path, capsys):
    status, _, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0
    provenance_file = tmp_path / "prior.joblib.json"
    provenance = json.loads(provenance_file.read_text())
    provenance["decay_mode"] = "qqq"
    provenance_file.write_text(json.dumps(provenance))
    other_path = tmp_path / "other.joblib"
    other_path.write_bytes(model_path.read_bytes())

    status = main(["run", "--data", str(background_path), "--reference", str(background_path),
                   "--prior", f"qq={model_path}", "--prior", f"qqq={other_path}", "--output", str(tmp_path / "out")])

    assert status == 2
    assert f"--prior qq={model_path} was pre-trained on 'qqq' signal" in capsys.readouterr().err


def test_cli_pretrain_rejects_folder_output(tmp_path, capsys):
    status = main(["pretrain", "--default-dataset", "qq", "--output", str(tmp_path)])

    assert status == 2
    assert "is a folder; pass the path of the model file" in capsys.readouterr().err


def test_cli_pretrain_rejects_mixed_signal(tmp_path, capsys):
    signal_path = tmp_path / "signal.h5"
    background_path = tmp_path / "background.h5"
    make_lhco_events(1500, random_state=6).to_hdf(background_path, key="df")
    signal = make_lhco_events(600, random_state=5)
    signal["mx"], signal["my"], signal["label"] = 300.0, 300.0, 1.0
    signal.loc[signal.index[:10], "label"] = 0.0
    signal.to_hdf(signal_path, key="df")
    arguments = ["pretrain", "--signal", str(signal_path), "--background", str(background_path),
                 "--output", str(tmp_path / "prior.joblib"), "--epochs", "1", "--mjj-min", "0.1", "--mjj-max", "100"]

    assert main(arguments) == 2
    assert "10 of its 600 signal-region events have label 0" in capsys.readouterr().err

    signal["label"] = 1.0
    signal["decay_mode"] = ["qq", "qqq"] * 300
    signal.to_hdf(signal_path, key="df")
    assert main(arguments) == 2
    assert "contains the decay modes ['qq', 'qqq']" in capsys.readouterr().err
    assert not (tmp_path / "prior.joblib").exists()


def test_cli_run_saves_fit_without_sic(tmp_path, capsys):
    status, signal_path, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0

    # Labelled data with far fewer than 1000 background events: too few for eps_B = 1e-3.
    data = pd.concat([make_lhco_events(300, random_state=8), pd.read_hdf(signal_path).iloc[:30]],
                     ignore_index=True)
    data["label"] = np.r_[np.zeros(300), np.ones(30)]
    data_path = tmp_path / "data.h5"
    data.drop(columns=["mx", "my"]).to_hdf(data_path, key="df")
    status = main(["run", "--data", str(data_path), "--reference", str(background_path),
                   "--prior", f"qq={model_path}", "--n-init", "2", "--n-keep", "1",
                   "--mjj-min", "0.1", "--mjj-max", "100", "--output", str(tmp_path / "out")])

    assert status == 0
    assert "SIC not computed" in capsys.readouterr().out
    fit = json.loads((tmp_path / "out" / "fit.json").read_text())
    assert "sic_at_1e-3" not in fit
    assert fit["mu"] >= 0.0


def test_cli_run_rejects_bad_prior(tmp_path, capsys):
    data_path = tmp_path / "data.h5"
    make_lhco_events(200).to_hdf(data_path, key="df")

    status = main(["run", "--data", str(data_path), "--reference", str(data_path),
                   "--prior", f"qq={data_path}", "--output", str(tmp_path / "out")])

    assert status == 2
    assert "could not be loaded as a saved model" in capsys.readouterr().err


def test_cli_demo_data_needs_prior_background(tmp_path, monkeypatch, capsys):
    from sklearn_paws.datasets import _default

    real = _default.load_default()
    scarce = _default.DefaultDataset(background=real.background.iloc[:100], grid_signal=real.grid_signal,
                                     test_signal=real.test_signal, provenance=real.provenance)
    monkeypatch.setattr(_default, "load_default", lambda data_dir=None: scarce)
    data_path = tmp_path / "events.h5"
    make_lhco_events(500, random_state=7).to_hdf(data_path, key="df")

    status = main(["demo", "--data", str(data_path), "--output", str(tmp_path / "out")])

    assert status == 2
    assert "100 background events (pre-training needs 5000)" in capsys.readouterr().err


def test_cli_demo_data_needs_test_background(tmp_path, capsys):
    events = make_lhco_events(2000, random_state=7)
    data_path = tmp_path / "events.h5"
    events.to_hdf(data_path, key="df")

    status = main(["demo", "--data", str(data_path), "--output", str(tmp_path / "out")])

    assert status == 2
    message = capsys.readouterr().err
    assert "needs at least 1000" in message
    assert "signal-region background events" in message
    assert not (tmp_path / "out" / "real-events" / "models").exists()


def test_demo_rejects_unknown_mass_point(tmp_path, capsys):
    from sklearn_paws.datasets._default import DATA_DIR, DATASET_FILENAME

    if not (DATA_DIR / DATASET_FILENAME).exists():
        pytest.skip("the default dataset has not been assembled into the package yet")

    status = main(["demo", "--mass-point", "300", "300", "--mass-point", "250", "350",
                   "--output", str(tmp_path / "out")])

    assert status == 2
    error = capsys.readouterr().err
    assert "no test signal at (250, 350) GeV" in error
    assert "--mass-point 300 300" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arguments, expected", [
    (["--mu", "0.01", "1.5"], "--mu 1.5: signal fractions must lie in [0, 1)"),
    (["--mass-point", "0.3", "0.3"], "--mass-point (0.3, 0.3): masses must lie in the simulated grid"),
    (["--output", "{file}"], "exists and is not a folder"),
])
def test_demo_rejects_bad_option(tmp_path, capsys, arguments, expected):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    arguments = [argument.format(file=a_file) for argument in arguments]

    status = main(["demo", "--toy", *arguments])

    assert status == 2
    assert expected in capsys.readouterr().err


def test_demo_rejects_mass_point_with_data(tmp_path, capsys):
    data_path = tmp_path / "events.h5"
    make_lhco_events(100, random_state=3).to_hdf(data_path, key="df")

    status = main(["demo", "--data", str(data_path), "--mass-point", "300", "300", "--output", str(tmp_path / "out")])

    assert status == 2
    assert "--mass-point does not apply with --data" in capsys.readouterr().err


def test_demo_passes_mass_point_realisations(tmp_path, monkeypatch):
    import sklearn_paws.study as study

    captured = {}

    def stop_after_config(data, config, output, n_jobs=1):
        captured["config"] = config
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "run_study", stop_after_config)
    with pytest.raises(KeyboardInterrupt):
        main(["demo", "--toy", "--mass-point", "100", "500", "--mass-point", "100", "500", "--realisations", "2",
              "--mu", "0.01", "0.01", "--output", str(tmp_path / "out")])

    assert captured["config"].mass_points == ((100.0, 500.0),)
    assert captured["config"].n_realisations == 2
    assert captured["config"].mu_values == (0.01,)


def test_cli_demo_rejects_toy_with_data(tmp_path, capsys):
    data_path = tmp_path / "events.h5"
    make_lhco_events(500, random_state=7).to_hdf(data_path, key="df")

    status = main(["demo", "--toy", "--data", str(data_path), "--output", str(tmp_path / "out")])

    assert status == 2
    assert "--toy and --data exclude each other" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_ranking_score_breaks_probability_ties():
    from sklearn.linear_model import LogisticRegression

    from sklearn_paws.study._methods import _ranking_score

    # Far apart classes: predict_proba rounds to exactly 1 for many events, the log odds do not.
    X = np.r_[np.zeros(50), np.linspace(60.0, 100.0, 50)].reshape(-1, 1)
    y = np.r_[np.zeros(50), np.ones(50)]
    model = LogisticRegression(C=1e6).fit(X, y)

    score = _ranking_score(model, X[50:])

    assert np.sum(model.predict_proba(X[50:])[:, 1] == 1.0) > 10
    assert len(np.unique(score)) == 50


def test_cli_pretrain_default_dataset(tmp_path, capsys):
    from sklearn_paws.datasets._default import DATA_DIR, DATASET_FILENAME

    if not (DATA_DIR / DATASET_FILENAME).exists():
        pytest.skip("the default dataset has not been assembled into the package yet")
    model_path = tmp_path / "prior_qqq.joblib"

    status = main(["pretrain", "--default-dataset", "qqq", "--mjj-min", "3.45", "--mjj-max", "3.9",
                   "--epochs", "1", "--output", str(model_path)])

    assert status == 0
    assert model_path.exists()
    assert "Pre-training on" in capsys.readouterr().out
    # The default dataset ends at 3.7 TeV, so that is where the recorded region ends.
    provenance = json.loads((tmp_path / "prior_qqq.joblib.json").read_text())
    assert (provenance["mjj_min_TeV"], provenance["mjj_max_TeV"]) == (3.45, 3.7)
    assert provenance["decay_mode"] == "qqq"


@pytest.mark.parametrize("arguments, expected", [
    ([], "Give both --signal and --background, or --default-dataset"),
    (["--default-dataset", "qq", "--signal", "grid.h5"], "--default-dataset replaces --signal"),
    (["--default-dataset", "qq", "--units", "TeV"], "--key and --units describe input files"),
])
def test_cli_pretrain_rejects_inputs(tmp_path, capsys, arguments, expected):
    status = main(["pretrain", "--output", str(tmp_path / "prior.joblib"), *arguments])

    assert status == 2
    assert expected in capsys.readouterr().err


def test_cli_run_reads_key_and_units(tmp_path, capsys):
    status, _, background_path, model_path = _pretrain_from_files(tmp_path)
    assert status == 0
    events = make_lhco_events(1500, random_state=9)
    in_tev = events.copy()
    momentum_columns = [column for column in events if column.startswith(("px", "py", "pz", "mj"))]
    in_tev[momentum_columns] /= 1000.0
    two_tables = tmp_path / "two_tables.h5"
    in_tev.to_hdf(two_tables, key="data")
    events.to_hdf(two_tables, key="other")
    arguments = ["run", "--data", str(two_tables), "--reference", str(two_tables),
                 "--prior", f"qq={model_path}", "--n-init", "2", "--n-keep", "1",
                 "--mjj-min", "0.1", "--mjj-max", "100", "--output", str(tmp_path / "out")]

    assert main(arguments) == 2
    assert "--key on the command line" in capsys.readouterr().err
    assert main(arguments + ["--key", "data"]) == 2
    assert "--units TeV on the command line" in capsys.readouterr().err
    # The same table as data and reference is only a test of the options here.
    with pytest.warns(DataQualityWarning, match="also occur in the reference"):
        assert main(arguments + ["--key", "data", "--units", "TeV"]) == 0


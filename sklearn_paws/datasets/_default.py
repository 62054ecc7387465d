"""The default dataset embedded in sklearn-paws: simulated signal-region background and signal.

The official LHC Olympics files cannot be downloaded everywhere, so the package ships a dataset
made with :mod:`sklearn_paws.datasets._simulate` (Pythia 8, the detector emulation, FastJet):

- background: QCD dijet events in the signal region (leading-jet pT > 1.2 TeV and
  3.3 < m_JJ < 3.7 TeV), at least 300,000 when complete;
- grid signal: W' -> X Y for m_X, m_Y in {50, 100, ..., 600} GeV (144 points) and both decay
  modes of Y, at least 1,000 signal-region events per point and mode;
- test signal: at least 20,000 signal-region events per decay mode at (m_X, m_Y) = (300, 300),
  (100, 500) and (500, 100) GeV.

Generation takes many CPU hours, so it runs in chunks written to a work folder and resumes where
it stopped. :func:`assemble_default_dataset` turns whatever chunks exist into the compact file
that :func:`load_default` reads. The provenance file beside it records how complete it is.
"""

import dataclasses
import datetime
import importlib.metadata
import json
import logging
import os
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    MJJ_COLUMN,
    THETA_COLUMNS,
    THREE_PRONG,
    TWO_PRONG,
)

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DATASET_FILENAME = "default_dataset.npz"
PROVENANCE_FILENAME = "default_dataset_provenance.json"
RUN_LOG_FILENAME = "generation_runs.json"  # in the work folder: one entry per generation run

GRID_MASSES = tuple(range(50, 601, 50))  # GeV, for both m_X and m_Y
TEST_POINTS = ((300, 300), (100, 500), (500, 100))  # (m_X, m_Y) in GeV
PARTS = ("grid", "test", "background")  # generation order

# Codes of the compact file.
_PART_CODES = {"background": 0, "grid": 1, "test": 2}
_DECAY_CODES = {"": 0, TWO_PRONG: 1, THREE_PRONG: 2}
_FLOAT_COLUMNS = (*FEATURE_COLUMNS, MJJ_COLUMN)


@dataclasses.dataclass(frozen=True)
class DefaultDatasetPlan:
    """Targets, chunk sizes and seed of the default dataset.

    Parameters
    ----------
    seed : int
        Run seed of every sample; chunk seeds derive from it, the sample and the chunk index.
    background_target : int
        Signal-region background events to reach.
    grid_target : int
        Signal-region events to reach per grid point and decay mode.
    test_target : int
        Signal-region events to reach per test point and decay mode.
    background_chunk_size, grid_chunk_size, test_chunk_size : int
        Events generated per chunk (after the background prefilter).
    grid_masses : tuple of int
        Values of m_X and of m_Y (GeV) of the grid.
    test_points : tuple of (int, int)
        (m_X, m_Y) in GeV of the test signal.
    """

    seed: int = 20261204
    background_target: int = 300_000
    grid_target: int = 1_000
    test_target: int = 20_000
    background_chunk_size: int = 2_000
    grid_chunk_size: int = 2_000
    test_chunk_size: int = 5_000
    grid_masses: tuple = GRID_MASSES
    test_points: tuple = TEST_POINTS


@dataclasses.dataclass
class DefaultDataset:
    """The default dataset, split into its three parts.

    Every table has the columns ``mj1, mj2`` (TeV), ``tau21j1, tau21j2, tau32j1, tau32j2``,
    ``mjj`` (TeV), all float32, and ``label`` (0 background, 1 signal). The signal tables add
    ``mx``, ``my`` (GeV) and ``decay_mode`` (``"qq"`` or ``"qqq"``). All events are in the signal
    region 3.3 < m_JJ < 3.7 TeV and pass the leading-jet pT > 1.2 TeV trigger.

    Attributes
    ----------
    background : pandas.DataFrame
        QCD dijet events.
    grid_signal : pandas.DataFrame
        Signal on the 12 x 12 mass grid, both decay modes.
    test_signal : pandas.DataFrame
        Large signal samples at the test points, both decay modes.
    provenance : dict
        Command, seeds, software versions, generator settings and event counts.
    """

    background: pd.DataFrame
    grid_signal: pd.DataFrame
    test_signal: pd.DataFrame
    provenance: dict

    @property
    def n_events(self):
        """Total number of events in the three tables."""
        return len(self.background) + len(self.grid_signal) + len(self.test_signal)

    @property
    def is_complete(self):
        """Whether every part reached the target count of its plan."""
        return bool(self.provenance.get("complete", False))

    def __repr__(self):
        state = "complete" if self.is_complete else "PARTIAL"
        return (
            f"DefaultDataset({state}: {len(self.background)} background, "
            f"{len(self.grid_signal)} grid signal, {len(self.test_signal)} test signal events)"
        )


def _samples(plan, part):
    """Return the simulation samples of one part, with chunk size and target, in order."""
    from ._simulate import (
        DEFAULT_MHAT_MIN,
        DEFAULT_PREFILTER_MJJ_MIN,
        DEFAULT_PREFILTER_PT_MIN,
        DEFAULT_PTHAT_MIN,
        _detector_params,
        _Sample,
    )

    detector = _detector_params("default")
    if part == "background":
        sample = _Sample(
            process="background",
            pthat_min=DEFAULT_PTHAT_MIN,
            mhat_min=DEFAULT_MHAT_MIN,
            prefilter_pt_min=DEFAULT_PREFILTER_PT_MIN,
            prefilter_mjj_min=DEFAULT_PREFILTER_MJJ_MIN,
            detector=detector,
            selection="signal_region",
            seed=plan.seed,
        )
        return [(sample, plan.background_chunk_size, plan.background_target)]

    if part == "grid":
        points = [(mx, my) for mx in plan.grid_masses for my in plan.grid_masses]
        size, target = plan.grid_chunk_size, plan.grid_target
    else:
        points = list(plan.test_points)
        size, target = plan.test_chunk_size, plan.test_target
    samples = []
    for mx, my in points:
        for mode in DECAY_MODES:
            sample = _Sample(process="signal", mx=float(mx), my=float(my), decay_mode=mode,
                             detector=detector, selection="signal_region", seed=plan.seed)
            samples.append((sample, size, target))
    return samples


def _finished_chunks(work_dir, sample, chunk_size):
    """Return the statistics of the finished chunks of a sample, by chunk index."""
    from ._simulate import _chunk_path, load_chunk

    found = {}
    pattern = _chunk_path(work_dir, sample, 0, chunk_size).name.replace("00000.npz", "*.npz")
    for path in sorted(Path(work_dir).glob(pattern)):
        index = int(path.stem.rsplit("_", 1)[1])
        found[index] = path
    return found, load_chunk


def generate_default_dataset(work_dir, *, plan=None, parts=PARTS, n_jobs=1, progress=True):
    """Generate the chunks of the default dataset until every target is reached.

    Already finished chunks are counted and kept, so the call resumes an interrupted run. Parts
    are generated in the order of `parts`, and within a part sample after sample. Each sample
    gets new chunks (``n_jobs`` at a time) until it has its target of signal-region events.

    Parameters
    ----------
    work_dir : path-like
        Folder of the chunk files.
    plan : DefaultDatasetPlan, default=None
        Targets and seed; ``None`` uses the defaults.
    parts : sequence of {"grid", "test", "background"}, default=("grid", "test", "background")
        Parts to generate, in this order.
    n_jobs : int, default=1
        Number of worker processes.
    progress : bool, default=True
        Show progress bars.

    Raises
    ------
    ValueError
        If a part name is unknown.
    """
    from tqdm.auto import tqdm

    from ._simulate import run_chunks

    plan = plan or DefaultDatasetPlan()
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"Unknown part {part!r}; use some of {PARTS}.")
    work_dir = Path(work_dir)
    _record_generation_run(work_dir, parts, n_jobs)
    n_workers = max(1, int(n_jobs) if n_jobs > 0 else os.cpu_count() or 1)

    for part in parts:
        samples = _samples(plan, part)
        bar = tqdm(samples, desc=f"default dataset: {part}", unit="sample", disable=not progress)
        for sample, chunk_size, target in bar:
            found, load_chunk = _finished_chunks(work_dir / part, sample, chunk_size)
            n_region = sum(load_chunk(path)[1]["n_signal_region"] for path in found.values())
            next_index = max(found, default=-1) + 1
            while n_region < target:
                indices = list(range(next_index, next_index + n_workers))
                results = run_chunks(sample, indices, [chunk_size] * len(indices),
                                     chunk_dir=work_dir / part, n_jobs=n_jobs, progress=False)
                n_region += sum(stats["n_signal_region"] for _, stats in results)
                next_index += len(indices)
                if part == "background":
                    bar.set_postfix(signal_region=n_region, target=target)
                    logger.info("background: %d of %d signal-region events", n_region, target)


def _record_generation_run(work_dir, parts, n_jobs):
    """Append the command line and start time of this run to the run log of `work_dir`."""
    path = Path(work_dir) / RUN_LOG_FILENAME
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({
        "command": " ".join(shlex.quote(argument) for argument in sys.argv),
        "parts": list(parts),
        "n_jobs": int(n_jobs),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    })
    text = json.dumps(runs, indent=1).encode()
    _write_atomic(path, lambda handle: handle.write(text))


def _versions():
    versions = {"python": sys.version.split()[0]}
    for package in ("sklearn-paws", "pythia8mc", "fastjet", "awkward", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _write_atomic(path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.chmod(temporary, 0o644)  # mkstemp creates files readable by the owner only
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def assemble_default_dataset(work_dir, data_dir=None, *, plan=None, command=None):
    """Build the compact default dataset and its provenance file from the finished chunks.

    Works with any number of finished chunks: the provenance file records how many events each
    part contains and whether the targets are reached.

    Parameters
    ----------
    work_dir : path-like
        Folder of the chunk files written by :func:`generate_default_dataset`.
    data_dir : path-like, default=None
        Output folder; ``None`` writes into the package (``sklearn_paws/datasets/data``).
    plan : DefaultDatasetPlan, default=None
        The plan the chunks were made with; ``None`` uses the defaults. Chunks of other
        settings are ignored.
    command : str, default=None
        Generation command to record; ``None`` records the command line of this process.

    Returns
    -------
    provenance : dict
        The content of the provenance file.
    """
    from ._lhco import compute_paws_features
    from ._simulate import pythia_settings

    plan = plan or DefaultDatasetPlan()
    work_dir = Path(work_dir)
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR

    tables, counts, complete = [], {}, True
    settings = {}
    for part in PARTS:
        part_counts = {"n_signal_region": 0, "n_generated": 0, "n_tried": 0, "n_chunks": 0,
                       "samples_complete": 0, "n_samples": 0}
        for sample, chunk_size, target in _samples(plan, part):
            found, load_chunk = _finished_chunks(work_dir / part, sample, chunk_size)
            n_region = 0
            for path in found.values():
                jets, stats = load_chunk(path)
                n_region += stats["n_signal_region"]
                part_counts["n_generated"] += stats["n_generated"]
                part_counts["n_tried"] += stats["n_tried"]
                part_counts["n_chunks"] += 1
                if len(jets) == 0:
                    continue
                jets["label"] = int(sample.process == "signal")
                features = compute_paws_features(jets)
                compact = pd.DataFrame(
                    {column: features[column].to_numpy(np.float32) for column in _FLOAT_COLUMNS}
                )
                compact["mx"] = np.int16(sample.mx)
                compact["my"] = np.int16(sample.my)
                compact["decay_code"] = np.int8(_DECAY_CODES[sample.decay_mode])
                compact["label"] = np.int8(sample.process == "signal")
                compact["part"] = np.int8(_PART_CODES[part])
                tables.append(compact)
            part_counts["n_signal_region"] += n_region
            part_counts["n_samples"] += 1
            part_counts["samples_complete"] += int(n_region >= target)
            complete &= n_region >= target
        counts[part] = part_counts
        lines = pythia_settings(_samples(plan, part)[0][0], pythia_seed=1)
        settings[part] = [
            "Random:seed = (one per chunk, see 'seeds')" if line.startswith("Random:seed") else line
            for line in lines
        ]

    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        {c: np.empty(0, np.float32) for c in _FLOAT_COLUMNS}
        | {"mx": np.empty(0, np.int16), "my": np.empty(0, np.int16),
           "decay_code": np.empty(0, np.int8), "label": np.empty(0, np.int8),
           "part": np.empty(0, np.int8)}
    )
    arrays = {column: table[column].to_numpy() for column in table.columns}
    _write_atomic(data_dir / DATASET_FILENAME, lambda handle: np.savez_compressed(handle, **arrays))

    from ._simulate import (
        DEFAULT_MHAT_MIN, DEFAULT_PREFILTER_MJJ_MIN, DEFAULT_PREFILTER_PT_MIN, DEFAULT_PTHAT_MIN,
        SIGNAL_REGION_MJJ, TRIGGER_PT_MIN, _detector_params,
    )

    provenance = {
        "description": "Simulated LHC Olympics-like signal-region events (Pythia 8, detector "
                       "emulation, FastJet anti-kT R=1.0); see docs/simulation.md.",
        "complete": bool(complete),
        "counts": counts,
        "n_events": {
            part: int((table["part"] == code).sum()) for part, code in _PART_CODES.items()
        },
        "plan": dataclasses.asdict(plan),
        "background_cuts_gev": {
            "pthat_min": DEFAULT_PTHAT_MIN, "mhat_min": DEFAULT_MHAT_MIN,
            "prefilter_pt_min": DEFAULT_PREFILTER_PT_MIN,
            "prefilter_mjj_min": DEFAULT_PREFILTER_MJJ_MIN,
        },
        "selection": {"trigger_leading_jet_pt_min_gev": TRIGGER_PT_MIN,
                      "signal_region_mjj_gev": list(SIGNAL_REGION_MJJ)},
        "detector": dict(_detector_params("default")),
        "pythia_settings_of_first_sample": settings,
        "pythia_settings_note": "signal samples differ only in 24:m0 (m_X), 23:m0 (m_Y) and "
                                "the decay lines of particle 23 (Y)",
        "seeds": f"run seed {plan.seed}; the Pythia and detector seeds of chunk k of a sample "
                 "are sklearn_paws.datasets._simulate.chunk_seeds(run seed, sample stream, k), "
                 "from numpy.random.SeedSequence",
        "generation_runs": (
            json.loads((work_dir / RUN_LOG_FILENAME).read_text())
            if (work_dir / RUN_LOG_FILENAME).exists() else []
        ),
        "assembly_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "versions": _versions(),
        "assembled_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "file": DATASET_FILENAME,
    }
    text = json.dumps(provenance, indent=1).encode()
    _write_atomic(data_dir / PROVENANCE_FILENAME, lambda handle: handle.write(text))
    logger.info("Wrote %d events to %s (complete: %s).", len(table), data_dir, complete)
    return provenance


def load_default(data_dir=None):
    """Load the default dataset that ships with sklearn-paws.

    The dataset may be partial (generation is long and continues across sessions): check
    ``dataset.is_complete`` and the counts in ``dataset.provenance["counts"]``.

    Parameters
    ----------
    data_dir : path-like, default=None
        Folder with the dataset and provenance files; ``None`` uses the copy in the package.

    Returns
    -------
    dataset : DefaultDataset
        Tables ``background``, ``grid_signal`` and ``test_signal`` and the provenance dict.

    Raises
    ------
    FileNotFoundError
        If the dataset file is missing. The message gives the commands that build it.
    """
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    path = data_dir / DATASET_FILENAME
    if not path.exists():
        raise FileNotFoundError(
            f"The default dataset {path} does not exist. Build it with "
            "'sklearn-paws simulate default --work-dir DIR' (generation) and "
            "'sklearn-paws simulate default --work-dir DIR --assemble-only --output-dir "
            f"{data_dir}'."
        )
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    provenance_path = data_dir / PROVENANCE_FILENAME
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}

    part = arrays.pop("part")
    decay_names = np.array([name for name, _ in sorted(_DECAY_CODES.items(), key=lambda x: x[1])],
                           dtype=object)
    tables = {}
    for name, code in _PART_CODES.items():
        selected = part == code
        table = pd.DataFrame({column: arrays[column][selected] for column in _FLOAT_COLUMNS})
        table[LABEL_COLUMN] = arrays["label"][selected].astype(np.int64)
        if name != "background":
            table[THETA_COLUMNS[0]] = arrays["mx"][selected].astype(np.float64)
            table[THETA_COLUMNS[1]] = arrays["my"][selected].astype(np.float64)
            table[DECAY_MODE_COLUMN] = decay_names[arrays["decay_code"][selected]]
        tables[name] = table

    dataset = DefaultDataset(
        background=tables["background"],
        grid_signal=tables["grid"],
        test_signal=tables["test"],
        provenance=provenance,
    )
    if not dataset.is_complete:
        logger.warning("%r: generation has not reached its targets yet.", dataset)
    return dataset

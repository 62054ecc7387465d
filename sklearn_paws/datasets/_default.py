"""The default dataset embedded in sklearn-paws: simulated signal-region background and signal.

The official LHC Olympics files cannot be downloaded everywhere, so the package ships a dataset
made with :mod:`sklearn_paws.datasets._simulate` (Pythia 8, the detector emulation, FastJet):

- background: QCD dijet events in the signal region (leading-jet pT > 1.2 TeV and
  3.3 < m_JJ < 3.7 TeV), at least 300,000 when complete;
- grid signal: W' -> X Y for m_X, m_Y in {50, 100, ..., 600} GeV (144 points) and both decay
  modes of Y, at least 1,000 signal-region events per point and mode;
- test signal: at least 20,000 signal-region events per decay mode at (m_X, m_Y) = (300, 300),
  (100, 500) and (500, 100) GeV.

Generation takes many CPU hours, so it runs in chunks written to a work folder.
:func:`assemble_default_dataset` turns the finished chunks into the compact file that
:func:`load_default` reads. The compact file stores the chunk index of every event, and the
provenance file beside it lists the finished chunks of every sample with their statistics. The
committed dataset is therefore itself the resume state: :func:`generate_default_dataset` counts
the chunks recorded there as finished even when the work folder is lost, and
:func:`assemble_default_dataset` merges the chunks of the work folder into the existing file
without losing or duplicating events.
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

from ..exceptions import InputDataError
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
_TEST_SEED_OFFSET = 1  # run seed of the test part: plan.seed + 1

# Codes of the compact file.
_PART_CODES = {"background": 0, "grid": 1, "test": 2}
_DECAY_CODES = {"": 0, TWO_PRONG: 1, THREE_PRONG: 2}
_FLOAT_COLUMNS = (*FEATURE_COLUMNS, MJJ_COLUMN)
CHUNK_COLUMN = "chunk"  # chunk index of the event within its sample (compact file only)
_CODE_DTYPES = {"mx": np.int16, "my": np.int16, "decay_code": np.int8, "label": np.int8,
                "part": np.int8, CHUNK_COLUMN: np.int32}
_COMPACT_COLUMNS = (*_FLOAT_COLUMNS, *_CODE_DTYPES)
# Per-chunk statistics recorded in the provenance file; cpu_seconds may be missing (null).
_CHUNK_STATISTICS = ("n_signal_region", "n_generated", "n_tried", "cpu_seconds")


@dataclasses.dataclass(frozen=True)
class DefaultDatasetPlan:
    """Targets, chunk sizes and seed of the default dataset.

    Parameters
    ----------
    seed : int
        Run seed of the grid and background samples; the test samples use ``seed + 1``, so that
        they repeat no generated event of the grid. Chunk seeds derive from the run seed, the
        sample and the chunk index.
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
    # Test points are also grid points: the test part takes its own run seed, so that no test
    # event repeats a generated event of the grid that pre-trains the classifiers.
    seed = plan.seed + _TEST_SEED_OFFSET if part == "test" else plan.seed
    for mx, my in points:
        for mode in DECAY_MODES:
            sample = _Sample(process="signal", mx=float(mx), my=float(my), decay_mode=mode,
                             detector=detector, selection="signal_region", seed=seed)
            samples.append((sample, size, target))
    return samples


def _chunk_files(work_dir, sample, chunk_size):
    """Return the paths of the chunk files of a sample in `work_dir`, by chunk index."""
    from ._simulate import _chunk_path

    found = {}
    pattern = _chunk_path(work_dir, sample, 0, chunk_size).name.replace("00000.npz", "*.npz")
    for path in sorted(Path(work_dir).glob(pattern)):
        index = int(path.stem.rsplit("_", 1)[1])
        found[index] = path
    return found


def _chunk_statistics(stats):
    """Return the per-chunk statistics that the provenance file records."""
    recorded = {name: int(stats[name]) for name in _CHUNK_STATISTICS[:-1]}
    cpu_seconds = stats.get("cpu_seconds")
    recorded["cpu_seconds"] = None if cpu_seconds is None else round(float(cpu_seconds), 1)
    return recorded


def _parse_chunk_record(record, path):
    """Return the identity, the row prefix and the statistics by chunk index of a chunk record.

    Raises InputDataError when the record lacks a field or its lists do not line up.
    """
    try:
        identity = (record["part"], record["key"], int(record["chunk_size"]))
        prefix = (_PART_CODES[record["part"]], int(record["mx"]), int(record["my"]),
                  _DECAY_CODES[record["decay_mode"]])
        indices = [int(index) for index in record["chunk_index"]]
        columns = [record[name] for name in _CHUNK_STATISTICS]
        if any(len(column) != len(indices) for column in columns):
            raise ValueError("its lists have different lengths")
        if len(set(indices)) != len(indices):
            raise ValueError("a chunk index appears twice")
    except (KeyError, TypeError, ValueError) as error:
        raise InputDataError(
            f"The chunk record {record!r} in the provenance file beside {path} is invalid "
            f"({error!r}). Restore the provenance file from version control, or move both files "
            "away to assemble from the work folder only."
        ) from None
    statistics = {
        index: dict(zip(_CHUNK_STATISTICS, values))
        for index, *values in zip(indices, *columns)
    }
    return identity, prefix, statistics


class _ExistingDataset:
    """Events and chunk records of a dataset file written earlier, indexed for merging.

    A sample is identified by its part, the key of its settings (which include the run seed)
    and its chunk size, because chunk k of two samples that differ in any of them contains
    different events. Recorded chunks whose number of events in the compact file differs from
    the recorded ``n_signal_region`` are dropped with a warning. Regenerating such a chunk gives
    the same events again.
    """

    def __init__(self, path, arrays, records):
        self.path = path
        self.arrays = arrays
        self.n_events = len(arrays["part"])
        table = pd.DataFrame({
            name: arrays[name] for name in ("part", "mx", "my", "decay_code", CHUNK_COLUMN)
        })
        rows_by_chunk = table.groupby(list(table.columns), sort=False).indices
        self.chunks = {}  # (part, key, chunk size) -> {chunk index: (statistics, row indices)}

        n_claimed = 0
        for record in records:
            identity, prefix, statistics = _parse_chunk_record(record, path)
            if identity in self.chunks:
                raise InputDataError(
                    f"The provenance file beside {path} has two chunk records of the {identity[0]} "
                    f"sample {identity[1]} with chunk size {identity[2]}. Restore it from version "
                    "control, or move both files away to assemble from the work folder only."
                )
            chunks = self.chunks[identity] = {}
            for index, stats in statistics.items():
                rows = rows_by_chunk.get((*prefix, index), np.empty(0, np.int64))
                if len(rows) != stats["n_signal_region"]:
                    logger.warning(
                        "%s: chunk %d of %s sample %s has %d events but its record gives %d; "
                        "the chunk is treated as missing.",
                        path, index, identity[0], identity[1], len(rows), stats["n_signal_region"],
                    )
                    continue
                chunks[index] = (stats, rows)
                n_claimed += len(rows)
        if n_claimed < self.n_events:
            logger.warning("%s: %d of its %d events belong to no valid chunk record and are "
                           "ignored.", path, self.n_events - n_claimed, self.n_events)

    def recorded_chunks(self, part, sample, chunk_size):
        """Return ``{chunk index: (statistics, row indices)}`` of one sample."""
        return self.chunks.get((part, sample.key(), int(chunk_size)), {})

    def events(self, rows):
        """Return the rows `rows` of the compact file as a table of the compact columns."""
        return pd.DataFrame({column: self.arrays[column][rows] for column in _COMPACT_COLUMNS})


def _read_existing_dataset(data_dir):
    """Read the dataset at `data_dir` for merging; return None when there is nothing to merge.

    A file written before the compact file stored chunk indices cannot be merged, because its
    events cannot be assigned to chunks. This function then logs a warning and returns None.
    """
    path = Path(data_dir) / DATASET_FILENAME
    if not path.exists():
        return None
    provenance_path = Path(data_dir) / PROVENANCE_FILENAME
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    if CHUNK_COLUMN not in arrays or "chunks" not in provenance:
        logger.warning(
            "%s has no chunk indices (it was written by an older sklearn-paws or its provenance "
            "file is missing), so its %d events cannot be merged: only the chunk files in the "
            "work folder count, and assembling replaces the file with them.",
            path, len(arrays.get("part", ())),
        )
        return None
    missing = [column for column in _COMPACT_COLUMNS if column not in arrays]
    if missing:
        raise InputDataError(
            f"The dataset {path} lacks the columns {missing}. Restore it from version control, "
            "or move it away to assemble from the work folder only."
        )
    return _ExistingDataset(path, arrays, provenance["chunks"])


def generate_default_dataset(work_dir, *, plan=None, parts=PARTS, n_jobs=1, progress=True,
                             data_dir=None):
    """Generate the chunks of the default dataset until every target is reached.

    Finished chunks are counted and kept, so the call resumes an interrupted run. A chunk is
    finished when its file is in `work_dir` or when the dataset at `data_dir` records it for
    the same sample settings (run seed included) and chunk size. Recorded chunks count with
    their recorded statistics, so generation resumes even when the work folder was lost. New
    chunks get the indices after the highest finished one. Parts are generated in the order of
    `parts`, and within a part sample after sample. Each sample gets new chunks (``n_jobs`` at a
    time) until it has its target of signal-region events.

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
    data_dir : path-like, default=None
        Folder of the assembled dataset whose recorded chunks count as finished; ``None`` uses
        the copy in the package. A missing dataset, or one written without chunk indices, adds
        no finished chunks.

    Raises
    ------
    ValueError
        If a part name is unknown.
    InputDataError
        If the provenance file at `data_dir` has an invalid chunk record.
    """
    from tqdm.auto import tqdm

    from ._simulate import load_chunk, run_chunks

    plan = plan or DefaultDatasetPlan()
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"Unknown part {part!r}; use some of {PARTS}.")
    work_dir = Path(work_dir)
    existing = _read_existing_dataset(Path(data_dir) if data_dir is not None else DATA_DIR)
    _record_generation_run(work_dir, parts, n_jobs)
    n_workers = max(1, int(n_jobs) if n_jobs > 0 else os.cpu_count() or 1)

    for part in parts:
        samples = _samples(plan, part)
        bar = tqdm(samples, desc=f"default dataset: {part}", unit="sample", disable=not progress)
        for sample, chunk_size, target in bar:
            found = _chunk_files(work_dir / part, sample, chunk_size)
            recorded = {} if existing is None else existing.recorded_chunks(part, sample,
                                                                            chunk_size)
            n_region = sum(load_chunk(path)[1]["n_signal_region"] for path in found.values())
            n_region += sum(
                stats["n_signal_region"] for index, (stats, _) in recorded.items()
                if index not in found
            )
            next_index = max([*found, *recorded], default=-1) + 1
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


def _compact_events(jets, sample, part, chunk_index):
    """Convert the events of one chunk file to the columns and dtypes of the compact file."""
    from ._lhco import compute_paws_features

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
    compact[CHUNK_COLUMN] = np.int32(chunk_index)
    return compact


def _chunk_record(part, sample, chunk_size, statistics):
    """Return the provenance entry of one sample: its identity and its finished chunks."""
    indices = sorted(statistics)
    record = {
        "part": part, "key": sample.key(), "chunk_size": int(chunk_size),
        "mx": int(sample.mx), "my": int(sample.my), "decay_mode": sample.decay_mode,
        "chunk_index": indices,
    }
    for name in _CHUNK_STATISTICS:
        record[name] = [statistics[index][name] for index in indices]
    return record


def _merge_chunks(work_dir, plan, existing):
    """Collect the events of every finished chunk: chunk files first, then the existing dataset.

    Returns the event tables, the counts per part, whether every target is reached and the
    chunk records of the provenance file.
    """
    from ._simulate import load_chunk

    tables, counts, records, complete = [], {}, [], True
    n_from_files = n_copied = n_replaced = 0
    for part in PARTS:
        part_counts = {"n_signal_region": 0, "n_generated": 0, "n_tried": 0, "n_chunks": 0,
                       "samples_complete": 0, "n_samples": 0}
        for sample, chunk_size, target in _samples(plan, part):
            found = _chunk_files(work_dir / part, sample, chunk_size)
            recorded = {} if existing is None else existing.recorded_chunks(part, sample,
                                                                            chunk_size)
            statistics = {}
            for index in sorted({*found, *recorded}):
                # A chunk file wins over the copy in the existing dataset. Both contain the
                # same events because they come from the same seeds, and the file is the original.
                if index in found:
                    jets, stats = load_chunk(found[index])
                    events = _compact_events(jets, sample, part, index) if len(jets) else None
                    n_from_files += stats["n_signal_region"]
                    n_replaced += len(recorded[index][1]) if index in recorded else 0
                else:
                    stats, rows = recorded[index]
                    events = existing.events(rows)
                    n_copied += len(rows)
                statistics[index] = _chunk_statistics(stats)
                if events is not None and len(events):
                    tables.append(events)

            n_region = sum(stats["n_signal_region"] for stats in statistics.values())
            part_counts["n_signal_region"] += n_region
            part_counts["n_generated"] += sum(s["n_generated"] for s in statistics.values())
            part_counts["n_tried"] += sum(s["n_tried"] for s in statistics.values())
            part_counts["n_chunks"] += len(statistics)
            part_counts["n_samples"] += 1
            part_counts["samples_complete"] += int(n_region >= target)
            complete &= n_region >= target
            if statistics:
                records.append(_chunk_record(part, sample, chunk_size, statistics))
        counts[part] = part_counts

    if existing is not None:
        logger.info("Merged %d events of chunk files with %d events copied from %s.",
                    n_from_files, n_copied, existing.path)
        n_dropped = existing.n_events - n_copied - n_replaced
        if n_dropped > 0:
            logger.warning("%d events of %s belong to no chunk of this plan (other seed, settings "
                           "or chunk size) and are left out.", n_dropped, existing.path)
    return tables, counts, complete, records


def _merge_generation_runs(work_dir, data_dir):
    """Return the run log of the existing provenance file, extended by the runs of `work_dir`."""
    runs = []
    provenance_path = data_dir / PROVENANCE_FILENAME
    if provenance_path.exists():
        runs = json.loads(provenance_path.read_text()).get("generation_runs", [])
    log_path = work_dir / RUN_LOG_FILENAME
    if log_path.exists():
        runs += [run for run in json.loads(log_path.read_text()) if run not in runs]
    return runs


def _provenance_json(provenance):
    """Serialise the provenance as indented JSON with one line per chunk record.

    One line per sample keeps the file short: the complete dataset has about 1,400 chunks (an
    estimate from the signal-region fraction of the chunks generated so far).
    """
    head = json.dumps({key: value for key, value in provenance.items() if key != "chunks"},
                      indent=1)
    records = "".join(
        ("\n  " if i == 0 else ",\n  ") + json.dumps(record)
        for i, record in enumerate(provenance["chunks"])
    )
    closing = "\n ]" if records else "]"
    return head.removesuffix("\n}") + ',\n "chunks": [' + records + closing + "\n}\n"


def assemble_default_dataset(work_dir, data_dir=None, *, plan=None, command=None):
    """Build the compact default dataset and its provenance file from the finished chunks.

    The new file contains, for every sample of `plan`, the union of the chunk files in `work_dir`
    and the chunks recorded in the dataset already at `data_dir`. Events of chunks that only the
    existing dataset contains are copied from it, and a chunk file replaces the copy of its chunk,
    so no event is lost or duplicated. A dataset written without chunk indices (by an older
    sklearn-paws) cannot be merged: it is then replaced by the chunk files alone, with a
    warning in the log. Works with any number of finished chunks: the provenance file records
    how many events each part contains, whether the targets are reached and, per sample, the
    finished chunks with their statistics. Both files are written atomically.

    Parameters
    ----------
    work_dir : path-like
        Folder of the chunk files written by :func:`generate_default_dataset`; it may be
        missing or empty.
    data_dir : path-like, default=None
        Output folder, and the folder of the dataset to merge with; ``None`` uses the package
        folder (``sklearn_paws/datasets/data``).
    plan : DefaultDatasetPlan, default=None
        The plan the chunks were made with; ``None`` uses the defaults. Chunks of other
        settings, in the work folder or in the existing dataset, are left out.
    command : str, default=None
        Generation command to record; ``None`` records the command line of this process.

    Returns
    -------
    provenance : dict
        The content of the provenance file.

    Raises
    ------
    InputDataError
        If the provenance file at `data_dir` has an invalid chunk record.
    """
    from ._simulate import pythia_settings

    plan = plan or DefaultDatasetPlan()
    work_dir = Path(work_dir)
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR

    existing = _read_existing_dataset(data_dir)
    tables, counts, complete, records = _merge_chunks(work_dir, plan, existing)
    settings = {}
    for part in PARTS:
        lines = pythia_settings(_samples(plan, part)[0][0], pythia_seed=1)
        settings[part] = [
            "Random:seed = (one per chunk, see 'seeds')" if line.startswith("Random:seed") else line
            for line in lines
        ]

    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        {column: np.empty(0, np.float32) for column in _FLOAT_COLUMNS}
        | {column: np.empty(0, dtype) for column, dtype in _CODE_DTYPES.items()}
    )
    generation_runs = _merge_generation_runs(work_dir, data_dir)
    # NOTE: nothing locks data_dir, so two assemblies into it must not run at the same time.
    # A running generation is safe, because it reads the dataset only when it starts.
    # The compact file is written before the provenance file. A crash in between leaves events
    # without a chunk record, which the next merge ignores, so no event is duplicated.
    arrays = {column: table[column].to_numpy() for column in _COMPACT_COLUMNS}
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
        "seeds": f"run seed {plan.seed} (test part: {plan.seed + _TEST_SEED_OFFSET}); the Pythia and detector seeds of chunk k of a sample "
                 "are sklearn_paws.datasets._simulate.chunk_seeds(run seed, sample stream, k), "
                 "from numpy.random.SeedSequence",
        "generation_runs": generation_runs,
        "assembly_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "versions": _versions(),
        "assembled_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "file": DATASET_FILENAME,
        "chunks": records,
    }
    text = _provenance_json(provenance).encode()
    _write_atomic(data_dir / PROVENANCE_FILENAME, lambda handle: handle.write(text))
    logger.info("Wrote %d events to %s (complete: %s).", len(table), data_dir, complete)
    return json.loads(text)  # the file content, with lists where the plan has tuples


def load_default(data_dir=None):
    """Load the default dataset that ships with sklearn-paws.

    The dataset may be partial (generation is long and continues across sessions): check
    ``dataset.is_complete`` and the counts in ``dataset.provenance["counts"]``. The chunk index
    of each event, which the compact file stores for resuming generation, is not a column of
    the returned tables; ``dataset.provenance["chunks"]`` lists the chunks per sample.

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

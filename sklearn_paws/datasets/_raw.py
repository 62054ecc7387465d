"""The raw particle layout of the LHC Olympics 2020 files, read in chunks and turned into jets.

A raw file is a pandas HDF5 table with one row per event: up to 700 particles as
(pT [GeV], eta, phi) triplets padded with zeros (2,100 columns), then, in the R&D file, the
truth label (2,101 columns). The R&D file contains 1.1 million events (about 18 GB as float64), so
everything here reads row slices and never the whole table.
"""

import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import tables
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ..exceptions import DataQualityWarning, InputDataError
from ._columns import LABEL_COLUMN, LHCO_COLUMNS
from ._jets import check_clustering_parameters, cluster_jets

logger = logging.getLogger(__name__)

N_PARTICLES = 700
N_PARTICLE_COLUMNS = 3 * N_PARTICLES
DEFAULT_CHUNKSIZE = 10_000
OUTPUT_KEY = "df"
INDEX_NAME = "event"

# Errors that PyTables and HDF5 raise for truncated, corrupt or non-HDF5 files.
_READ_ERRORS = (OSError, tables.HDF5ExtError, tables.NoSuchNodeError, KeyError, ValueError)


class _RawFileLayout:
    """Location and storage format of the raw table in one HDF5 file, picklable for workers."""

    def __init__(self, path, key):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"No such file: {self.path!r}")
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"Expected an HDF5 file, got the directory {self.path!r}.")

        try:
            with tables.open_file(self.path, mode="r") as handle:
                self.key = _choose_key(handle, key, self.path)
                group = handle.get_node(self.key)
                pandas_type = _attribute(group, "pandas_type")
                if pandas_type == "frame":
                    self._inspect_fixed(handle, group)
                elif pandas_type == "frame_table":
                    self.is_table = True
                else:
                    raise InputDataError(
                        f"{self.path!r}: the object {self.key!r} is a pandas {pandas_type!r}, "
                        "not a DataFrame; pass key= with the DataFrame of raw particles."
                    )
        except InputDataError:
            raise
        except _READ_ERRORS as error:
            raise _unreadable_error(self.path, error) from error

        if self.is_table:
            self._inspect_table()
        self._check_columns()

    def _inspect_fixed(self, handle, group):
        """Record the blocks of a 'fixed' frame, which pandas cannot read in slices."""
        self.is_table = False
        self.columns = np.asarray(handle.get_node(group, "axis0").read())
        self.n_events = int(handle.get_node(group, "axis1").nrows)
        n_blocks = int(_attribute(group, "nblocks"))

        # Each block stores some columns: its values are (rows, items) when the 'transposed'
        # attribute is set (what pandas writes for 2-D blocks) and (items, rows) otherwise.
        position_of_column = {column: i for i, column in enumerate(self.columns.tolist())}
        self.blocks = []
        for block in range(n_blocks):
            items = handle.get_node(group, f"block{block}_items").read().tolist()
            values = handle.get_node(group, f"block{block}_values")
            transposed = bool(_attribute(values, "transposed", default=False))
            positions = np.array([position_of_column[item] for item in items], dtype=np.int64)
            self.blocks.append((f"block{block}_values", positions, transposed))

    def _inspect_table(self):
        try:
            with pd.HDFStore(self.path, mode="r") as store:
                storer = store.get_storer(self.key)
                self.n_events = int(storer.nrows)
                empty = store.select(self.key, start=0, stop=0)
        except _READ_ERRORS as error:
            raise _unreadable_error(self.path, error) from error
        self.columns = np.asarray(empty.columns)

    def _check_columns(self):
        n_columns = self.columns.size
        if n_columns not in (N_PARTICLE_COLUMNS, N_PARTICLE_COLUMNS + 1):
            raise InputDataError(
                f"{self.path!r} (key {self.key!r}) has {n_columns} columns, but the LHC Olympics "
                f"raw layout has {N_PARTICLE_COLUMNS} ({N_PARTICLES} particles x pT, eta, phi) "
                f"or {N_PARTICLE_COLUMNS + 1} (the same plus the label). A file in the features "
                "layout (pxj1, ..., tau3j2) is read with read_lhco_features instead."
            )
        self.has_label = n_columns == N_PARTICLE_COLUMNS + 1

    def read_rows(self, start, stop):
        """Return the values (float64, rows x columns) and event numbers of rows [start, stop)."""
        try:
            if self.is_table:
                frame = pd.read_hdf(self.path, self.key, start=start, stop=stop)
                values = frame.to_numpy(dtype=np.float64)
                index = frame.index.to_numpy()
            else:
                values, index = self._read_fixed_rows(start, stop)
        except _READ_ERRORS as error:
            raise InputDataError(
                f"Failed to read events {start} to {stop - 1} of {self.path!r} ({error}). The "
                "file is probably truncated or corrupt; download or copy it again."
            ) from error
        return values, index

    def _read_fixed_rows(self, start, stop):
        values = np.empty((stop - start, self.columns.size), dtype=np.float64)
        with tables.open_file(self.path, mode="r") as handle:
            group = handle.get_node(self.key)
            index = handle.get_node(group, "axis1")[start:stop]
            for name, positions, transposed in self.blocks:
                block = handle.get_node(group, name)
                in_order = np.array_equal(positions, np.arange(self.columns.size))
                if transposed and in_order and block.dtype == np.float64:
                    # The usual single float64 block: read straight into the result.
                    block.read(start, stop, out=values)
                elif transposed:
                    values[:, positions] = block[start:stop]
                else:
                    values[:, positions] = block[:, start:stop].T
        return values, np.asarray(index)


def _attribute(node, name, default=None):
    value = getattr(node._v_attrs, name, default)
    if isinstance(value, bytes):
        value = value.decode()
    return value


def _choose_key(handle, key, path):
    """Return the HDF5 path of the pandas frame to read, checking `key` against the file."""
    frames = [
        group._v_pathname
        for group in handle.walk_groups()
        if _attribute(group, "pandas_type") is not None
    ]
    if key is None:
        if len(frames) != 1:
            found = frames or [node._v_pathname for node in handle.root]
            raise InputDataError(
                f"{path!r} contains {len(frames)} pandas objects ({found}); pass key= with the "
                "one that contains the raw particles."
            )
        return frames[0]
    key = key if key.startswith("/") else "/" + key
    if key not in frames:
        raise InputDataError(f"{path!r} has no pandas object with key {key!r}; found {frames}.")
    return key


def _unreadable_error(path, error):
    return InputDataError(
        f"Failed to read {path!r} as a pandas HDF5 file ({type(error).__name__}: {error}). The "
        "file may be truncated, corrupt or in another format; download or copy it again."
    )


def _check_raw_values(values, index, layout, first_row):
    """Raise InputDataError for non-finite values, negative pT or labels other than 0 and 1."""
    particles = values[:, :N_PARTICLE_COLUMNS]
    bad_rows = ~np.isfinite(particles).all(axis=1)
    problem = "a NaN or infinite value"
    if not bad_rows.any():
        bad_rows = (particles[:, 0::3] < 0).any(axis=1)
        problem = "a negative pT"
    if not bad_rows.any() and layout.has_label:
        bad_rows = ~np.isin(values[:, -1], (0.0, 1.0))
        problem = "a label other than 0 or 1"
    if bad_rows.any():
        row = int(np.argmax(bad_rows))
        raise InputDataError(
            f"{layout.path!r}: event {index[row]} (row {first_row + row}) has {problem}. "
            "Repair or remove that event, e.g. with pandas, and convert again."
        )


def _chunk_bounds(n_events, chunksize, start, stop):
    stop = n_events if stop is None else min(int(stop), n_events)
    start = int(start)
    if start < 0 or start > stop:
        raise ValueError(f"start must be between 0 and stop ({stop}), got {start}.")
    return [(first, min(first + chunksize, stop)) for first in range(start, stop, chunksize)]


def _check_chunksize(chunksize):
    is_integer = isinstance(chunksize, (int, np.integer)) and not isinstance(chunksize, bool)
    if not is_integer or chunksize < 1:
        raise ValueError(f"chunksize must be a positive integer, got {chunksize!r}.")
    return int(chunksize)


def read_lhco_raw(path, chunksize=DEFAULT_CHUNKSIZE, *, key=None, start=0, stop=None):
    """Read an LHC Olympics raw particle file in chunks of events.

    Only one chunk is in memory at a time. Files in the pandas 'fixed' HDF5 format, like the
    official ones, are sliced with PyTables, because pandas cannot read part of them.

    Parameters
    ----------
    path : str or path-like
        Pandas HDF5 file with 2,100 columns (700 particles x pT [GeV], eta, phi, zero-padded)
        or 2,101 columns (the same plus the label, 1 = signal).
    chunksize : int, default=10000
        Number of events per chunk. A chunk of 10,000 events takes about 170 MB as float64.
    key : str, default=None
        Key of the DataFrame in the file. ``None`` takes the only pandas object in the file.
    start, stop : int, default=0 and None
        Rows to read, ``stop`` excluded; ``None`` reads to the end of the file.

    Yields
    ------
    chunk : pandas.DataFrame
        At most `chunksize` events with the columns and event numbers (index) of the file, as
        float64.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    InputDataError
        If the file is not readable HDF5 (e.g. truncated), has the wrong number of columns, or
        a chunk has a NaN or infinite value, a negative pT or a label other than 0 and 1. The
        message names the file and the event.
    ValueError
        If `chunksize`, `start` or `stop` is invalid.
    """
    chunksize = _check_chunksize(chunksize)
    layout = _RawFileLayout(path, key)
    for first, last in _chunk_bounds(layout.n_events, chunksize, start, stop):
        values, index = layout.read_rows(first, last)
        _check_raw_values(values, index, layout, first)
        yield pd.DataFrame(values, index=pd.Index(index, name=INDEX_NAME), columns=layout.columns)


def raw_values_to_features(
    values, index, *, has_label, radius=1.0, axes="KT_Axes", beta=1.0, r0=1.0
):
    """Cluster raw-layout rows and return the features of the events with two jets.

    Parameters
    ----------
    values : ndarray of shape (n_events, 2100) or (n_events, 2101)
        Rows of the raw layout; zero-pT particles are skipped wherever they sit.
    index : array-like of shape (n_events,)
        Event numbers, kept as the index of the result.
    has_label : bool
        Whether the last column is the label.
    radius, axes, beta, r0
        Passed to :func:`~sklearn_paws.datasets._jets.cluster_jets`.

    Returns
    -------
    features : pandas.DataFrame
        The LHC Olympics features columns (GeV, jets ordered by pT), plus ``label`` (float64, as
        in the official files) when `has_label`, for the events with at least two jets. The
        index is named ``event``.
    dropped : ndarray
        Event numbers of the events with fewer than two jets.
    """
    particles = values[:, :N_PARTICLE_COLUMNS]
    jets = cluster_jets(
        particles[:, 0::3],
        particles[:, 1::3],
        particles[:, 2::3],
        radius=radius,
        axes=axes,
        beta=beta,
        r0=r0,
        index=pd.Index(index, name=INDEX_NAME),
    )
    features = jets.loc[:, list(LHCO_COLUMNS)]
    if has_label:
        features[LABEL_COLUMN] = values[:, -1]
    two_jets = jets["ptj2"].notna().to_numpy()
    return features.loc[two_jets], np.asarray(index)[~two_jets]


def _convert_chunk(layout, first, last, part_path, clustering):
    """Convert rows [first, last) and write them to `part_path` atomically."""
    values, index = layout.read_rows(first, last)
    _check_raw_values(values, index, layout, first)
    features, dropped = raw_values_to_features(
        values, index, has_label=layout.has_label, **clustering
    )
    _write_hdf_atomically(
        part_path,
        {"features": features, "dropped": pd.Series(dropped, dtype=np.int64, name=INDEX_NAME)},
        format="fixed",
    )
    return last - first


def _write_hdf_atomically(path, objects, format):
    """Write pandas objects to `path` through a temporary file in the same folder."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with pd.HDFStore(temporary, mode="w") as store:
            for key, value in objects.items():
                store.put(key, value, format=format, track_times=False)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _work_manifest(layout, chunksize, start, stop, clustering):
    status = os.stat(layout.path)
    return {
        "input": os.path.abspath(layout.path),
        "input_size": status.st_size,
        "input_mtime_ns": status.st_mtime_ns,
        "key": layout.key,
        "n_events": layout.n_events,
        "chunksize": chunksize,
        "start": start,
        "stop": stop,
        "clustering": clustering,
    }


def _prepare_work_dir(work_dir, manifest):
    """Create the work folder, or check that its finished chunks come from the same settings."""
    manifest_path = work_dir / "manifest.json"
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text())
        if previous != manifest:
            changed = sorted(name for name in manifest if previous.get(name) != manifest[name])
            raise ValueError(
                f"The work folder {str(work_dir)!r} contains chunks of another conversion "
                f"(different {changed}). Delete it, or pass another work_dir, to start over."
            )
        return
    work_dir.mkdir(parents=True, exist_ok=True)
    temporary = manifest_path.with_name(".manifest.json.tmp")
    temporary.write_text(json.dumps(manifest, indent=1))
    os.replace(temporary, manifest_path)


def convert_raw_to_features(
    path,
    output_path,
    *,
    chunksize=DEFAULT_CHUNKSIZE,
    n_jobs=1,
    key=None,
    start=0,
    stop=None,
    work_dir=None,
    keep_work_dir=False,
    overwrite=False,
    radius=1.0,
    axes="KT_Axes",
    beta=1.0,
    r0=1.0,
    progress=True,
):
    """Convert an LHC Olympics raw particle file into a file in the official features layout.

    The input is read in chunks of events; each chunk is clustered into anti-kT jets with
    :func:`~sklearn_paws.datasets._jets.cluster_jets` (the code the simulation uses) and
    written to its own file in `work_dir`. Chunks run in parallel with joblib. An interrupted
    conversion resumes: finished chunk files are kept and skipped when the same call runs again.
    At the end the chunks are copied in order into `output_path`, which appears only when
    complete.

    Parameters
    ----------
    path : str or path-like
        Raw file: pandas HDF5 with 2,100 or 2,101 columns, see :func:`read_lhco_raw`.
    output_path : str or path-like
        Features file to write: pandas HDF5 ('table' format, key ``"df"``), columns
        ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1, tau3j1``, the same for ``j2`` (GeV, jets
        ordered by pT) and ``label`` when the input has it, index ``event`` (the input's event
        numbers). :func:`~sklearn_paws.datasets.read_lhco_features` reads it.
    chunksize : int, default=10000
        Events per chunk. Peak memory grows with ``n_jobs * chunksize``: see
        ``benchmarks/bench_raw.py`` for measured figures.
    n_jobs : int, default=1
        Number of chunks converted at the same time (joblib; -1 uses every core).
    key : str, default=None
        Key of the DataFrame in the input. ``None`` takes the only pandas object in the file.
    start, stop : int, default=0 and None
        Rows of the input to convert, ``stop`` excluded; ``None`` converts to the end.
    work_dir : str or path-like, default=None
        Folder for the finished chunks. ``None`` uses ``<output_path>.parts`` beside the output.
    keep_work_dir : bool, default=False
        Keep the chunk files after the output is written.
    overwrite : bool, default=False
        Replace `output_path` if it exists.
    radius, axes, beta, r0
        Jet radius and N-subjettiness settings, passed to
        :func:`~sklearn_paws.datasets._jets.cluster_jets`. The defaults are anti-kT R = 1.0 and
        normalised tau_N with beta = 1, R0 = 1.0 and exclusive-kT axes.
    progress : bool, default=True
        Show a progress bar in events.

    Returns
    -------
    summary : dict
        ``output_path`` (str), ``n_events`` (events read), ``n_written`` (events in the output),
        ``n_dropped`` (events with fewer than two jets) and ``dropped_events`` (their event
        numbers, as an int64 array).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    FileExistsError
        If `output_path` exists and `overwrite` is False.
    InputDataError
        If the input is unreadable or truncated, has the wrong number of columns, or an event
        has a NaN or infinite value, a negative pT or a label other than 0 and 1. The message
        names the file and the event. Events with fewer than two jets are not an error: they are
        dropped with a :class:`~sklearn_paws.exceptions.DataQualityWarning` and counted, unless
        no event has two jets.
    ValueError
        If an argument is invalid, or `work_dir` contains chunks of a conversion with other
        settings.
    """
    chunksize = _check_chunksize(chunksize)
    check_clustering_parameters(radius, beta, r0, axes)
    output_path = Path(output_path)
    if output_path.exists() and not overwrite:
        raise FileExistsError(
            f"{str(output_path)!r} already exists; pass overwrite=True (--overwrite) to replace it."
        )

    layout = _RawFileLayout(path, key)
    bounds = _chunk_bounds(layout.n_events, chunksize, start, stop)
    clustering = {"radius": float(radius), "axes": axes, "beta": float(beta), "r0": float(r0)}
    work_dir = Path(work_dir) if work_dir is not None else output_path.with_name(
        output_path.name + ".parts"
    )
    manifest = _work_manifest(layout, chunksize, start, stop, clustering)
    _prepare_work_dir(work_dir, manifest)

    # Convert the chunks that have no finished file yet.
    part_paths = [work_dir / f"chunk-{first:010d}-{last:010d}.h5" for first, last in bounds]
    todo = [(bound, part) for bound, part in zip(bounds, part_paths) if not part.exists()]
    n_total = sum(last - first for first, last in bounds)
    n_done = n_total - sum(last - first for (first, last), _ in todo)
    if n_done:
        logger.info(
            "Resuming %s: %d of %d events already converted in %s", path, n_done, n_total, work_dir
        )
    tasks = (
        delayed(_convert_chunk)(layout, first, last, part, clustering)
        for (first, last), part in todo
    )
    with tqdm(
        total=n_total, initial=n_done, unit="event", desc="convert-raw", disable=not progress
    ) as bar:
        for n_converted in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks):
            bar.update(n_converted)

    # Concatenate the chunks in input order into the output, then report the dropped events.
    dropped = _merge_parts(part_paths, output_path, path)
    n_dropped = int(dropped.size)
    if n_dropped:
        message = (
            f"{n_dropped} of {n_total} events of {str(path)!r} have fewer than two jets and were "
            f"dropped (first event numbers: {dropped[:10].tolist()})."
        )
        logger.warning(message)
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    if not keep_work_dir:
        shutil.rmtree(work_dir)
    return {
        "output_path": str(output_path),
        "n_events": n_total,
        "n_written": n_total - n_dropped,
        "n_dropped": n_dropped,
        "dropped_events": dropped,
    }


def _merge_parts(part_paths, output_path, source):
    """Append the chunk files to a temporary output, move it into place, return dropped events."""
    temporary = output_path.with_name(f".{output_path.name}.{os.getpid()}.tmp")
    dropped = []
    n_written = 0
    try:
        with pd.HDFStore(temporary, mode="w") as store:
            for part in part_paths:
                with pd.HDFStore(part, mode="r") as chunk:
                    features = chunk["features"]
                    dropped.append(chunk["dropped"].to_numpy())
                if len(features):
                    store.append(OUTPUT_KEY, features, format="table", index=False)
                    n_written += len(features)
        if n_written == 0:
            raise InputDataError(
                f"No event of {str(source)!r} has two jets, so there is nothing to write. Check "
                "that the file contains (pT, eta, phi) triplets with pT in GeV."
            )
        os.replace(temporary, output_path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return np.concatenate(dropped) if dropped else np.empty(0, dtype=np.int64)

"""A results store that survives interruption: one JSON file per finished cell."""

import json
import logging
import os
import secrets
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)


def _create_temporary(path):
    """Create an empty, uniquely named temporary file beside ``path`` and return its path.

    Unlike ``tempfile.mkstemp``, which makes the file readable by its owner only, the file gets
    the permissions that open() gives under the process umask, so colleagues can read shared
    results where the umask allows it.
    """
    for _ in range(100):
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.partial"
        try:
            descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return temporary
    raise FileExistsError(f"Could not create a temporary file beside {path}; remove stale "
                          f".{path.name}.*.partial files there.")


def write_atomic(path, write):
    """Write a file so that readers see either the old file or the complete new one.

    Parameters
    ----------
    path : str or Path
        Destination.
    write : callable
        ``write(temporary_path)`` writes the content to the temporary path given.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _create_temporary(path)
    try:
        write(str(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ResultsStore:
    """Finished study cells, one JSON file each, under ``directory/cells``.

    A rerun skips every cell whose file exists, so an interrupted study resumes where it stopped.

    Parameters
    ----------
    directory : str or Path
        Output folder of the study.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.cell_directory = self.directory / "cells"

    def _path(self, key):
        return self.cell_directory / f"{key}.json"

    def has(self, key):
        """Return whether the cell ``key`` is finished, i.e. its file exists and is readable.

        An unreadable file (e.g. damaged outside this program) is removed, so the cell runs again.
        """
        path = self._path(key)
        if not path.exists():
            return False
        try:
            json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            logger.warning("Result file %s is unreadable; removing it so that the cell runs again.", path)
            path.unlink()
            return False
        return True

    def save(self, key, rows):
        """Store the result rows (a list of dicts) of the cell ``key``."""

        def write(temporary):
            with open(temporary, "w") as stream:
                json.dump(rows, stream, indent=1)

        write_atomic(self._path(key), write)

    def load(self, keys=None):
        """Return the stored rows as one DataFrame (empty when nothing is stored).

        Parameters
        ----------
        keys : iterable of str, optional
            Cells to load; None loads every stored cell. Keys without a file are skipped.
        """
        if keys is None:
            paths = sorted(self.cell_directory.glob("*.json"))
        else:
            paths = [path for path in map(self._path, keys) if path.exists()]
        rows = []
        for path in paths:
            try:
                rows.extend(json.loads(path.read_text()))
            except json.JSONDecodeError:
                logger.warning("Ignoring unreadable result file %s; rerun to recompute it.", path)
        return pd.DataFrame(rows)

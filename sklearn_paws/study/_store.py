"""A results store that survives interruption: one JSON file per finished cell."""

import json
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)


def _new_file_mode():
    """Return the permission bits of a file newly created by open() under the current umask."""
    # os.umask can only be read by setting it, so it is set and restored at once.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


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
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        write(temporary)
        # mkstemp creates the file readable by its owner only. Colleagues should be able to read
        # shared results, so the file gets the permissions that open() gives under the umask.
        os.chmod(temporary, _new_file_mode())
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

    def load(self):
        """Return every stored row as one DataFrame (empty when nothing is stored)."""
        rows = []
        for path in sorted(self.cell_directory.glob("*.json")):
            try:
                rows.extend(json.loads(path.read_text()))
            except json.JSONDecodeError:
                logger.warning("Ignoring unreadable result file %s; rerun to recompute it.", path)
        return pd.DataFrame(rows)

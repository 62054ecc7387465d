"""The ``sklearn-paws`` command line.

Each subcommand lives in its own module of this package and provides ``register(subparsers)``, which
adds its parser and sets ``func`` to the function that runs it.
"""

import argparse
import importlib
import logging
import sys
import warnings

from .._version import __version__

# Modules of this package that define subcommands, in the order ``--help`` lists them.
_COMMAND_MODULES = ("demo", "run", "simulate", "convert_raw")


def _parse(text, convert, accept, expected):
    """Return ``convert(text)``, or raise the argparse error naming ``expected`` when it fails ``accept``."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return value


def positive_int(text):
    """Parse a command-line value that must be a positive integer (argparse ``type``)."""
    return _parse(text, int, lambda value: value >= 1, "a positive integer")


def seed(text):
    """Parse a random seed, an integer from 0 to 2**32 - 1 as numpy accepts (argparse ``type``)."""
    return _parse(text, int, lambda value: 0 <= value < 2**32, "a seed from 0 to 4294967295")


def positive_float(text):
    """Parse a command-line value that must be a positive finite number (argparse ``type``)."""
    return _parse(text, float, lambda value: 0 < value < float("inf"), "a positive finite number")


def check_output_folder(path):
    """Raise NotADirectoryError when the ``--output`` folder ``path`` exists as a file."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"--output {path} exists and is not a folder; choose a folder.")


def build_parser():
    """Build the argument parser with every available subcommand.

    Returns
    -------
    parser : argparse.ArgumentParser
        The top-level parser.
    """
    parser = argparse.ArgumentParser(
        prog="sklearn-paws",
        description="Prior-Assisted Weak Supervision (PAWS) for resonant anomaly detection.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-paws {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v: info, -vv: debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv=None):
    """Run the ``sklearn-paws`` command line and return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name. ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on invalid input, 1 on other errors.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2

    from ..exceptions import InputDataError

    # Warnings print as "Category: message", without the line of package source that Python
    # shows by default; -vv keeps the default.
    original_format = warnings.formatwarning
    if args.verbose < 2:
        warnings.formatwarning = _format_warning
    try:
        return int(args.func(args) or 0)
    except (InputDataError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
            ValueError) as error:
        # Invalid input or arguments: the message states the fix, and -vv logs the traceback.
        logging.getLogger(__name__).debug("Traceback of the error:", exc_info=True)
        print(f"sklearn-paws {args.command}: error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        # A missing optional extra: the message names the pip command that installs it.
        logging.getLogger(__name__).debug("Traceback of the error:", exc_info=True)
        print(f"sklearn-paws {args.command}: error: {error}", file=sys.stderr)
        return 1
    finally:
        warnings.formatwarning = original_format


def _format_warning(message, category, filename, lineno, line=None):
    return f"{category.__name__}: {message}\n"


if __name__ == "__main__":
    sys.exit(main())

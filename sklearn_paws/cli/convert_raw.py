"""The ``sklearn-paws convert-raw`` subcommand: LHC Olympics raw particles to jet features."""

import sys


def register(subparsers):
    """Add the ``convert-raw`` parser to the subcommands.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "convert-raw",
        help="cluster a raw LHC Olympics particle file into the official features layout",
        description=(
            "Cluster the particles of an LHC Olympics raw file (pandas HDF5, 700 x (pT, eta, phi) "
            "per event, plus the label in the R&D file) into anti-kT R=1.0 jets and write the two "
            "leading jets in the official features layout (pxj1, ..., tau3j2, label; GeV). The "
            "input is read in chunks; finished chunks are kept in a work folder, so running the "
            "same command again after an interruption resumes where it stopped."
        ),
    )
    parser.add_argument("input", help="raw particle file (pandas HDF5, 2100 or 2101 columns)")
    parser.add_argument("output", help="features file to write (pandas HDF5, key 'df')")
    parser.add_argument(
        "--chunksize",
        type=int,
        default=10_000,
        help="events per chunk; each running chunk needs about 60 MB plus 20 MB per 1,000 events "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "-j",
        "--n-jobs",
        type=int,
        default=1,
        help="chunks converted in parallel, -1 for every core (default: %(default)s)",
    )
    parser.add_argument("--key", default=None, help="key of the DataFrame in the input file")
    parser.add_argument(
        "--start", type=int, default=0, help="first event (row) to convert (default: 0)"
    )
    parser.add_argument(
        "--stop", type=int, default=None, help="row to stop before (default: end of file)"
    )
    parser.add_argument(
        "--work-dir",
        default=None,
        help="folder for finished chunks (default: OUTPUT.parts beside the output)",
    )
    parser.add_argument(
        "--keep-work-dir",
        action="store_true",
        help="keep the chunk files after the output is written",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    parser.add_argument(
        "--axes",
        default="KT_Axes",
        help="N-subjettiness axes of fjcontrib, e.g. KT_Axes or OnePass_KT_Axes "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="do not show the progress bar"
    )
    parser.set_defaults(func=run)


def run(args):
    """Convert the raw file named in `args` and print a one-line summary.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of ``convert-raw``.

    Returns
    -------
    status : int
        0 on success, 2 when an argument is invalid, e.g. the output exists and ``--overwrite``
        was not given. Invalid input data raises InputDataError, which ``sklearn-paws`` turns
        into status 2 with the message.
    """
    from ..datasets._raw import convert_raw_to_features
    from ..exceptions import InputDataError

    try:
        summary = convert_raw_to_features(
            args.input,
            args.output,
            chunksize=args.chunksize,
            n_jobs=args.n_jobs,
            key=args.key,
            start=args.start,
            stop=args.stop,
            work_dir=args.work_dir,
            keep_work_dir=args.keep_work_dir,
            overwrite=args.overwrite,
            axes=args.axes,
            progress=not args.no_progress,
        )
    except InputDataError:
        raise
    except (FileExistsError, ValueError) as error:
        print(f"sklearn-paws convert-raw: error: {error}", file=sys.stderr)
        return 2
    print(
        f"Wrote {summary['n_written']} of {summary['n_events']} events to {summary['output_path']} "
        f"({summary['n_dropped']} dropped with fewer than two jets)."
    )
    return 0

"""``sklearn-paws simulate``: generate background, signal or the default dataset."""

import itertools
import logging
import os
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

GRID_MASSES = tuple(range(50, 601, 50))


def register(subparsers):
    """Add the ``simulate`` subcommand and its ``background``, ``signal`` and ``default`` modes.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The subparsers of the ``sklearn-paws`` parser.
    """
    parser = subparsers.add_parser(
        "simulate",
        help="generate LHC Olympics-like events with Pythia 8 and FastJet",
        description="Generate QCD background or W' -> X Y signal in the LHC Olympics features "
        "layout (GeV), or the default dataset of the package. Needs the 'simulate' extra.",
    )
    modes = parser.add_subparsers(dest="mode", metavar="MODE", required=True)

    background = modes.add_parser("background", help="QCD dijet background")
    _add_common(background)
    background.add_argument("--pthat-min", type=float, default=None,
                            help="PhaseSpace:pTHatMin in GeV (default: the faithful cut)")
    background.add_argument("--mhat-min", type=float, default=None,
                            help="PhaseSpace:mHatMin in GeV (default: the faithful cut)")
    background.add_argument("--mhat-max", type=float, default=None,
                            help="PhaseSpace:mHatMax in GeV (default: no upper limit)")
    background.add_argument("--prefilter-pt-min", type=float, default=None,
                            help="minimum parton-level SlowJet leading-jet pT in GeV; 0 disables")
    background.add_argument("--prefilter-mjj-min", type=float, default=None,
                            help="minimum parton-level SlowJet dijet mass in GeV; 0 disables")
    background.set_defaults(func=_run_background)

    signal = modes.add_parser("signal", help="W' -> X Y signal, one point or a grid")
    _add_common(signal)
    signal.add_argument("--mx", type=float, nargs="+", default=[500.0],
                        help="m_X values in GeV (50 to 600); all (m_X, m_Y) pairs are generated")
    signal.add_argument("--my", type=float, nargs="+", default=[100.0],
                        help="m_Y values in GeV (50 to 600)")
    signal.add_argument("--grid", action="store_true",
                        help="use the 12 x 12 grid 50, 100, ..., 600 GeV for m_X and m_Y")
    signal.add_argument("--decay-mode", choices=("qq", "qqq"), default="qq",
                        help="Y decay: two prongs (qq) or three prongs (qqq)")
    signal.set_defaults(func=_run_signal)

    default = modes.add_parser(
        "default",
        help="generate (resumable) and assemble the default dataset of the package",
        description="Generate the chunks of the default dataset into --work-dir, then merge them "
        "into the dataset in --output-dir (default: the package copy). Chunks that the dataset "
        "already records count as finished, so generation resumes even when the work folder "
        "was lost, and assembling keeps the events of those chunks.",
    )
    default.add_argument("--work-dir", type=Path, required=True,
                         help="folder of the chunk files; a rerun resumes from them and from the "
                         "chunks recorded in the dataset of --output-dir")
    default.add_argument("--parts", nargs="+", choices=("grid", "test", "background"),
                         default=["grid", "test", "background"],
                         help="parts to generate, in this order")
    default.add_argument("--n-jobs", type=int, default=1, help="worker processes")
    default.add_argument("--assemble-only", action="store_true",
                         help="only merge the chunk files of --work-dir into the dataset, "
                         "without generating")
    default.add_argument("--output-dir", type=Path, default=None,
                         help="folder of the dataset to resume from, merge with and write "
                         "(default: the package copy)")
    default.add_argument("--no-progress", action="store_true", help="hide progress bars")
    default.set_defaults(func=_run_default)


def _add_common(parser):
    parser.add_argument("--n-events", type=int, required=True,
                        help="events to generate (after the prefilter), before the selection")
    parser.add_argument("--output", type=Path, required=True,
                        help="HDF5 file to write (pandas, key 'df', LHC Olympics layout)")
    parser.add_argument("--selection", choices=("trigger", "signal_region", "all"),
                        default="trigger", help="which events to keep")
    parser.add_argument("--no-detector", action="store_true",
                        help="cluster generator-level particles, without detector emulation")
    parser.add_argument("--seed", type=int, default=0, help="run seed")
    parser.add_argument("--chunk-size", type=int, default=2000, help="events per chunk")
    parser.add_argument("--chunk-dir", type=Path, default=None,
                        help="folder for chunk files, so an interrupted run resumes")
    parser.add_argument("--n-jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _common_kwargs(args):
    return dict(
        detector=None if args.no_detector else "default",
        selection=args.selection,
        chunk_size=args.chunk_size,
        random_state=args.seed,
        n_jobs=args.n_jobs,
        chunk_dir=args.chunk_dir,
        progress=not args.no_progress,
    )


def _write_hdf(table, path):
    """Write `table` to an HDF5 file atomically (temporary file in the same folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(descriptor)
    try:
        table = table.copy()
        for column in table.columns:
            if not (table[column].dtype.kind in "biuf"):
                table[column] = table[column].astype(object)
        table.to_hdf(temporary, key="df", mode="w", format="table")
        os.chmod(temporary, 0o644)  # mkstemp creates files readable by the owner only
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    print(f"Wrote {len(table)} events to {path}")


def _run_background(args):
    from ..datasets import _simulate

    cuts = {
        "pthat_min": args.pthat_min, "mhat_min": args.mhat_min,
        "prefilter_pt_min": args.prefilter_pt_min, "prefilter_mjj_min": args.prefilter_mjj_min,
    }
    kwargs = {name: value for name, value in cuts.items() if value is not None}
    table = _simulate.simulate_background(
        args.n_events, mhat_max=args.mhat_max, **kwargs, **_common_kwargs(args)
    )
    _write_hdf(table, args.output)
    return 0


def _run_signal(args):
    import pandas as pd

    from ..datasets import _simulate

    mx_values = GRID_MASSES if args.grid else args.mx
    my_values = GRID_MASSES if args.grid else args.my
    tables = []
    for mx, my in itertools.product(mx_values, my_values):
        tables.append(
            _simulate.simulate_signal(mx, my, args.decay_mode, args.n_events,
                                      **_common_kwargs(args))
        )
    _write_hdf(pd.concat(tables, ignore_index=True), args.output)
    return 0


def _run_default(args):
    from ..datasets import _default

    if not args.assemble_only:
        _default.generate_default_dataset(
            args.work_dir, parts=args.parts, n_jobs=args.n_jobs, progress=not args.no_progress,
            data_dir=args.output_dir,
        )
    provenance = _default.assemble_default_dataset(args.work_dir, args.output_dir)
    n_events = provenance["n_events"]
    print(
        f"Default dataset: {n_events['background']} background, {n_events['grid']} grid signal, "
        f"{n_events['test']} test signal events (complete: {provenance['complete']})."
    )
    return 0

"""Generate LHC Olympics-like dijet events with Pythia 8, a detector emulation and FastJet.

Background is QCD dijet production at 13 TeV, signal is W'(3.5 TeV) -> X Y with X -> qq and
Y -> qq (two-prong) or Y -> qqq (three-prong). Multiparton interactions are off and
hadronisation is on, as in the LHC Olympics R&D sample. Each event goes through
:class:`~sklearn_paws.datasets._detector.DetectorEmulation` (unless switched off), is clustered into
anti-kT R = 1.0 jets by :func:`~sklearn_paws.datasets._jets.cluster_jets`, and must pass the
single-jet trigger (leading-jet pT > 1.2 TeV). The output is the official LHC Olympics features
layout (GeV, jets ordered by pT).

Events are made in chunks. Chunk k of a run with seed s gets the Pythia seed and the detector
seed derived from (s, sample, k), so a result depends only on the seed and the settings, never on
the number of processes. With ``chunk_dir`` every finished chunk is written to its own file
(atomically), and a later call with the same settings reads it back instead of generating it
again, so a killed run resumes where it stopped.
"""

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import import_optional
from ._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    LABEL_COLUMN,
    LHCO_COLUMNS,
    THETA_COLUMNS,
    TWO_PRONG,
)
from ._detector import DetectorEmulation

logger = logging.getLogger(__name__)

COLLISION_ENERGY = 13000.0  # GeV
TRIGGER_PT_MIN = 1200.0  # GeV, leading-jet pT of the LHC Olympics single-jet trigger
SIGNAL_REGION_MJJ = (3300.0, 3700.0)  # GeV, the m_JJ window of the LHC Olympics signal region
WPRIME_MASS = 3500.0  # GeV
SIGNAL_MASS_RANGE = (50.0, 600.0)  # GeV, allowed m_X and m_Y

# Generator-level cuts of the background. Together they lose 3.3 +- 0.8 % of the signal-region QCD
# events of a loose reference run (pTHatMin = 600 GeV, no mHat cut; 551 signal-region events),
# measured by benchmarks/study_generator_cuts.py and documented in docs/simulation.md.
# NOTE: the reference run had no jet-level smearing (jet_energy_resolution=0); the 2 % default
# moves events across the m_JJ edges and may change the loss by a few tenths of a percent.
DEFAULT_PTHAT_MIN = 700.0  # GeV
DEFAULT_MHAT_MIN = 2200.0  # GeV
DEFAULT_PREFILTER_PT_MIN = 1050.0  # GeV, parton-level leading SlowJet pT
DEFAULT_PREFILTER_MJJ_MIN = 2800.0  # GeV, parton-level SlowJet dijet mass

# Columns added to the LHC Olympics layout.
JET_PT_COLUMNS = ("ptj1", "ptj2")
GENERATOR_COLUMNS = ("pthat", "mhat", "prefilter_pt", "prefilter_mjj")

# Pythia accepts seeds 1 .. 900,000,000.
_MAX_PYTHIA_SEED = 900_000_000
_CHUNK_FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class _Sample:
    """Everything that defines the events of one run, except the chunk index."""

    process: str  # "background" or "signal"
    pthat_min: float = 0.0
    mhat_min: float = 0.0
    mhat_max: float = -1.0  # Pythia convention: negative = no upper limit
    prefilter_pt_min: float = 0.0
    prefilter_mjj_min: float = 0.0
    record_prefilter: bool = False
    mx: float = 0.0
    my: float = 0.0
    decay_mode: str = ""
    detector: tuple = ()  # sorted (name, value) pairs of DetectorEmulation without random_state
    selection: str = "trigger"
    seed: int = 0

    def key(self):
        """Return a short hash that names the chunk files of this sample."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def stream(self):
        """Return the integers that separate the random streams of different samples."""
        if self.process == "background":
            return (0,)
        mode = DECAY_MODES.index(self.decay_mode) + 1
        return (mode, int(round(self.mx * 1000)), int(round(self.my * 1000)))


def pythia_settings(sample, pythia_seed):
    """Return the Pythia 8 settings (``readString`` lines) of a sample.

    Parameters
    ----------
    sample : _Sample
        The process and its generator-level cuts.
    pythia_seed : int
        Seed for ``Random:seed``, 1 to 900,000,000.

    Returns
    -------
    settings : list of str
        One ``readString`` line per setting.
    """
    settings = [
        f"Beams:eCM = {COLLISION_ENERGY}",
        "PartonLevel:MPI = off",
        "HadronLevel:all = on",
        "Random:setSeed = on",
        f"Random:seed = {pythia_seed}",
        "Next:numberCount = 0",
        "Print:quiet = on",
    ]
    if sample.process == "background":
        settings += [
            "HardQCD:all = on",
            f"PhaseSpace:pTHatMin = {sample.pthat_min}",
            f"PhaseSpace:mHatMin = {sample.mhat_min}",
            f"PhaseSpace:mHatMax = {sample.mhat_max}",
        ]
        return settings

    # W' -> W(m_X) Z(m_Y): X is a re-massed W and Y a re-massed Z, so charge is conserved. The tiny
    # vector coupling to quarks keeps the W' narrow.
    settings += [
        "NewGaugeBoson:ffbar2Wprime = on",
        f"34:m0 = {WPRIME_MASS}",
        "Wprime:vq = 1e-7",
        "Wprime:aq = 0",
        "Wprime:vl = 0",
        "Wprime:al = 0",
        "Wprime:coup2WZ = 1",
        "34:onMode = off",
        "34:onIfAll = 23 24",
        f"24:m0 = {sample.mx}",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4",
        f"23:m0 = {sample.my}",
    ]
    if sample.decay_mode == TWO_PRONG:
        settings += ["23:onMode = off", "23:onIfAny = 1 2 3 4"]
    else:
        # Y -> u d d through a junction: a baryon-number-violating toy decay with three prongs.
        settings += ["23:oneChannel = 1 1.0 100 2 1 1"]
    return settings


def chunk_seeds(seed, stream, chunk_index):
    """Derive the Pythia seed and the detector seed of one chunk.

    Parameters
    ----------
    seed : int
        Seed of the run (``random_state``).
    stream : tuple of int
        Identifier of the sample, so that background and each signal point get independent
        random numbers from the same run seed.
    chunk_index : int
        Position of the chunk in the run.

    Returns
    -------
    pythia_seed : int
        Value for ``Random:seed``, in 1 .. 900,000,000.
    detector_seed : int
        Seed of the detector emulation of the chunk.
    """
    sequence = np.random.SeedSequence(entropy=int(seed), spawn_key=(*stream, int(chunk_index)))
    state = sequence.generate_state(2, dtype=np.uint64)
    return int(state[0] % _MAX_PYTHIA_SEED) + 1, int(state[1])


def _make_prefilter_hook(pythia8mc, pt_min, mjj_min, record):
    """Build a Pythia user hook that vetoes events by parton-level SlowJet jets.

    After the parton shower and before hadronisation, the hook clusters the visible partons with
    SlowJet (anti-kT R = 1.0, jets with pT > 20 GeV and |eta| < 4, FastJet core) and vetoes the
    event when the leading jet pT is below `pt_min` or the mass of the two leading jets is
    below `mjj_min`. Pythia then generates a new event, so vetoed events cost no hadronisation
    and no clustering. With `record`, the hook stores the two values of every accepted call.
    """

    class PrefilterHook(pythia8mc.UserHooks):
        def __init__(self):
            super().__init__()
            self.slow_jet = pythia8mc.SlowJet(-1, 1.0, 20.0, 4.0, 2, 2, None, True)
            self.n_calls = 0
            self.n_vetoed = 0
            self.records = []

        def canVetoPartonLevel(self):
            return True

        def doVetoPartonLevel(self, event):
            self.n_calls += 1
            self.slow_jet.analyze(event)
            n_jets = self.slow_jet.sizeJet()
            leading_pt = self.slow_jet.pT(0) if n_jets > 0 else 0.0
            mjj = (self.slow_jet.p(0) + self.slow_jet.p(1)).mCalc() if n_jets > 1 else 0.0
            veto = leading_pt < pt_min or mjj < mjj_min
            if veto:
                self.n_vetoed += 1
            if record:
                # Entries 5 and 6 are the outgoing partons of the hard process: they give pTHat
                # and mHat of vetoed events too, and the px of entry 5 identifies an accepted
                # event in the returned batch.
                hard_mass = (event[5].p() + event[6].p()).mCalc()
                self.records.append(
                    (event[5].px(), event[5].pT(), hard_mass, leading_pt, mjj, float(veto))
                )
            return veto

    return PrefilterHook()


def _match_records(records, batch_px5):
    """Align hook records with the returned events through the px of event-record entry 5."""
    records = [record for record in records if not record[5]]
    out = np.full((batch_px5.size, 2), np.nan)
    position = 0
    for i, px5 in enumerate(batch_px5):
        while position < len(records) and records[position][0] != px5:
            position += 1
        if position == len(records):
            logger.warning("Could not match %d prefilter records to events.", batch_px5.size - i)
            break
        out[i] = records[position][3:5]
        position += 1
    return out


def _generate_chunk(sample, chunk_index, n_events):
    """Generate one chunk; return its event table and its statistics."""
    pythia8mc = import_optional("pythia8mc")
    ak = import_optional("awkward")
    from ._jets import cluster_jets

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    pythia_seed, detector_seed = chunk_seeds(sample.seed, sample.stream(), chunk_index)
    pythia = pythia8mc.Pythia("", False)
    for line in pythia_settings(sample, pythia_seed):
        if not pythia.readString(line):
            raise RuntimeError(f"Pythia rejected the setting {line!r}.")
    use_hook = (
        sample.prefilter_pt_min > 0 or sample.prefilter_mjj_min > 0 or sample.record_prefilter
    )
    hook = None
    if use_hook:
        hook = _make_prefilter_hook(
            pythia8mc, sample.prefilter_pt_min, sample.prefilter_mjj_min, sample.record_prefilter
        )
        pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise RuntimeError(f"Pythia initialisation failed for {sample}.")

    # Generate; nextBatch returns the whole event records as awkward arrays.
    batch = pythia.nextBatch(int(n_events), "skip")
    n_generated = len(batch)
    particles = batch.prt
    all_counts = ak.to_numpy(ak.num(particles, axis=1)).astype(np.int64)
    event = np.repeat(np.arange(n_generated), all_counts)
    status = ak.to_numpy(ak.flatten(particles.status))
    pdg_id = ak.to_numpy(ak.flatten(particles.id)).astype(np.int64)
    final = (status > 0) & ~np.isin(np.abs(pdg_id), (12, 14, 16))
    momenta = particles.p
    px, py, pz, energy = (
        ak.to_numpy(ak.flatten(getattr(momenta, axis)))[final] for axis in ("px", "py", "pz", "e")
    )
    pdg_id = pdg_id[final]
    counts = np.bincount(event[final], minlength=n_generated)
    unique_ids, inverse = np.unique(pdg_id, return_inverse=True)
    charges = np.array([pythia.particleData.charge(int(i)) for i in unique_ids])
    charge = charges[inverse]

    # Detector emulation (or generator-level particles), then clustering.
    if sample.detector:
        detector = DetectorEmulation(**dict(sample.detector), random_state=detector_seed)
        pt, eta, phi, object_counts = detector.apply(px, py, pz, energy, pdg_id, charge, counts)
        jets = cluster_jets(
            ak.unflatten(pt, object_counts), ak.unflatten(eta, object_counts),
            ak.unflatten(phi, object_counts),
        )
        jets = detector.smear_jets(jets)
    else:
        pt = np.hypot(px, py)
        keep = pt > 0
        eta = np.where(keep, np.arcsinh(pz / np.where(keep, pt, 1.0)), 0.0)
        phi = np.arctan2(py, px)
        mass = np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0.0))
        jets = cluster_jets(*(ak.unflatten(a, counts) for a in (pt, eta, phi, mass)))

    # Generator information and the selection.
    jets["pthat"] = np.sqrt(ak.to_numpy(batch.info.pT2Hat))
    jets["mhat"] = ak.to_numpy(batch.info.mHat)
    if sample.record_prefilter and hook is not None:
        values = _match_records(hook.records, ak.to_numpy(particles.p.px[:, 5]))
        vetoed = np.array([record[1:5] for record in hook.records if record[5]]).reshape(-1, 4)
    else:
        values = np.full((n_generated, 2), np.nan)
        vetoed = np.empty((0, 4))
    jets["prefilter_pt"] = values[:, 0]
    jets["prefilter_mjj"] = values[:, 1]
    mjj = dijet_mass(jets)
    triggered = (jets["ptj1"] > TRIGGER_PT_MIN).to_numpy() & np.isfinite(mjj)
    in_region = triggered & (mjj > SIGNAL_REGION_MJJ[0]) & (mjj < SIGNAL_REGION_MJJ[1])
    keep = {"all": np.ones(n_generated, bool), "trigger": triggered, "signal_region": in_region}
    jets = jets.loc[keep[sample.selection]].reset_index(drop=True)

    stats = {
        "chunk_index": int(chunk_index),
        "pythia_seed": pythia_seed,
        "detector_seed": detector_seed,
        "n_requested": int(n_events),
        "n_generated": int(n_generated),
        "n_tried": int(hook.n_calls) if hook is not None else int(n_generated),
        "n_trigger": int(triggered.sum()),
        "n_signal_region": int(in_region.sum()),
        "sigma_gen_mb": float(pythia.infoPython().sigmaGen()),
        "wall_seconds": time.perf_counter() - start_wall,
        "cpu_seconds": time.process_time() - start_cpu,
    }
    # pTHat, mHat and the prefilter values of the vetoed events, for the study of the cuts.
    stats["vetoed"] = vetoed
    return jets, stats


def dijet_mass(jets):
    """Compute the invariant mass of the two leading jets of an LHC Olympics-layout table.

    Parameters
    ----------
    jets : pandas.DataFrame
        Table with ``pxj1, pyj1, pzj1, mj1`` and the same for ``j2`` (GeV).

    Returns
    -------
    mjj : ndarray of shape (n_events,)
        m_JJ in GeV; NaN where a jet is missing.
    """
    px = jets["pxj1"].to_numpy() + jets["pxj2"].to_numpy()
    py = jets["pyj1"].to_numpy() + jets["pyj2"].to_numpy()
    pz = jets["pzj1"].to_numpy() + jets["pzj2"].to_numpy()
    energy = np.zeros(len(jets))
    for jet in (1, 2):
        p2 = sum(jets[f"p{axis}j{jet}"].to_numpy() ** 2 for axis in "xyz")
        energy = energy + np.sqrt(p2 + jets[f"mj{jet}"].to_numpy() ** 2)
    return np.sqrt(np.maximum(energy**2 - px**2 - py**2 - pz**2, 0.0))


def _chunk_path(chunk_dir, sample, chunk_index, n_events):
    tag = "bkg" if sample.process == "background" else (
        f"sig_{sample.decay_mode}_{int(sample.mx)}_{int(sample.my)}"
    )
    return Path(chunk_dir) / f"{tag}_{sample.key()}_n{int(n_events)}_{int(chunk_index):05d}.npz"


def _save_chunk(path, jets, stats, sample):
    """Write a chunk to `path` atomically: a temporary file in the same folder, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"col_{name}": jets[name].to_numpy(dtype=np.float64) for name in jets.columns}
    arrays["stats"] = np.array(json.dumps({k: v for k, v in stats.items() if k != "vetoed"}))
    arrays["sample"] = np.array(json.dumps(dataclasses.asdict(sample), default=str))
    arrays["format_version"] = np.array(_CHUNK_FORMAT_VERSION)
    arrays["vetoed"] = np.asarray(stats.get("vetoed", np.empty((0, 4))), dtype=np.float64)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp creates files readable by the owner only
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_chunk(path):
    """Read a chunk file written by the simulation.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` chunk file.

    Returns
    -------
    jets : pandas.DataFrame
        The events of the chunk (LHC Olympics layout plus jet pT and generator columns).
    stats : dict
        Seeds, event counts and timing of the chunk; ``stats["vetoed"]`` is an array of
        (pTHat, mHat, prefilter pT, prefilter m_JJ) per vetoed event when they were recorded.
    """
    with np.load(path, allow_pickle=False) as data:
        columns = {key[4:]: data[key] for key in data.files if key.startswith("col_")}
        stats = json.loads(str(data["stats"]))
        stats["vetoed"] = data["vetoed"] if "vetoed" in data.files else np.empty((0, 4))
    return pd.DataFrame(columns), stats


def _run_chunk(sample, chunk_index, n_events, chunk_dir):
    """Generate one chunk, or read it back from `chunk_dir` when it is already there."""
    path = None if chunk_dir is None else _chunk_path(chunk_dir, sample, chunk_index, n_events)
    if path is not None and path.exists():
        return load_chunk(path)
    jets, stats = _generate_chunk(sample, chunk_index, n_events)
    if path is not None:
        _save_chunk(path, jets, stats, sample)
    return jets, stats


def run_chunks(sample, chunk_indices, chunk_sizes, *, chunk_dir=None, n_jobs=1, progress=True,
               description="simulate"):
    """Generate (or read back) chunks of a sample in parallel, in a fixed order.

    Parameters
    ----------
    sample : _Sample
        What to generate.
    chunk_indices : sequence of int
        Indices of the chunks (they fix the seeds).
    chunk_sizes : sequence of int
        Number of events to generate in each chunk.
    chunk_dir : path-like, default=None
        Folder of chunk files; ``None`` keeps everything in memory.
    n_jobs : int, default=1
        Number of joblib worker processes.
    progress : bool, default=True
        Show a tqdm progress bar over chunks.
    description : str, default="simulate"
        Label of the progress bar.

    Returns
    -------
    results : list of (pandas.DataFrame, dict)
        Events and statistics of each chunk, in the order of `chunk_indices`.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    tasks = [
        delayed(_run_chunk)(sample, index, size, chunk_dir)
        for index, size in zip(chunk_indices, chunk_sizes)
    ]
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    results = []
    with tqdm(total=len(tasks), desc=description, unit="chunk", disable=not progress) as bar:
        for result in parallel(tasks):
            results.append(result)
            bar.update(1)
    return results


def _detector_params(detector):
    if detector is None or detector is False:
        return ()
    if detector is True or detector == "default":
        detector = DetectorEmulation()
    if not isinstance(detector, DetectorEmulation):
        raise TypeError(
            "detector must be a DetectorEmulation, 'default' or None, "
            f"got {type(detector).__name__}."
        )
    params = detector.get_params()
    params.pop("random_state")
    return tuple(sorted(params.items()))


def _check_common(n_events, chunk_size, random_state, selection, n_jobs):
    if int(n_events) < 1:
        raise ValueError(f"n_events must be a positive integer, got {n_events!r}.")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    if selection not in ("all", "trigger", "signal_region"):
        raise ValueError(
            f"selection must be 'all', 'trigger' or 'signal_region', got {selection!r}."
        )
    if int(n_jobs) == 0:
        raise ValueError("n_jobs must be a non-zero integer (negative counts from all cores).")
    if random_state is None:
        random_state = int(np.random.SeedSequence().generate_state(1)[0])
        logger.info("No random_state given; using the seed %d.", random_state)
    if not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ValueError(
            f"random_state must be a non-negative integer or None, got {random_state!r}; chunk "
            "seeds are derived from it."
        )
    return int(random_state)


def _assemble(sample, n_events, chunk_size, chunk_dir, n_jobs, progress, description,
              generator_info):
    n_chunks = math.ceil(int(n_events) / int(chunk_size))
    sizes = [min(chunk_size, n_events - k * chunk_size) for k in range(n_chunks)]
    results = run_chunks(sample, range(n_chunks), sizes, chunk_dir=chunk_dir, n_jobs=n_jobs,
                         progress=progress, description=description)
    frames = [jets for jets, _ in results]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not generator_info:
        table = table.drop(columns=[c for c in GENERATOR_COLUMNS if c in table.columns])
    n_generated = sum(stats["n_generated"] for _, stats in results)
    n_tried = sum(stats["n_tried"] for _, stats in results)
    table.attrs["n_generated"] = n_generated
    table.attrs["n_tried"] = n_tried
    table.attrs["random_state"] = sample.seed
    logger.info("%s: %d events kept of %d generated (%d before the prefilter).",
                description, len(table), n_generated, n_tried)
    return table


def simulate_background(
    n_events,
    *,
    pthat_min=DEFAULT_PTHAT_MIN,
    mhat_min=DEFAULT_MHAT_MIN,
    mhat_max=None,
    prefilter_pt_min=DEFAULT_PREFILTER_PT_MIN,
    prefilter_mjj_min=DEFAULT_PREFILTER_MJJ_MIN,
    detector="default",
    selection="trigger",
    chunk_size=2000,
    random_state=None,
    n_jobs=1,
    chunk_dir=None,
    generator_info=False,
    progress=True,
):
    """Generate QCD dijet events at 13 TeV in the LHC Olympics features layout.

    Parameters
    ----------
    n_events : int
        Number of events to generate after the prefilter; the returned table has fewer rows
        because of `selection`.
    pthat_min : float, default=700
        ``PhaseSpace:pTHatMin`` in GeV. Together with the defaults of `mhat_min` and the
        prefilter, it loses 3.3 +- 0.8 % of the signal-region events of a loose reference run
        (docs/simulation.md gives the measured losses of other cuts).
    mhat_min : float, default=2200
        ``PhaseSpace:mHatMin`` in GeV.
    mhat_max : float or None, default=None
        ``PhaseSpace:mHatMax`` in GeV; ``None`` sets no upper limit.
    prefilter_pt_min : float, default=1050
        Minimum pT (GeV) of the leading parton-level SlowJet jet. Events below it are vetoed
        before hadronisation. 0 switches this cut off.
    prefilter_mjj_min : float, default=2800
        Minimum mass (GeV) of the two leading parton-level SlowJet jets. 0 switches it off.
    detector : DetectorEmulation, "default" or None, default="default"
        Detector emulation applied before clustering; ``None`` clusters the generator-level
        particles (with their masses). Its ``random_state`` is ignored, because each chunk gets
        its own seed.
    selection : {"trigger", "signal_region", "all"}, default="trigger"
        Which events to return: those passing the trigger (leading-jet pT > 1.2 TeV), those in
        the signal region as well (3.3 < m_JJ < 3.7 TeV), or all.
    chunk_size : int, default=2000
        Events per chunk. The result depends on it through the chunk seeds.
    random_state : int or None, default=None
        Seed of the run. ``None`` draws one (and logs it).
    n_jobs : int, default=1
        Number of worker processes (joblib).
    chunk_dir : path-like or None, default=None
        Folder where each chunk is written as it finishes; a rerun reads finished chunks back.
    generator_info : bool, default=False
        Also return ``pthat``, ``mhat`` (GeV) and, where recorded, the prefilter values.
    progress : bool, default=True
        Show a progress bar.

    Returns
    -------
    events : pandas.DataFrame
        Columns ``pxj1 ... tau3j2`` (LHC Olympics layout, GeV, j1 = leading in pT), ``label``
        (0), then ``ptj1, ptj2``. ``events.attrs`` holds ``n_generated`` and ``n_tried`` (events
        before the prefilter).

    Raises
    ------
    ValueError
        If an argument is out of range.
    ImportError
        If pythia8mc, fastjet or awkward is missing.
    """
    seed = _check_common(n_events, chunk_size, random_state, selection, n_jobs)
    for name, value in (("pthat_min", pthat_min), ("mhat_min", mhat_min),
                        ("prefilter_pt_min", prefilter_pt_min),
                        ("prefilter_mjj_min", prefilter_mjj_min)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0 (GeV), got {value!r}.")
    if mhat_max is not None and mhat_max <= mhat_min:
        raise ValueError(f"mhat_max={mhat_max!r} must be larger than mhat_min={mhat_min!r}.")
    sample = _Sample(
        process="background",
        pthat_min=float(pthat_min),
        mhat_min=float(mhat_min),
        mhat_max=-1.0 if mhat_max is None else float(mhat_max),
        prefilter_pt_min=float(prefilter_pt_min),
        prefilter_mjj_min=float(prefilter_mjj_min),
        record_prefilter=bool(generator_info),
        detector=_detector_params(detector),
        selection=selection,
        seed=seed,
    )
    table = _assemble(sample, int(n_events), int(chunk_size), chunk_dir, n_jobs, progress,
                      "background", generator_info)
    return _finish_table(table, label=0)


def simulate_signal(
    mx,
    my,
    decay_mode=TWO_PRONG,
    n_events=1000,
    *,
    detector="default",
    selection="trigger",
    chunk_size=2000,
    random_state=None,
    n_jobs=1,
    chunk_dir=None,
    generator_info=False,
    progress=True,
):
    """Generate W'(3.5 TeV) -> X Y signal events in the LHC Olympics features layout.

    X decays to two light quarks. Y decays to two light quarks (``"qq"``) or to three
    (``"qqq"``: u d d through a junction, a toy decay that gives a three-prong jet).

    Parameters
    ----------
    mx, my : float
        Masses of X and Y in GeV, each within [50, 600].
    decay_mode : {"qq", "qqq"}, default="qq"
        Decay of Y.
    n_events : int, default=1000
        Number of events to generate; the returned table has fewer because of `selection`.
    detector, selection, chunk_size, random_state, n_jobs, chunk_dir, generator_info, progress
        As in :func:`simulate_background`.

    Returns
    -------
    events : pandas.DataFrame
        The LHC Olympics columns, ``label`` (1), ``ptj1, ptj2``, ``mx``, ``my`` (GeV) and
        ``decay_mode``.

    Raises
    ------
    ValueError
        If a mass is outside [50, 600] GeV, the decay mode is unknown or another argument is
        out of range.
    ImportError
        If pythia8mc, fastjet or awkward is missing.
    """
    seed = _check_common(n_events, chunk_size, random_state, selection, n_jobs)
    for name, value in (("mx", mx), ("my", my)):
        if not SIGNAL_MASS_RANGE[0] <= value <= SIGNAL_MASS_RANGE[1]:
            raise ValueError(
                f"{name}={value!r} GeV is outside the supported range {SIGNAL_MASS_RANGE} GeV."
            )
    if decay_mode not in DECAY_MODES:
        raise ValueError(f"decay_mode must be one of {DECAY_MODES}, got {decay_mode!r}.")
    sample = _Sample(
        process="signal",
        mx=float(mx),
        my=float(my),
        decay_mode=decay_mode,
        detector=_detector_params(detector),
        selection=selection,
        seed=seed,
    )
    table = _assemble(sample, int(n_events), int(chunk_size), chunk_dir, n_jobs, progress,
                      f"signal {decay_mode} ({mx:g}, {my:g})", generator_info)
    table = _finish_table(table, label=1)
    table[THETA_COLUMNS[0]] = float(mx)
    table[THETA_COLUMNS[1]] = float(my)
    table[DECAY_MODE_COLUMN] = decay_mode
    return table


def _finish_table(table, label):
    """Order the columns as the LHC Olympics layout, with the label, then the extra columns."""
    table[LABEL_COLUMN] = np.full(len(table), label, dtype=np.int64)
    extra = [c for c in (*JET_PT_COLUMNS, *GENERATOR_COLUMNS) if c in table.columns]
    return table[[*LHCO_COLUMNS, LABEL_COLUMN, *extra]]


__all__ = [
    "chunk_seeds",
    "dijet_mass",
    "load_chunk",
    "pythia_settings",
    "run_chunks",
    "simulate_background",
    "simulate_signal",
]

"""A fast parametric detector emulation for generator-level events.

Jets built from generator-level particles have a sharper substructure than the LHC Olympics
events, which went through Delphes 3 with a CMS-like card. :class:`DetectorEmulation` mimics the
three effects that matter most for R = 1.0 jet masses and N-subjettiness: tracker resolution,
calorimeter resolution and, above all, the calorimeter tower granularity, which merges the two
prongs of a light boosted resonance (a 100 GeV particle at pT = 1.7 TeV has its prongs about 0.12
apart in (eta, phi), little more than one tower).
"""

import dataclasses
import logging

import numpy as np

logger = logging.getLogger(__name__)

# Absolute PDG ids of the particles that leave no signal in the detector (neutrinos).
INVISIBLE_PDG_IDS = (12, 14, 16)
PHOTON_PDG_ID = 22


@dataclasses.dataclass
class DetectorEmulation:
    """Parametric tracker and calorimeter response applied to final-state particles.

    Every visible final-state particle (all but neutrinos) is turned into one of two kinds of
    massless detector objects:

    1. A track, for charged particles with ``|eta| < tracker_eta_max`` and
       ``pT > track_pt_min``: the direction is kept and pT is smeared by a Gaussian of relative
       width ``track_resolution_constant (+) track_resolution_slope * pT`` (added in quadrature).
    2. A calorimeter tower, for every other particle: photons get the electromagnetic resolution
       ``sigma(E)^2 = (ecal_constant E)^2 + ecal_stochastic^2 E + ecal_noise^2`` and all other
       particles the hadronic one (``hcal_*``, same form), with E in GeV. The smeared energies
       are summed over cells of ``tower_size`` x ``tower_size`` in (eta, phi) up to
       ``|eta| < calorimeter_eta_max``; each cell with a summed energy above
       ``tower_energy_min`` becomes a massless object at the centre of the cell.

    Optionally, after clustering, :meth:`smear_jets` multiplies each jet four-momentum by a
    Gaussian factor of width ``jet_energy_resolution``, which widens the jet pT and m_JJ
    resolution as the remaining (unmodelled) detector effects do.

    The default values follow the CMS card of Delphes 3 in spirit, simplified: constant
    efficiencies of 1, one tower size for both calorimeters.

    Parameters
    ----------
    tracker_eta_max : float, default=2.5
        Pseudorapidity acceptance of the tracker.
    track_pt_min : float, default=0.5
        Minimum pT (GeV) of a charged particle to become a track. Softer charged particles go to
        the calorimeter.
    track_resolution_constant : float, default=0.01
        Constant term of the relative track pT resolution.
    track_resolution_slope : float, default=1.5e-4
        Term of the relative track pT resolution proportional to pT, in 1/GeV.
    ecal_constant, ecal_stochastic, ecal_noise : float, default=(0.007, 0.07, 0.35)
        Constant (relative), stochastic (GeV^1/2) and noise (GeV) terms of the
        electromagnetic calorimeter resolution, applied to photons.
    hcal_constant, hcal_stochastic, hcal_noise : float, default=(0.05, 1.5, 0.0)
        The same terms of the hadronic calorimeter resolution, applied to every other particle
        that is not a track.
    tower_size : float, default=0.087
        Width of a calorimeter cell in pseudorapidity and in azimuth. The number of cells is
        rounded so that they tile ``[-calorimeter_eta_max, calorimeter_eta_max]`` and
        ``[-pi, pi]`` exactly.
    calorimeter_eta_max : float, default=5.0
        Pseudorapidity acceptance of the calorimeter. Particles beyond it are lost.
    tower_energy_min : float, default=1.0
        Minimum summed energy (GeV) of a cell to become a tower.
    jet_energy_resolution : float, default=0.02
        Relative width of the Gaussian jet energy scale factor applied by :meth:`smear_jets`;
        0 disables it. With 0.02, 1,500 simulated W'(3.5 TeV) -> X(500) Y(100) signal events
        have a 16-84 % m_JJ range (triggered events) of 3.30 to 3.61 TeV and 77 % of them in the
        signal region, against 3.32 to 3.65 TeV and 77 % in the LHC Olympics R&D sample
        (without it: 3.32 to 3.59 TeV and 78 %).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the smearing. The same seed gives the same output for the same input.
    """

    tracker_eta_max: float = 2.5
    track_pt_min: float = 0.5
    track_resolution_constant: float = 0.01
    track_resolution_slope: float = 1.5e-4
    ecal_constant: float = 0.007
    ecal_stochastic: float = 0.07
    ecal_noise: float = 0.35
    hcal_constant: float = 0.05
    hcal_stochastic: float = 1.5
    hcal_noise: float = 0.0
    tower_size: float = 0.087
    calorimeter_eta_max: float = 5.0
    tower_energy_min: float = 1.0
    jet_energy_resolution: float = 0.02
    random_state: object = None

    def __post_init__(self):
        self._rng = None

    def get_params(self):
        """Return the parameters of the emulation.

        Returns
        -------
        params : dict
            Field name -> value, ``random_state`` included.
        """
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def _check_parameters(self):
        for field in dataclasses.fields(self):
            if field.name == "random_state":
                continue
            value = getattr(self, field.name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(
                    f"DetectorEmulation.{field.name} must be a finite number >= 0, got {value!r}."
                )
        for name in ("tower_size", "calorimeter_eta_max"):
            if getattr(self, name) <= 0:
                raise ValueError(
                    f"DetectorEmulation.{name} must be positive, got {getattr(self, name)!r}."
                )

    def _generator(self):
        if self._rng is None:
            self._rng = np.random.default_rng(self.random_state)
        return self._rng

    def apply(self, px, py, pz, energy, pdg_id, charge, counts):
        """Turn the final-state particles of a batch of events into tracks and towers.

        Parameters
        ----------
        px, py, pz, energy : ndarray of shape (n_particles,)
            Four-momenta (GeV) of the final-state particles of all events, event after event.
        pdg_id : ndarray of shape (n_particles,)
            PDG particle ids.
        charge : ndarray of shape (n_particles,)
            Electric charges in units of e.
        counts : ndarray of shape (n_events,)
            Number of particles of each event; the sum must be n_particles.

        Returns
        -------
        pt, eta, phi : ndarray of shape (n_objects,)
            Massless detector objects (tracks, then towers within each event).
        object_counts : ndarray of shape (n_events,)
            Number of objects of each event.

        Raises
        ------
        ValueError
            If a parameter is negative or not finite, or the array lengths disagree.
        """
        self._check_parameters()
        counts = np.asarray(counts, dtype=np.int64)
        arrays = [np.asarray(a, dtype=np.float64) for a in (px, py, pz, energy, charge)]
        px, py, pz, energy, charge = arrays
        pdg_id = np.abs(np.asarray(pdg_id, dtype=np.int64))
        n_particles = int(counts.sum())
        for name, values in (("px", px), ("pdg_id", pdg_id), ("charge", charge)):
            if values.shape != (n_particles,):
                raise ValueError(
                    f"{name} has shape {values.shape} but counts add up to {n_particles} "
                    "particles; pass one value per particle."
                )
        rng = self._generator()
        n_events = counts.size
        event = np.repeat(np.arange(n_events), counts)

        # Kinematics of the generator-level particles; invisible ones are dropped.
        visible = ~np.isin(pdg_id, INVISIBLE_PDG_IDS)
        pt = np.hypot(px, py)
        visible &= pt > 0
        px, py, pz, energy, charge, pdg_id, event, pt = (
            a[visible] for a in (px, py, pz, energy, charge, pdg_id, event, pt)
        )
        eta = np.arcsinh(pz / pt)
        phi = np.arctan2(py, px)

        # Tracks: charged particles inside the tracker, with a smeared pT.
        is_track = (charge != 0) & (np.abs(eta) < self.tracker_eta_max) & (pt > self.track_pt_min)
        track_pt = pt[is_track]
        relative_sigma = np.hypot(
            self.track_resolution_constant, self.track_resolution_slope * track_pt
        )
        track_pt = track_pt * (1.0 + relative_sigma * rng.standard_normal(track_pt.size))
        track_ok = track_pt > 0
        track_event = event[is_track][track_ok]
        track_pt = track_pt[track_ok]
        track_eta = eta[is_track][track_ok]
        track_phi = phi[is_track][track_ok]

        # Calorimeter: smear the energy of every other particle, then sum per cell.
        in_calo = ~is_track & (np.abs(eta) < self.calorimeter_eta_max)
        calo_energy = energy[in_calo]
        is_photon = pdg_id[in_calo] == PHOTON_PDG_ID
        sigma = np.where(
            is_photon,
            _resolution(calo_energy, self.ecal_constant, self.ecal_stochastic, self.ecal_noise),
            _resolution(calo_energy, self.hcal_constant, self.hcal_stochastic, self.hcal_noise),
        )
        calo_energy = np.maximum(calo_energy + sigma * rng.standard_normal(calo_energy.size), 0.0)
        tower_event, tower_pt, tower_eta, tower_phi = self._towers(
            event[in_calo], eta[in_calo], phi[in_calo], calo_energy, n_events
        )

        # Merge tracks and towers, ordered by event.
        all_event = np.concatenate([track_event, tower_event])
        order = np.argsort(all_event, kind="stable")
        out_pt = np.concatenate([track_pt, tower_pt])[order]
        out_eta = np.concatenate([track_eta, tower_eta])[order]
        out_phi = np.concatenate([track_phi, tower_phi])[order]
        object_counts = np.bincount(all_event, minlength=n_events)
        return out_pt, out_eta, out_phi, object_counts

    def _towers(self, event, eta, phi, energy, n_events):
        """Sum energies into (eta, phi) cells and return one massless object per filled cell."""
        n_eta = max(1, int(round(2 * self.calorimeter_eta_max / self.tower_size)))
        n_phi = max(1, int(round(2 * np.pi / self.tower_size)))
        eta_width = 2 * self.calorimeter_eta_max / n_eta
        phi_width = 2 * np.pi / n_phi
        i_eta = ((eta + self.calorimeter_eta_max) / eta_width).astype(np.int64)
        i_eta = np.clip(i_eta, 0, n_eta - 1)
        i_phi = np.clip(((phi + np.pi) / phi_width).astype(np.int64), 0, n_phi - 1)
        cell = (event * n_eta + i_eta) * n_phi + i_phi

        cells, inverse = np.unique(cell, return_inverse=True)
        summed = np.bincount(inverse, weights=energy, minlength=cells.size)
        keep = summed > self.tower_energy_min
        cells, summed = cells[keep], summed[keep]

        tower_event = cells // (n_eta * n_phi)
        tower_eta = -self.calorimeter_eta_max + ((cells // n_phi) % n_eta + 0.5) * eta_width
        tower_phi = -np.pi + (cells % n_phi + 0.5) * phi_width
        tower_pt = summed / np.cosh(tower_eta)
        return tower_event, tower_pt, tower_eta, tower_phi

    def smear_jets(self, jets):
        """Scale each jet four-momentum by a Gaussian factor of width ``jet_energy_resolution``.

        Parameters
        ----------
        jets : pandas.DataFrame
            Two leading jets in the LHC Olympics layout (``pxj1 ... mj2``) with ``ptj1`` and
            ``ptj2``, as returned by ``cluster_jets``. N-subjettiness ratios are unaffected by
            a common scale factor and are kept.

        Returns
        -------
        jets : pandas.DataFrame
            A copy with scaled momenta and masses, its jets re-ordered so that j1 has the
            higher pT.
        """
        self._check_parameters()
        jets = jets.copy()
        if self.jet_energy_resolution == 0 or len(jets) == 0:
            return jets
        rng = self._generator()
        for jet in (1, 2):
            factor = np.maximum(
                1.0 + self.jet_energy_resolution * rng.standard_normal(len(jets)), 0.0
            )
            for quantity in ("px", "py", "pz", "m", "pt"):
                jets[f"{quantity}j{jet}"] = jets[f"{quantity}j{jet}"].to_numpy() * factor

        # A scale factor can swap the pT order of the two jets.
        swap = (jets["ptj2"] > jets["ptj1"]).to_numpy()
        if swap.any():
            quantities = ("px", "py", "pz", "m", "tau1", "tau2", "tau3", "pt")
            first = jets.loc[swap, [f"{q}j1" for q in quantities]].to_numpy()
            second = jets.loc[swap, [f"{q}j2" for q in quantities]].to_numpy()
            jets.loc[swap, [f"{q}j1" for q in quantities]] = second
            jets.loc[swap, [f"{q}j2" for q in quantities]] = first
        return jets


def _resolution(energy, constant, stochastic, noise):
    """Return sigma(E) = sqrt((constant E)^2 + stochastic^2 E + noise^2) in GeV."""
    return np.sqrt((constant * energy) ** 2 + stochastic**2 * energy + noise**2)

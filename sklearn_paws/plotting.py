"""Figures of the PAWS study: SIC versus mu, fitted parameters versus mu, and the loss landscape.

Every function takes the results table of the study (or a loss landscape) and returns a matplotlib
Figure. matplotlib and mplhep come with the ``plot`` extra.
"""

import numpy as np

from ._optional import import_optional

# Line colour and label of each method, in the order of the legends.
METHOD_STYLES = {
    "supervised": ("black", "Fully supervised (true point)"),
    "paws": ("tab:red", "PAWS"),
    "weak": ("tab:blue", "Weak supervision (NN)"),
    "hgb": ("tab:green", "Weak supervision (HGB ensemble)"),
}
QUANTILES = (0.16, 0.5, 0.84)


def _pyplot():
    matplotlib = import_optional("matplotlib")
    matplotlib.use("Agg", force=False)
    plt = import_optional("matplotlib.pyplot")
    mplhep = import_optional("mplhep")
    mplhep.style.use("ROOT")
    return plt


def _band(frame, column):
    grouped = frame.groupby("mu")[column].quantile(list(QUANTILES)).unstack()
    return grouped.index.to_numpy(), grouped.to_numpy().T


def _figure_and_axes(ax, figsize):
    """Return (figure, axes): a new figure of ``figsize`` when ``ax`` is None, else ax's figure."""
    if ax is None:
        return _pyplot().subplots(figsize=figsize)
    return ax.figure, ax


def _rows_at(results, mass_point):
    return results[(results["mx_true"] == mass_point[0]) & (results["my_true"] == mass_point[1])]


def _mass_label(mass_point):
    return rf"$(m_X, m_Y) = ({mass_point[0]:.0f}, {mass_point[1]:.0f})$ GeV"


def plot_sic_vs_mu(results, mass_point, *, ax=None):
    """Plot SIC at the study's background efficiency against the injected mu, per method.

    Lines are the median over realisations and bands the 16-84 % quantiles. Runs with noise
    features are dashed. The top axis shows the injected significance S/sqrt(B) of the training data.

    Parameters
    ----------
    results : pandas.DataFrame
        The study's results table.
    mass_point : tuple of float
        (m_X, m_Y) in GeV to plot.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    figure : matplotlib Figure
    """
    plt = _pyplot()
    figure, ax = _figure_and_axes(ax, (13, 7))
    cell = _rows_at(results, mass_point)
    for method, (colour, label) in METHOD_STYLES.items():
        for noise, linestyle in zip(sorted(cell["noise_features"].unique()), ("-", "--", ":")):
            rows = cell[(cell["method"] == method) & (cell["noise_features"] == noise)]
            rows = rows.dropna(subset=["sic"])
            if rows.empty:
                continue
            mu, (low, median, high) = _band(rows, "sic")
            suffix = f" + {noise} noise" if noise else ""
            ax.plot(mu, median, color=colour, linestyle=linestyle, label=label + suffix)
            if not noise:
                ax.fill_between(mu, low, high, color=colour, alpha=0.2, linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel(r"Injected $\mu = S/(S+B)$")
    ax.set_ylabel(r"SIC at $\varepsilon_B$ = " + f"{results['background_efficiency'].iloc[0]:g}")
    ax.set_title(_mass_label(mass_point), fontsize="medium")
    # Outside the axes, because the curves fill the lower right where a legend would sit.
    ax.legend(fontsize=11, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)

    counts = cell["n_background_data"].dropna() if "n_background_data" in cell else []
    n_background = float(np.median(counts)) if len(counts) else 0.0
    if n_background > 0:
        def to_significance(mu):
            mu = np.clip(mu, 1e-12, 0.999)
            return mu / (1.0 - mu) * np.sqrt(n_background)

        def to_mu(significance):
            ratio = np.asarray(significance) / np.sqrt(n_background)
            return ratio / (1.0 + ratio)

        top = ax.secondary_xaxis("top", functions=(to_significance, to_mu))
        # The scanned mu often spans less than a decade of S/sqrt(B), so ticks at 1, 2 and 5
        # times each power of ten are labelled, not the powers alone.
        ticker = import_optional("matplotlib.ticker")
        top.xaxis.set_major_locator(ticker.LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
        top.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        top.xaxis.set_minor_formatter(plt.NullFormatter())
        top.set_xlabel("S/√B in the training data", fontsize="small")
    figure.tight_layout()
    return figure


def plot_parameters_vs_mu(results, mass_point, *, method="paws"):
    """Plot the fitted m_X, m_Y, mu and alpha against the injected mu, with the truth dashed.

    Parameters
    ----------
    results : pandas.DataFrame
        The study's results table.
    mass_point : tuple of float
        (m_X, m_Y) in GeV to plot.
    method : str, default="paws"
        Method whose fitted parameters are drawn.

    Returns
    -------
    figure : matplotlib Figure
    """
    plt = _pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(16, 7))
    cell = _rows_at(results, mass_point)
    cell = cell[cell["method"] == method]
    panels = (
        (axes[0], (("mx_fit", r"$m_X$", "tab:red"), ("my_fit", r"$m_Y$", "tab:blue")), "Mass [GeV]"),
        (axes[1], (("mu_fit", r"$\mu$", "tab:purple"),), r"Fitted $\mu$"),
        (axes[2], (("alpha_fit", r"$\alpha$", "tab:orange"),), r"Fitted $\alpha$"),
    )
    for ax, columns, ylabel in panels:
        for noise, linestyle in zip(sorted(cell["noise_features"].unique()), ("-", "--", ":")):
            rows = cell[cell["noise_features"] == noise]
            for column, label, colour in columns:
                valid = rows.dropna(subset=[column])
                if valid.empty:
                    continue
                mu, (low, median, high) = _band(valid, column)
                suffix = f" ({noise} noise)" if noise else ""
                ax.plot(mu, median, color=colour, linestyle=linestyle, label=label + suffix)
                ax.fill_between(mu, low, high, color=colour, alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_xlabel(r"Injected $\mu$")
        ax.set_ylabel(ylabel)
    axes[0].axhline(mass_point[0], color="tab:red", linestyle=":", linewidth=1)
    axes[0].axhline(mass_point[1], color="tab:blue", linestyle=":", linewidth=1)
    mu_range = np.array(sorted(cell["mu"].unique())) if len(cell) else np.array([1e-3, 1e-1])
    axes[1].plot(mu_range, mu_range, color="grey", linestyle=":", linewidth=1, label="truth")
    axes[1].set_yscale("log")
    if len(cell):
        axes[2].axhline(cell["alpha_true"].iloc[0], color="grey", linestyle=":", linewidth=1)
    axes[2].set_ylim(-0.05, 1.05)
    for ax in axes:
        # Below the panels, because the curves can cross any corner inside them.
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2,
                  frameon=False)
    figure.suptitle(f"{method.upper()} fitted parameters, {_mass_label(mass_point)}", fontsize="medium")
    figure.tight_layout()
    return figure


def plot_loss_landscape(landscape, *, ax=None, truth=None, title=None):
    """Plot a weakly supervised loss landscape over (m_X, m_Y).

    Parameters
    ----------
    landscape : pandas.DataFrame
        Columns ``mx``, ``my`` (GeV) and ``scaled_loss`` = (loss - log 2) x 1e5, as
        :meth:`PAWSClassifier.loss_landscape` returns, or ``loss`` when there is no ``scaled_loss``.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.
    truth : tuple of float, default=None
        True (m_X, m_Y), marked with a star.
    title : str, default=None
        Axes title.

    Returns
    -------
    figure : matplotlib Figure
    """
    figure, ax = _figure_and_axes(ax, (7, 6))
    value = "scaled_loss" if "scaled_loss" in landscape else "loss"
    table = landscape.pivot(index="my", columns="mx", values=value)
    mesh = ax.pcolormesh(table.columns, table.index, table.to_numpy(), shading="nearest", cmap="viridis")
    figure.colorbar(mesh, ax=ax, label=r"$(L - \log 2) \times 10^5$")
    best = landscape.loc[landscape[value].idxmin()]
    ax.plot(best["mx"], best["my"], marker="x", color="white", markersize=10, label="minimum")
    if truth is not None:
        ax.plot(truth[0], truth[1], marker="*", color="red", markersize=14, linestyle="", label="truth")
    ax.set_xlabel(r"$m_X$ [GeV]")
    ax.set_ylabel(r"$m_Y$ [GeV]")
    if title:
        ax.set_title(title, fontsize="small")
    ax.legend(fontsize="x-small", loc="upper right")
    figure.tight_layout()
    return figure

"""Tables, figures and the Markdown report of a finished study."""

import json
import logging
import platform
from pathlib import Path

import numpy as np

from ._methods import BACKGROUND_EFFICIENCY, LOOSE_BACKGROUND_EFFICIENCY
from ._store import write_atomic

logger = logging.getLogger(__name__)


def summarise(results):
    """Return the median and 16-84 % band of every quantity over realisations.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per cell and realisation.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (mass point, method, noise, mu).
    """
    keys = ["mx_true", "my_true", "method", "noise_features", "mu"]
    quantities = [name for name in ("sic", "sic_loose", "mx_fit", "my_fit", "mu_fit", "alpha_fit",
                                    "s_over_b") if name in results]
    grouped = results.groupby(keys)
    summary = grouped[quantities].median().add_suffix("_median")
    for quantile, suffix in ((0.16, "_q16"), (0.84, "_q84")):
        summary = summary.join(grouped[quantities].quantile(quantile).add_suffix(suffix))
    summary["n_realisations"] = grouped.size()
    return summary.reset_index()


def write_tables(results, output_dir):
    """Write the per-realisation table and the summary as CSV and JSON; return their paths."""
    output_dir = Path(output_dir)
    summary = summarise(results)
    paths = []
    for name, table in (("results", results), ("summary", summary)):
        csv_path = output_dir / f"{name}.csv"
        json_path = output_dir / f"{name}.json"
        write_atomic(csv_path, lambda temporary, table=table: table.to_csv(temporary, index=False))
        write_atomic(json_path, lambda temporary, table=table: table.to_json(temporary, orient="records", indent=1))
        paths += [csv_path, json_path]
    return summary, paths


def write_figures(results, config, output_dir, landscapes=None):
    """Draw the SIC, parameter and loss-landscape figures as PNG files; return their paths."""
    from .. import plotting

    output_dir = Path(output_dir)
    figures = {}
    for mass_point in config.mass_points:
        tag = f"{mass_point[0]:.0f}_{mass_point[1]:.0f}"
        figures[f"sic_vs_mu_{tag}.png"] = plotting.plot_sic_vs_mu(results, mass_point)
        if "paws" in config.methods:
            figures[f"parameters_vs_mu_{tag}.png"] = plotting.plot_parameters_vs_mu(results, mass_point)
    for (mass_point, mu), landscape in (landscapes or {}).items():
        tag = f"{mass_point[0]:.0f}_{mass_point[1]:.0f}_mu{mu:g}"
        title = rf"$(m_X, m_Y) = ({mass_point[0]:.0f}, {mass_point[1]:.0f})$ GeV, $\mu$ = {mu:g}"
        figures[f"loss_landscape_{tag}.png"] = plotting.plot_loss_landscape(landscape, truth=mass_point, title=title)

    paths = []
    for name, figure in figures.items():
        path = output_dir / name
        # bbox_inches="tight" keeps legends placed outside the axes in the image.
        def save(temporary, figure=figure):
            figure.savefig(temporary, dpi=110, format="png", bbox_inches="tight")

        write_atomic(path, save)
        figure.clf()
        paths.append(path)
    import matplotlib.pyplot as plt

    plt.close("all")
    return paths


def _markdown_table(summary, mass_point):
    rows = summary[(summary["mx_true"] == mass_point[0]) & (summary["my_true"] == mass_point[1])]
    lines = [f"| method | noise | mu | SIC at {BACKGROUND_EFFICIENCY:g} median [16 %, 84 %] "
             f"| SIC at {LOOSE_BACKGROUND_EFFICIENCY:g} | fitted m_X | fitted m_Y | fitted mu "
             "| fitted alpha |",
             "|---|---|---|---|---|---|---|---|---|"]

    def cell(row, name, fmt):
        value = row.get(f"{name}_median", np.nan)
        return "" if value is None or np.isnan(value) else format(value, fmt)

    for _, row in rows.sort_values(["method", "noise_features", "mu"]).iterrows():
        sic = f"{row['sic_median']:.1f} [{row['sic_q16']:.1f}, {row['sic_q84']:.1f}]"
        lines.append(
            f"| {row['method']} | {row['noise_features']:.0f} | {row['mu']:.2g} | {sic} | "
            f"{cell(row, 'sic_loose', '.1f')} | {cell(row, 'mx_fit', '.0f')} | {cell(row, 'my_fit', '.0f')} | "
            f"{cell(row, 'mu_fit', '.2g')} | {cell(row, 'alpha_fit', '.2f')} |"
        )
    return "\n".join(lines)


def _comparison_table(comparison):
    """Render the median comparison as a Markdown table, values with three decimals."""
    lines = ["| " + " | ".join(comparison.columns) + " |",
             "|" + "---|" * len(comparison.columns)]
    for row in comparison.itertuples(index=False):
        cells = [value if isinstance(value, str) else f"{value:.3f}" for value in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fit_time_note(results):
    """Return a sentence with the summed fit time of all cells, which a resumed run reuses."""
    if "fit_seconds" not in results or not len(results):
        return ""
    # The supervised cell is fitted once and repeated on every mu, so it counts once.
    is_supervised = results["method"] == "supervised"
    supervised = results[is_supervised].groupby(
        ["mx_true", "my_true", "noise_features", "realisation"])["fit_seconds"].max()
    total = results.loc[~is_supervised, "fit_seconds"].sum() + supervised.sum()
    n_cells = int((~is_supervised).sum()) + len(supervised)
    return (f" The fits of the {n_cells} cells took {total / 60:.1f} min summed over cells, "
            "including cells finished by earlier invocations.")


def write_report(results, summary, config, output_dir, *, data_summary, source, runtime_seconds,
                 figure_paths, notes=(), comparison=None):
    """Write ``report.md``, which puts the tables, the figures and the caveats together.

    ``comparison``, a table of feature medians of simulated and real events, adds a section when
    it is given.
    """
    output_dir = Path(output_dir)
    lines = [
        "# PAWS study report",
        "",
        f"Input: {source}. Runtime of this invocation: {runtime_seconds / 60:.1f} min on "
        f"{platform.machine()} with {__import__('os').cpu_count()} CPU cores (Python "
        f"{platform.python_version()}).{_fit_time_note(results)}",
        "",
        f"SIC = eps_S / sqrt(eps_B) at eps_B = {BACKGROUND_EFFICIENCY:g} on held-out events with truth "
        f"labels; the tables add the median at eps_B = {LOOSE_BACKGROUND_EFFICIENCY:g}, which rests on ten "
        "times more background events. mu = S/(S+B) in "
        "the training part of the data D; the tables also store S/B. Lines and values are medians over "
        f"{config.n_realisations} realisation(s) of D, R and the injected signal, bands the 16-84 % quantiles.",
        "",
        "## Events",
        "",
        "```",
        json.dumps(data_summary, indent=1),
        "```",
        "",
    ]
    for mass_point in config.mass_points:
        lines += [f"## (m_X, m_Y) = ({mass_point[0]:.0f}, {mass_point[1]:.0f}) GeV", "",
                  _markdown_table(summary, mass_point), ""]
    if comparison is not None:
        lines += ["## Simulated and real events", "",
                  "Medians of the features in the signal region (masses in TeV). The priors learn the "
                  "simulated distributions; where the real ones differ, the likelihood ratio that PAWS "
                  "relies on is off.", "",
                  _comparison_table(comparison), ""]
    lines += ["## Figures", ""]
    lines += [f"![{path.stem}]({path.name})" for path in figure_paths]
    lines += ["", "## Caveats", ""]
    lines += [f"- {note}" for note in notes]
    n_test = int(results["n_test_background"].min()) if len(results) else 0
    lines += [
        f"- At eps_B = {BACKGROUND_EFFICIENCY:g} the SIC rests on (test background) x {BACKGROUND_EFFICIENCY:g} "
        f"events, here {n_test * BACKGROUND_EFFICIENCY:.0f} "
        f"of at least {n_test:,} test background events per cell. Below about 25 such events it is "
        "dominated by statistics (the scorer warns).",
        "- The supervised baseline is trained at the true mass point and does not depend on mu; "
        "it is repeated on every mu for comparison.",
        "",
    ]
    path = output_dir / "report.md"
    write_atomic(path, lambda temporary: Path(temporary).write_text("\n".join(lines)))
    return path

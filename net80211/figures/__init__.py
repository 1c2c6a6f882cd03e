"""Pictures for the reports: matplotlib plots (association time CDFs,
figures against distance or load, verdict heat maps, maps of radios and
links, timelines) embedded in self-contained HTML pages."""

from net80211.figures.plots import (
    Plot,
    assoc_cdf,
    heatmap,
    page,
    radio_map,
    save,
    scatter,
    timeline,
    verdict_map,
    xy_lines,
)

__all__ = ["Plot", "assoc_cdf", "heatmap", "page", "radio_map", "save", "scatter", "timeline", "verdict_map",
           "xy_lines"]

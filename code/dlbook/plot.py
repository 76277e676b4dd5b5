"""The book's single figure style and a colour-blind-safe palette."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Okabe-Ito palette (blue, orange, green, vermilion, purple, sky blue, yellow, black):
#: distinguishable under the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


def style_path() -> Path:
    """Path of the `.mplstyle` file shipped inside the package."""
    return Path(str(resources.files("dlbook") / "dlbook.mplstyle"))


def use_style() -> None:
    """Apply the book's figure style to every figure drawn afterwards."""
    plt.style.use(str(style_path()))


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: object) -> tuple[Figure, Axes]:
    """`plt.subplots` in the book's style; sizes scale with the grid unless `figsize` is given."""
    for name, value in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    use_style()
    width, height = plt.rcParams["figure.figsize"]
    if ncols > 1:
        width = min(3.6 * ncols, 10.0)  # the page is about 10 inches wide at this dpi
    kwargs.setdefault("figsize", (width, height * nrows if nrows > 1 else height))
    return plt.subplots(nrows, ncols, **kwargs)


def glue_figure(name: str, fig: Figure) -> None:
    """Glue `fig` under `name` for a `{glue:figure}` directive, then close it so it shows once."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)

"""Tests of dlbook.plot: one style, colour-blind-safe palette."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from dlbook.plot import PALETTE, glue_figure, style_path, subplots, use_style


def test_style_file_ships_with_the_package():
    assert style_path().is_file()


def test_use_style_sets_palette_and_opaque_background():
    use_style()
    cycle = [to_hex(c["color"]).upper() for c in plt.rcParams["axes.prop_cycle"]]
    assert cycle == [c.upper() for c in PALETTE]
    # opaque white: figures stay readable on the site's dark theme too
    assert to_hex(plt.rcParams["figure.facecolor"]) == "#ffffff"
    assert to_hex(plt.rcParams["savefig.facecolor"]) == "#ffffff"


def test_palette_is_okabe_ito():
    assert len(PALETTE) == len(set(PALETTE)) == 8
    assert PALETTE[0] == "#0072B2" and PALETTE[1] == "#E69F00"


def test_subplots_returns_figure_and_axes():
    fig, axes = subplots(1, 2)
    assert len(axes) == 2
    plt.close(fig)


@pytest.mark.parametrize("bad", [0, -1])
def test_subplots_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="nrows"):
        subplots(bad, 1)


def test_subplots_rejects_non_integers():
    with pytest.raises(TypeError, match="ncols"):
        subplots(1, 2.0)


def test_glue_figure_closes_the_figure():
    fig, _ = subplots()
    glue_figure("test_fig", fig)
    assert not plt.fignum_exists(fig.number)


def test_glue_figure_rejects_bad_arguments():
    fig, _ = subplots()
    with pytest.raises(TypeError, match="name"):
        glue_figure("", fig)
    with pytest.raises(TypeError, match="fig"):
        glue_figure("x", "not a figure")
    plt.close(fig)

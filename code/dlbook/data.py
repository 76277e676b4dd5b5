"""Locating the book's small data files, from a checkout or from an installed wheel."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path, PurePosixPath

#: Where the files live inside an installed wheel (the build maps `data/` here).
_PACKAGED = "_data"


def _data_dir() -> Path:
    """Return the directory holding the data files: packaged copy first, then the checkout."""
    packaged = Path(str(resources.files("dlbook"))) / _PACKAGED
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data"  # code/dlbook/data.py -> repo/data
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"no data directory found (looked in {packaged} and {checkout})")


def available() -> list[str]:
    """Names of the data files shipped with the book."""
    return sorted(p.name for p in _data_dir().iterdir() if p.is_file())


def data_path(name: str) -> Path:
    """Return the path of the book's data file `name` (e.g. "milestones.csv").

    Works from any working directory, from a checkout and from an installed wheel.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or len(pure.parts) != 1 or name in (".", ".."):
        raise ValueError(f"name must be a bare file name such as 'milestones.csv', got {name!r}")
    path = _data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no data file {name!r}; available: {', '.join(available())}")
    return path


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of the book's CSV table `name`, each a dict from column name to text."""
    with open(data_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

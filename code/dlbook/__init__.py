"""Helpers for *Large Models, Small Machines*, an executable textbook on deep learning.

Each module holds one concept. Anything here is first derived from scratch in a chapter
(the docstring names which) and checked there against PyTorch or scikit-learn.
"""

__version__ = "0.1.0"

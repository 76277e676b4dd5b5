"""Tests of dlbook.data: the book's data files are found from anywhere."""

import csv
import os

import pytest

from dlbook.data import available, data_path, read_table


def test_data_path_finds_every_shipped_table():
    for name in ("milestones.csv", "landmark_models.csv"):
        assert name in available()
        assert data_path(name).is_file()


def test_data_path_works_from_another_directory(tmp_path):
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert data_path("milestones.csv").is_file()
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("bad", ["", "../README.md", "/etc/passwd", "sub/file.csv", "..", "."])
def test_data_path_rejects_paths(bad):
    with pytest.raises(ValueError, match="name"):
        data_path(bad)


def test_data_path_rejects_non_strings():
    with pytest.raises(TypeError, match="name"):
        data_path(3)


def test_data_path_missing_file_lists_what_exists():
    with pytest.raises(FileNotFoundError, match="milestones.csv"):
        data_path("no_such_table.csv")


@pytest.mark.parametrize("name", ["milestones.csv", "landmark_models.csv"])
def test_every_row_has_a_source(name):
    rows = read_table(name)
    assert rows, f"{name} is empty"
    for row in rows:
        assert row["source"].strip(), f"{name}: row without a source: {row}"
        assert int(row["year"]) >= 1900


def test_landmark_models_table_spans_lenet_to_gpt3_and_later():
    rows = read_table("landmark_models.csv")
    names = [r["model"] for r in rows]
    assert len(rows) >= 12
    assert "LeNet-5" in names and "GPT-3" in names
    assert max(int(r["year"]) for r in rows) > 2020
    assert all(int(r["parameters"]) > 0 for r in rows)


def test_read_table_matches_the_csv_module():
    with open(data_path("milestones.csv"), newline="", encoding="utf-8") as f:
        assert read_table("milestones.csv") == list(csv.DictReader(f))

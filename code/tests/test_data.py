"""Tests of dlbook.data: the book's data files are found from anywhere."""

import csv
import os

import pytest
import torch

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


def test_load_mnist1d_shapes_and_offline_generation():
    import numpy as np

    from dlbook.data import load_mnist1d

    state = np.random.get_state()[1].copy()
    d = load_mnist1d()
    assert np.array_equal(np.random.get_state()[1], state), (
        "the global NumPy generator is untouched"
    )
    assert d["x_train"].shape == (4000, 40) and d["x_test"].shape == (1000, 40)
    assert set(d["y_train"].unique().tolist()) == set(range(10))
    shuffled = load_mnist1d(shuffle_seq=True)
    assert torch.equal(shuffled["y_train"], d["y_train"])
    assert not torch.equal(shuffled["x_train"], d["x_train"])
    # the shuffled variant permutes positions: sorted values per sequence are unchanged
    torch.testing.assert_close(
        shuffled["x_train"].sort(dim=1).values, d["x_train"].sort(dim=1).values
    )


def test_load_mnist1d_rejects_bad_arguments():
    from dlbook.data import load_mnist1d

    with pytest.raises(TypeError, match="shuffle_seq"):
        load_mnist1d(shuffle_seq=1)
    with pytest.raises(ValueError, match="seed"):
        load_mnist1d(seed=-1)

"""The book's own checks of its layout and its committed notebooks (no kernel needed).

These mirror what a careful maintainer checks before committing: outputs come from one
top-to-bottom run, hold no errors and no machine paths, every chapter is in the table of
contents, the Colab cell installs from the configured repository, and the glue keys that
other pages and tools rely on exist.
"""

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PATH_LEAK = re.compile(r"(/work/|/tmp/|/root/|/home/\w+/|/Users/\w+/|C:\\\\Users\\\\)")

#: Glue keys each chapter must define (checked from outside by readers' tools and issues).
REQUIRED_GLUE = {
    "01_background": [
        "gpt3_params_from_config",
        "bert_base_params_from_config",
        "param_doubling_months",
    ],
    "02_neurons": ["xor_affine_mse", "relu_xor_exact"],
    "03_gradient_descent": ["ls_vs_gd_max_abs_diff", "adam_matches_torch"],
    "04_training_loop": ["noise_floor_mse", "final_train_mse"],
    "05_feedforward": ["mnist1d_acc_logreg", "mnist1d_acc_mlp"],
    "06_convolutional": ["mnist1d_acc_cnn", "mnist1d_train_s_cnn"],
    "07_recurrent": [
        "mnist1d_acc_logreg",
        "mnist1d_acc_mlp",
        "mnist1d_acc_cnn",
        "mnist1d_acc_gru",
        "mnist1d_train_s_gru",
        "mnist1d_shuffled_acc_cnn",
        "mnist1d_shuffled_acc_mlp",
    ],
    "08_transformers": ["lm_params", "lm_val_bpc", "corpus_sha256"],
    "09_evaluation": ["example_f1", "example_balanced_acc", "test_acc_ci_width"],
    "10_prediction_is_compression": [
        "lm_val_bpc",
        "coder_val_bpc",
        "xz_val_bpc",
        "bz2_val_bpc",
        "gzip_val_bpc",
        "coder_roundtrip_ok",
        "corpus_sha256",
    ],
    "11_model_compression": [
        "int8_size_ratio",
        "int8_acc_drop_pts",
        "int8_speedup",
        "distill_gain_pts",
        "prune_50_acc_drop_pts",
    ],
}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def output_text(out: dict) -> str:
    text = out.get("text") or out.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def test_import_code_is_the_standard_library():
    assert not (ROOT / "code" / "__init__.py").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import code; print(code.__file__); print(code.InteractiveConsole)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(out[0]).resolve().parent == Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert out[1] == "<class 'code.InteractiveConsole'>"


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_outputs_come_from_one_top_to_bottom_run(path):
    counts = [c["execution_count"] for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run `make notebooks NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_error_outputs_paths_or_sys_path_edits(path):
    for i, cell in enumerate(code_cells(load(path)), start=1):
        src = "".join(cell["source"])
        assert not re.search(r"sys\.path\.(insert|append)", src), f"cell {i} edits sys.path"
        expected = (
            "raises-exception" in cell["metadata"].get("tags", [])
            or "NBVAL_RAISES_EXCEPTION" in src
        )
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert expected, f"cell {i}: committed error {out['ename']}: {out['evalue']}"
            leak = PATH_LEAK.search(output_text(out) + "".join(out.get("traceback", [])))
            assert not leak, f"cell {i}: output shows a machine path ({leak.group(0)}...)"


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = {toc["root"]}
    for part in toc.get("parts", []):
        files |= {ch["file"] for ch in part.get("chapters", [])}
    return files


def test_toc_matches_the_files():
    listed = toc_files()
    for path in CHAPTERS:
        assert f"chapters/{path.stem}" in listed, f"{path.name} is not in _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".ipynb", ".md")), (
            f"_toc.yml lists {entry}, which does not exist"
        )


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_from_the_configured_repository_only_in_colab(path):
    first = "".join(code_cells(load(path))[0]["source"])
    assert '"google.colab" in sys.modules' in first, "first cell must detect Colab"
    assert f"git+{repository_url()}" in first, "Colab install must use _config.yml's repository"
    assert "seed_everything(" in first, "first cell must seed"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_structure(path):
    nb = load(path)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# "), "a chapter opens with its title"
    assert "Source" in first, "a chapter opens by naming the source article sections it covers"
    assert re.search(r"^## Summary", markdown, re.M), "a chapter closes with a summary"
    exercises = len(re.findall(r"^:::+\{exercise\}", markdown, re.M))
    solutions = re.findall(r"^:::+\{solution\}[^\n]*\n(?::\w+:[^\n]*\n)*", markdown, re.M)
    assert 2 <= exercises <= 4, f"{exercises} exercises; a chapter has 2-4"
    assert len(solutions) == exercises, "every exercise has a solution"
    assert all(":class: dropdown" in s for s in solutions), "solutions are hidden in a dropdown"


def glue_keys(nb: dict) -> set[str]:
    keys = set()
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                keys.add(name)
    return keys


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_required_glue_keys_exist(path):
    missing = set(REQUIRED_GLUE.get(path.stem, [])) - glue_keys(load(path))
    assert not missing, f"{path.name} does not glue {sorted(missing)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_glue_reference_is_defined(path):
    nb = load(path)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    used = set(re.findall(r"\{glue(?::\w+)?\}`([\w.-]+)(?::[^`]*)?`", markdown))
    # directives: {glue}, {glue:figure}, {glue:md}, {glue:math}, fenced by ``` or :::
    used |= set(re.findall(r"^(?:```+|:::+)\{glue(?::\w+)?\}\s*([\w.-]+)", markdown, re.M))
    undefined = used - glue_keys(nb)
    assert not undefined, f"{path.name} references unglued keys {sorted(undefined)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_markdown_line_starts_with_a_percent_sign(path):
    # In MyST a line that starts with % is a comment: "...within 0.04\n% of ..." silently loses
    # the rest of the line when the prose is re-wrapped.
    nb = load(path)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            assert not line.lstrip().startswith("%"), f"{path.name} cell {i}: {line!r}"

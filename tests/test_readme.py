"""The README's and docs' tables are the committed benchmark results, rendered, never typed by hand; the README's
Python example runs as written."""

from pathlib import Path

from conftest import load_benchmark

ROOT = Path(__file__).resolve().parent.parent


def test_readme_and_docs_tables_match_committed_results():
    module = load_benchmark("render_readme")
    documents = module.documents()
    assert {p.name for p in documents} >= {"README.md", "models.md", "benchmarks.md", "experiments.md",
                                            "architecture.md"}
    for path in documents:
        text = path.read_text()
        assert module.render(text) == text, f"{path.name}: run python benchmarks/render_readme.py"


def test_benchmark_update_replaces_only_the_named_models_rows():
    import pytest

    updated = load_benchmark("update").updated

    def result(models, value, date):
        rows = [{"model": m, "size_px": size, "value": value} for size in (512, 256) for m in models]
        return {"settings": {"sizes": "256,512"}, "summary": rows, "rows": list(rows), "machine": {"date": date}}

    def by_size(row):
        return row["size_px"]

    merged = updated(result(["a", "b", "c"], 1, "old"), result(["b"], 2, "new"), ["b"], by_size)
    assert [(r["size_px"], r["model"], r["value"]) for r in merged["rows"]] == [
        (256, "a", 1), (256, "c", 1), (256, "b", 2), (512, "a", 1), (512, "c", 1), (512, "b", 2)]
    assert merged["machine"] == {"date": "old"} and merged["updates"] == [{"models": ["b"], "machine": {"date": "new"}}]
    again = updated(merged, result(["b"], 3, "newer"), ["b"], by_size)
    assert [u["machine"]["date"] for u in again["updates"]] == ["newer"]  # the superseded run is no longer listed
    split = updated(updated(again, result(["a"], 4, "a-run"), ["a"], by_size), result(["a", "b"], 5, "ab-run"),
                    ["a", "b"], by_size)
    assert [u["machine"]["date"] for u in split["updates"]] == ["ab-run"]  # superseded by later runs together
    kept = updated(updated(split, result(["a", "c"], 6, "ac-run"), ["a", "c"], by_size), result(["a"], 7, "a2"),
                   ["a"], by_size)
    assert [u["machine"]["date"] for u in kept["updates"]] == ["ab-run", "ac-run", "a2"]  # each still made a row
    with pytest.raises(SystemExit, match="settings differ"):
        updated(result(["a"], 1, "old"), {**result(["a"], 1, "x"), "settings": {"sizes": "256"}}, ["a"], by_size)


def test_first_run_says_when_updates_have_measured_every_row_again():
    runs = load_benchmark("render_readme")._runs
    machine = {"cpu": "cpu", "cores": 2, "memory_gib": 1, "date": "d", "git_commit": "c", "command": "cmd"}
    result = {"machine": machine, "rows": [{"model": "a"}, {"model": "b"}],
              "updates": [{"models": ["a"], "machine": machine}]}
    assert runs(result).startswith("Machine: cpu")
    result["updates"].append({"models": ["b"], "machine": machine})
    assert runs(result).startswith("First run (every row since measured again below): Machine: cpu")


def _block_after(marker: str) -> str:
    """The first fenced block after `marker` in the README."""
    text = (ROOT / "README.md").read_text()
    rest = text[text.index(marker):]
    start = rest.index("```")
    body = rest[rest.index("\n", start) + 1:]
    return body[:body.index("```")]


def test_readme_python_example_runs_as_written(tmp_path):
    """The README's Python API example, run verbatim on a photo and a three-frame clip the test writes."""
    import subprocess
    import sys

    import cv2
    import numpy as np

    from conftest import synthetic_photo

    cv2.imwrite(str(tmp_path / "photo.jpg"), synthetic_photo(48, 64))
    writer = cv2.VideoWriter(str(tmp_path / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for seed in range(3):
        writer.write(synthetic_photo(48, 64, seed=seed))
    writer.release()
    code = _block_after("<!-- readme:api -->")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    styled = cv2.imread(str(tmp_path / "styled.png"))
    photo = cv2.imread(str(tmp_path / "photo.jpg")).astype(int)
    assert styled.shape == (48, 64, 3) and np.abs(styled.astype(int) - photo).mean() > 5
    assert sorted(p.name for p in tmp_path.glob("frame_*.png")) == ["frame_0000.png", "frame_0001.png",
                                                                   "frame_0002.png"]

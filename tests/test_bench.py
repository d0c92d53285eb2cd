"""The bench harness: warm-up excluded, percentiles right, JSON/CSV schema, plot written."""

import csv
import io
import json

import pytest

pytest.importorskip("onnxruntime")

from stylecast.runtime import bench  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from test_runtime import model_path  # noqa: E402,F401


def test_warmup_runs_are_not_timed():
    calls = []

    def run(_frame):
        calls.append(len(calls))

    warm, timed = bench.measure(run, None, warmup=3, runs=5)
    assert len(warm) == 3 and len(timed) == 5 and len(calls) == 8


def test_summary_percentiles_on_known_samples():
    timed = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    result = bench.summarise("m", "b", "fp32", (4, 4), 0.5, 2, timed)
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (50.5, 95.05, 99.01)
    assert result.first_call_ms == 500.0 and result.fps == pytest.approx(100 / 5.05, rel=1e-3)


def test_bench_cli_json_csv_and_plot(capsys, tmp_path, model_path):  # noqa: F811
    csv_path, plot_path = tmp_path / "b.csv", tmp_path / "b.png"
    argv = ["bench", "--model", str(model_path), "--resolution", "32x48", "--resolution", "64x64", "--warmup",
            "1", "--runs", "4", "--json", "--csv", str(csv_path)]
    has_matplotlib = True
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        has_matplotlib = False
    if has_matplotlib:
        argv += ["--plot", str(plot_path)]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"cpu", "cores", "packages"} <= set(payload["machine"])
    rows = payload["results"]
    assert [(r["height"], r["width"]) for r in rows] == [(32, 48), (64, 64)]
    for r in rows:
        assert set(bench.COLUMNS) <= set(r) and r["runs"] == 4 and len(r["samples_ms"]) == 4
        assert r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"] and r["first_call_ms"] > 0
        assert r["peak_gpu_mib"] is None  # ran on the CPU: no GPU figure, rather than a misleading 0
    table = list(csv.reader(io.StringIO(csv_path.read_text())))
    assert tuple(table[0]) == bench.COLUMNS and len(table) == 3
    if has_matplotlib:
        assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gpu_memory_is_the_difference_between_readings():
    assert bench.gpu_mib(100 * 2**20, 612 * 2**20) == 512.0
    assert bench.gpu_mib(700 * 2**20, 612 * 2**20) == 0.0  # another process freed memory meanwhile
    assert bench.gpu_mib(None, 612 * 2**20) is None and bench.gpu_mib(100, None) is None


def test_bench_bad_resolution(capsys, model_path):  # noqa: F811
    assert main(["bench", "--model", str(model_path), "--resolution", "big"]) == 2
    assert "480p, 720p, 1080p" in capsys.readouterr().err

"""Is the warping error trustworthy with ESTIMATED flow? Check it against Sintel's ground-truth flow.

The warping error that every stability figure in stylecast uses (runtime/temporal.py) estimates the input's
optical flow with OpenCV DIS and masks occlusions by a forward-backward check. Sintel (Butler et al. 2012) ships
the true flow and occlusion masks for its frames, so the same error can be computed exactly. For each sequence
and render pass, and for several "outputs" (the input frames themselves, and each shipped model's per-frame
stylisation), this prints both errors; they must agree closely for the metric to mean anything.

Sintel's flow maps frame 2 to frame 3 (frame2(p) ~ frame3(p + F(p))); both errors are computed in that direction:
frame 3's output sampled along the flow, compared with frame 2's output on the pixels that stay visible.

    python benchmarks/temporal_sintel.py --sintel ../shared/data/video/sintel_flow_gt

Writes benchmarks/results/temporal_sintel.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
FLO_MAGIC = 202021.25


def read_flo(path: Path) -> np.ndarray:
    """Middlebury .flo: float32 magic, int32 width and height, then HxWx2 float32 (u, v)."""
    data = np.fromfile(path, np.float32)
    if data.size < 3 or data[0] != FLO_MAGIC:
        raise ValueError(f"{path}: not a .flo file")
    width, height = np.frombuffer(data[1:3].tobytes(), np.int32)
    return data[3:3 + width * height * 2].reshape(height, width, 2).copy()


def evaluate(sequence: Path, render: str, outputs_by_name: dict) -> list[dict]:
    from stylecast.runtime.temporal import inside, warping_error

    flow = read_flo(sequence / "gt" / "frame_0002.flo")
    occluded = cv2.imread(str(sequence / "gt" / "occlusions" / "frame_0002.png"), cv2.IMREAD_GRAYSCALE) > 127
    invalid = cv2.imread(str(sequence / "gt" / "invalid" / "frame_0002.png"), cv2.IMREAD_GRAYSCALE) > 127
    true_mask = ~occluded & ~invalid & inside(flow)
    frames = [cv2.imread(str(sequence / render / f"frame_000{i}.png")) for i in (2, 3)]
    rows = []
    for name, make in outputs_by_name.items():
        outputs = [make(frame) for frame in frames]
        # warping_error warps its FIRST frame along a flow from the second to the first: pass frame 3 first
        true = warping_error(frames[::-1], outputs[::-1], flows=[flow], masks=[true_mask])
        estimated = warping_error(frames[::-1], outputs[::-1])
        rows.append({"sequence": sequence.name, "render": render, "output": name, "true_flow": true,
                     "estimated_flow": estimated, "absolute_difference": abs(estimated - true),
                     "relative_difference": abs(estimated - true) / max(true, 1e-12)})
    return rows


def _groups(rows: list[dict]) -> list[list[dict]]:
    keys = sorted({(row["sequence"], row["render"]) for row in rows})
    return [[row for row in rows if (row["sequence"], row["render"]) == key] for key in keys]


def concordant_pairs(rows: list[dict]) -> tuple[int, int]:
    """(agreeing, all) pairs of outputs of one sequence and pass that the estimated flow ranks by flicker as the
    true flow does: what the metric is used for is comparing outputs."""
    agree = total = 0
    for group in _groups(rows):
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                total += 1
                agree += (a["true_flow"] < b["true_flow"]) == (a["estimated_flow"] < b["estimated_flow"])
    return agree, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sintel", type=Path, required=True, help="folder with alley_1/, cave_2/ ...")
    parser.add_argument("--models", nargs="*", help="bundled model names (default: every bundled model)")
    parser.add_argument("--out", type=Path, default=RESULTS / "temporal_sintel.json")
    args = parser.parse_args(argv)

    from stylecast.runtime.models import bundled_names
    from stylecast.runtime.stylizer import Stylizer

    outputs = {"input frames": lambda frame: frame}
    for name in args.models or bundled_names():
        outputs[name] = Stylizer(model=name).stylize
    rows = []
    for sequence in sorted(p for p in args.sintel.iterdir() if (p / "gt").is_dir()):
        for render in ("clean", "final"):
            rows += evaluate(sequence, render, outputs)
    for row in rows:
        print(f"{row['sequence']:8s} {row['render']:5s} {row['output']:28s} true {row['true_flow']:.5f}  "
              f"estimated {row['estimated_flow']:.5f}  ({100 * row['relative_difference']:.1f}% apart)")
    stylised = [row for row in rows if row["output"] != "input frames"]
    summary = {
        # what the stability figures compare: stylised outputs, whose errors are 30-50x the input's
        "stylised_largest_relative_difference": max(row["relative_difference"] for row in stylised),
        # the input frames' own error is tiny, so its relative gap is large while the absolute one is not
        "largest_absolute_difference": max(row["absolute_difference"] for row in rows),
        "smallest_stylised_error": min(min(row["true_flow"], row["estimated_flow"]) for row in stylised),
        # what the metric is used for: ranking outputs by flicker; does the estimated flow rank them as the truth?
        "concordant_pairs": concordant_pairs(stylised),
    }
    summary["same_ranking_in_every_case"] = summary["concordant_pairs"][0] == summary["concordant_pairs"][1]
    largest = 100 * summary["stylised_largest_relative_difference"]
    print(f"stylised outputs: estimated and true flow at most {largest:.1f}% "
          f"apart; largest absolute gap {summary['largest_absolute_difference']:.5f} against stylised errors of "
          f"at least {summary['smallest_stylised_error']:.5f}; same ranking of the models in every case: "
          f"{summary['same_ranking_in_every_case']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine_info(), "rows": rows, "summary": summary}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

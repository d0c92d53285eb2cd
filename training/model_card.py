"""Model cards: what a shipped model is, written from its checkpoint so the card cannot disagree with the file.

    python -m stylecast.training.model_card CKPT [--quality benchmarks/results/quality.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .checkpoint import load_checkpoint, model_from_checkpoint, stores_half_weights
from .generator import SATURATION_BOUND
from .macs import macs_per_pixel, parameter_count


def render_card(data: dict, name: str, quality: dict | None = None) -> str:
    if data.get("method") == "arbitrary":
        return render_arbitrary_card(data, name)
    if data.get("method", "perceptual") != "perceptual":
        return render_gan_card(data, name)
    model = model_from_checkpoint(data)
    loss, train, style = data["loss_config"], data["train"], data["style"]
    active = {k: v for k, v in loss.items() if k.endswith("_weight") and v}
    lines = [
        f"# {name}", "",
        f"A `{data['arch']}` generator for the style of {', '.join(style['images'])}.", "",
        "| | |", "| --- | --- |",
        f"| style image | {', '.join(style['images'])} (weights {style['weights']}) |",
        f"| style licence | {style.get('licence', 'not recorded')} |",
        f"| content set | {data['data']['folder']}: {data['data']['images']} photos "
        f"({data['data']['skipped']} unreadable skipped) |",
        f"| steps | {data['step']} x batch {train['batch_size']} x {train.get('world_size', 1)} process(es) |",
        f"| initial weights | {_initial_weights(data.get('init'))} |",
        f"| resolution | {train['size']} px crops; style at {train['style_size']} px |",
        f"| optimiser | Adam, lr {train['lr']}{_decay(train)}, seed {train['seed']}, {train['device']}, "
        f"{train['amp']} |",
        f"| loss weights | {', '.join(f'{k} {v:g}' for k, v in active.items())} |",
        f"| content layers | {', '.join(loss['content_layers'])} |",
        f"| style layers | {', '.join(loss['style_layers'])} (layer weights "
        f"{loss['style_layer_weights'] or 'equal'}) |",
        f"| stability terms | noise weight {train['noise_weight']:g}, temporal weight "
        f"{train.get('temporal_weight', 0):g} (motion up to {train.get('max_shift', 0):g} px), noise std "
        f"{train['noise_std']:g} |",
        f"| saturation term | weight {train.get('saturation_weight', 0):g} (pre-tanh values beyond "
        f"+-{SATURATION_BOUND:g}) |",
        f"| model settings | {json.dumps(data['model_config'])} |",
        f"| parameters | {parameter_count(model):,} (stored in "
        f"{'float16; computed in float32' if stores_half_weights(data) else 'float32'}) |",
        f"| MACs per output pixel | {macs_per_pixel(model):,.0f} |",
        f"| final losses (mean of the last log window) | "
        f"{', '.join(f'{k} {v:.4g}' for k, v in data.get('metrics', {}).items() if v)} |",
    ]
    if quality:
        lines.append(f"| quality (benchmarks/quality.py) | output loss equals Gatys L-BFGS after "
                     f"{quality['equivalent_steps']} steps (median over {quality['photos']} held-out photos) |")
    return "\n".join(lines) + "\n"


def render_gan_card(data: dict, name: str) -> str:
    """The card of a translation GAN (pix2pix, pix2pixHD, CycleGAN): its data, recipe and discriminator."""
    model = model_from_checkpoint(data)
    train, method, source = data["train"], data["method"], data["data"]
    if method == "cyclegan":
        data_row = (f"{source['folder']} ({source['images']} images) <-> {source['folder_b']} ({source['images_b']} "
                    f"images, crops at {train['zoom_b']:g}x the crop size)")
        losses = (f"least-squares GAN, cycle {train['cycle_weight']:g}, identity "
                  f"{train['identity_fraction'] * train['cycle_weight']:g}, pool of {train['pool_size']} fakes")
        from .translation.discriminators import PatchDiscriminator, receptive_field

        side = receptive_field(PatchDiscriminator(3, 1, train["d_layers"]))
        discriminator = (f"two {side}x{side} PatchGANs (width {train['d_width']}, {train['d_layers']} stride-2 "
                         "layers)")
    else:
        data_row = f"{source['folder']}: {source['images']} pairs (A -> B)"
        terms = [("L1", train["l1_weight"]), ("feature matching", train["feature_matching_weight"]),
                 ("VGG19 features", train["vgg_weight"])]
        losses = (f"{'least-squares' if train['least_squares'] else 'vanilla (cross-entropy)'} conditional GAN, "
                  + ", ".join(f"{term} {weight:g}" for term, weight in terms if weight))
        discriminator = (f"{train['d_scales']} PatchGAN(s) on (input, image) pairs (width {train['d_width']}, "
                         f"{train['d_layers']} stride-2 layers)")
    time_limit = f"; time limit {train['time_limit']:g} min" if train.get("time_limit") else ""
    lines = [
        f"# {name}", "",
        f"A `{data['arch']}` generator trained as {method} for the task `{data.get('task', 'translate')}`.", "",
        "| | |", "| --- | --- |",
        f"| data | {data_row} |",
        *([f"| initial weights | G (A -> B) from {train['init']} |"] if train.get("init") else []),
        f"| data licence | {data['style'].get('licence', 'not recorded')} |",
        f"| steps | {data['step']} x batch {train['batch_size']} x {train.get('world_size', 1)} process(es)"
        f"{time_limit} |",
        f"| resolution | {train['size']} px crops |",
        f"| optimiser | Adam, lr {train['lr']}, beta1 {train['beta1']}, falling linearly to 0 over the last "
        f"{train['decay']:.0%} of the run, seed {train['seed']}, {train['device']}, {train['amp']} |",
        f"| losses | {losses} |",
        f"| discriminator | {discriminator} |",
        f"| model settings | {json.dumps(data['model_config'])} |",
        f"| parameters | {parameter_count(model):,} |",
        f"| MACs per output pixel | {macs_per_pixel(model):,.0f} |",
        f"| final losses (mean of the last log window) | "
        f"{', '.join(f'{k} {v:.4g}' for k, v in data.get('metrics', {}).items() if v)} |",
    ]
    return "\n".join(lines) + "\n"


def render_arbitrary_card(data: dict, name: str) -> str:
    """The card of an arbitrary-style model: the paintings it learnt from and those it never saw."""
    model = model_from_checkpoint(data)
    train, style, loss = data["train"], data["style"], data["loss_config"]
    per_frame = parameter_count(model) - parameter_count(model.predict)
    time_limit = f"; time limit {train['time_limit']:g} min" if train.get("time_limit") else ""
    lines = [
        f"# {name}", "",
        "One network for any painting, given at run time (`--style PAINTING`): a style-prediction MLP over VGG19 "
        "feature statistics sets the instance norms of a conditional LiteNet.", "",
        "| | |", "| --- | --- |",
        f"| trained on | {len(style['images'])} paintings: {', '.join(Path(i).stem for i in style['images'])} |",
        f"| held out (never trained on) | {', '.join(Path(i).stem for i in style.get('held_out', [])) or 'none'} |",
        f"| default style (without --style) | {data.get('default_style', {}).get('image', 'none')} |",
        f"| style views | {train['bank_views']} ({train['views']} per painting, one the whole painting; "
        f"{train['photo_views']} photos as unpainted styles) |",
        f"| licence | {style.get('licence', 'not recorded')} |",
        f"| content set | {data['data']['folder']}: {data['data']['images']} photos |",
        f"| initial weights | {_initial_weights(data.get('init'))} |",
        f"| steps | {data['step']} x batch {train['batch_size']}{time_limit} |",
        f"| resolution | {train['size']} px content crops |",
        f"| optimiser | Adam, lr {train['lr']}{_decay(train)}, seed {train['seed']}, {train['device']}, "
        f"{train['amp']} |",
        f"| loss | content {', '.join(loss['content_layers'])} x{loss['content_weight']:g}, Gram "
        f"{', '.join(loss['style_layers'])} x{loss['style_weight']:g} (each sample against its own style), "
        f"saturation x{train['saturation_weight']:g} |",
        f"| model settings | {json.dumps(data['model_config'])} |",
        f"| parameters | {parameter_count(model):,}, of which {per_frame:,} run per frame (stored in "
        f"{'float16; computed in float32' if stores_half_weights(data) else 'float32'}) |",
        f"| MACs per output pixel | {macs_per_pixel(model):,.0f} (and one {model.config.embedding} x "
        f"{model.to_norm_params.out_features} matrix product per frame) |",
        f"| final losses (mean of the last log window) | "
        f"{', '.join(f'{k} {v:.4g}' for k, v in data.get('metrics', {}).items() if v)} |",
    ]
    return "\n".join(lines) + "\n"


def _initial_weights(init: dict | None) -> str:
    """The chain of checkpoints this one was fine-tuned from, newest first, as far back as the files recorded it."""
    if not init:
        return "random"
    steps = []
    while init:
        steps.append(f"{Path(init['file']).stem} ({init['style']} style, step {init['step']})")
        init = init.get("from")
    return ", itself from ".join(steps) + "; trained on from there"


def _decay(train: dict) -> str:
    """Checkpoints from before the option have no entry: their rate was constant."""
    decay = train.get("lr_decay", 0)
    return f" falling to 0 (cosine) over the last {decay:.0%} of the run" if decay else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write a model card next to a checkpoint.")
    parser.add_argument("checkpoint")
    parser.add_argument("--quality", help="quality.json from benchmarks/quality.py")
    args = parser.parse_args(argv)
    path = Path(args.checkpoint)
    quality = None
    if args.quality:
        results = json.loads(Path(args.quality).read_text())
        quality = next((m for m in results["models"] if m["model"] == path.stem), None)
    path.with_suffix(".md").write_text(render_card(load_checkpoint(path), path.stem, quality))
    print(f"wrote {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

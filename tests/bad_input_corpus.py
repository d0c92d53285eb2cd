"""The bad-input corpus (issue 25): several hundred hostile inputs, made in a temporary folder, and the command
lines that feed them to every stylecast command.

Kinds: images that are empty, foreign, truncated, bombs (headers declaring up to 100,000 px a side), CMYK, empty
sizes, or not files at all (folders, FIFOs, /dev/zero, loops, dangling links); model files that are empty,
foreign, truncated, without or with broken metadata, that lie about their layout, have two inputs or four channels,
point at external data outside their folder or declare huge tensors, and engines whose sidecar is missing, broken
or names a module to import; videos that are empty, foreign, truncated or tiny; checkpoints that are foreign,
truncated, hold NaN weights, a future version, an unknown architecture, or a pickle that would run code; outputs
that are the input, folders, devices, FIFOs, under a file, in /proc, too long or of unknown type; and numbers and
choices out of range for every command. Each case expects a non-zero exit (and, where it matters, which).
"""

from __future__ import annotations

import os
import pickle
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from conftest import synthetic_painting, synthetic_photo

from stylecast.runtime.models import bundled_names

MARKER = "corpus_pickle_ran"  # the file a malicious checkpoint would create if it ever ran


@dataclass
class Case:
    name: str
    argv: list[str]
    out: Path  # a folder the case may write into: it must be empty afterwards
    codes: tuple[int, ...] = (1, 2)
    watch: list[Path] = field(default_factory=list)  # other places that must be unchanged (absent: stay absent)


def _encode(extension: str, image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(extension, image)
    assert ok
    return buffer.tobytes()


def bad_images(folder: Path) -> list[Path]:
    """About fifty files (and non-files) that no command may accept as an image."""
    folder.mkdir(parents=True)
    photo = synthetic_photo(40, 56)
    valid = {ext: _encode(ext, photo) for ext in (".png", ".jpg", ".webp", ".bmp", ".tif")}
    blobs: dict[str, bytes] = {
        "empty.png": b"", "empty.jpg": b"", "text.png": b"this is not an image\n", "text.jpg": b"hello",
        "html.webp": b"<html><body>404</body></html>", "zeros.bmp": bytes(4096),
        "png_magic_only.png": b"\x89PNG\r\n\x1a\n", "jpeg_magic_only.jpg": b"\xff\xd8\xff",
        "riff_only.webp": b"RIFF\x04\x00\x00\x00WEBP", "tiff_magic_only.tif": b"II*\x00",
        "random_png.png": b"\x89PNG\r\n\x1a\n" + np.random.default_rng(1).bytes(600),
        "random_jpeg.jpg": b"\xff\xd8\xff\xe0" + np.random.default_rng(2).bytes(600),
        "random.bin.png": np.random.default_rng(3).bytes(2000),
    }
    for ext, data in valid.items():  # cut inside the header or the first rows
        for fraction in (0.02, 0.1, 0.25):
            blobs[f"cut{int(fraction * 100):02d}{ext}"] = data[:max(4, int(len(data) * fraction))]
    png = bytearray(valid[".png"])
    for w, h, tag in ((30000, 30000, "30k"), (100000, 100000, "100k"), (16000, 16000, "16k"), (0, 40, "zero_w"),
                      (56, 0, "zero_h"), (2 ** 31 - 1, 1, "max_int")):
        png[16:24] = struct.pack(">II", w, h)
        blobs[f"bomb_{tag}.png"] = bytes(png)
    jpg = bytearray(valid[".jpg"])
    sof = jpg.index(b"\xff\xc0")
    for h, w, tag in ((30000, 30000, "30k"), (65535, 65535, "64k"), (0, 56, "zero_h")):
        jpg[sof + 5:sof + 9] = struct.pack(">HH", h, w)
        blobs[f"bomb_{tag}.jpg"] = bytes(jpg)
    cmyk = bytearray(valid[".jpg"])
    cmyk[sof + 9] = 4
    blobs["cmyk.jpg"] = bytes(cmyk)
    bmp = bytearray(valid[".bmp"])
    for w, h, tag in ((100000, 100000, "100k"), (20000, -20000, "top_down_20k")):
        bmp[18:26] = struct.pack("<ii", w, h)
        blobs[f"bomb_{tag}.bmp"] = bytes(bmp)
    for w, h, tag in ((16383, 16383, "16k"), (16383, 1, "wide")):  # VP8X: canvas size - 1, 24 bits each
        chunk = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (w - 1).to_bytes(3, "little") + \
            (h - 1).to_bytes(3, "little")
        blobs[f"bomb_{tag}.webp"] = b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
    for w, h, tag in ((50000, 50000, "50k"), (100000, 3, "wide")):
        entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (277, 3, 1, 3)]
        ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + bytes(4)
        blobs[f"bomb_{tag}.tif"] = b"II*\x00" + struct.pack("<I", 8) + ifd
    files = []
    for name, data in blobs.items():
        (folder / name).write_bytes(data)
        files.append(folder / name)
    (folder / "folder.png").mkdir()
    os.mkfifo(folder / "fifo.png")
    for name, target in (("zero.png", "/dev/zero"), ("urandom.jpg", "/dev/urandom"), ("dangling.png", "nowhere.png"),
                         ("loop.png", "loop.png")):
        (folder / name).symlink_to(target)
    files += [folder / n for n in ("folder.png", "fifo.png", "zero.png", "urandom.jpg", "dangling.png", "loop.png",
                                   "missing.png")]
    if os.geteuid() != 0:  # root reads anything
        (folder / "unreadable.png").write_bytes(valid[".png"])
        (folder / "unreadable.png").chmod(0)
        files.append(folder / "unreadable.png")
    return files


def bad_models(folder: Path, good: Path) -> list[Path]:
    """About twenty-five model files that break the runtime's contract."""
    import onnx
    from onnx import TensorProto, helper

    folder.mkdir(parents=True)
    data = good.read_bytes()
    files = {}
    for name, blob in (("empty.onnx", b""), ("text.onnx", b"not a model"), ("cut10.onnx", data[:len(data) // 10]),
                       ("cut50.onnx", data[:len(data) // 2]), ("cut99.onnx", data[:-10]),
                       ("random.onnx", np.random.default_rng(4).bytes(5000))):
        files[name] = blob

    def edited(edit) -> bytes:
        model = onnx.load(str(good))
        edit(model)
        return model.SerializeToString()

    def set_prop(key, value):
        def edit(model):
            props = {p.key: p.value for p in model.metadata_props}
            props[key] = value
            del model.metadata_props[:]
            helper.set_model_props(model, {k: v for k, v in props.items() if v is not None})
        return edit

    files["no_metadata.onnx"] = edited(lambda m: m.metadata_props.__delitem__(slice(None)))
    files["bad_json.onnx"] = edited(set_prop("stylecast.model_config", "{not json"))
    files["future_version.onnx"] = edited(set_prop("stylecast.format_version", "99"))
    files["bad_version.onnx"] = edited(set_prop("stylecast.format_version", "one"))
    files["unknown_layout.onnx"] = edited(set_prop("stylecast.layout", "yuv420"))
    files["layout_lie.onnx"] = edited(set_prop("stylecast.layout", "rgb_float"))
    files["missing_field.onnx"] = edited(set_prop("stylecast.arch", None))
    files["two_inputs.onnx"] = edited(lambda m: m.graph.input.append(
        helper.make_tensor_value_info("extra", TensorProto.FLOAT, [1])))
    files["two_outputs.onnx"] = edited(lambda m: m.graph.output.append(m.graph.input[0]))

    def replace_graph(nodes, out_shape):
        """The good model's metadata and input (renamed x) over a graph of `nodes` computing an output y."""
        def edit(model):
            x = model.graph.input[0]
            x.name = "x"
            y = helper.make_tensor_value_info("y", TensorProto.UINT8, out_shape)
            constants = [helper.make_tensor(name, TensorProto.INT64, [1], [value]) for name, value in
                         (("zero", 0), ("one", 1), ("two", 2), ("big", 2 ** 30), ("h_axis", 1), ("c_axis", 3))]
            model.graph.CopyFrom(helper.make_graph(nodes, "liar", [x], [y], constants))
            del model.opset_import[:]
            model.opset_import.append(helper.make_opsetid("", 17))
        return edit

    files["four_channels.onnx"] = edited(replace_graph(  # really returns B, G, R and B again
        [helper.make_node("Slice", ["x", "zero", "one", "c_axis"], ["b"]),
         helper.make_node("Concat", ["x", "b"], ["y"], axis=3)], ["batch", "height", "width", 4]))
    files["half_height.onnx"] = edited(replace_graph(  # every second row: a model that changes the size
        [helper.make_node("Slice", ["x", "zero", "big", "h_axis", "two"], ["y"])], ["batch", "h", "width", 3]))

    def float_input(model):
        model.graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT

    files["float_input.onnx"] = edited(float_input)
    files["rank3_input.onnx"] = edited(lambda m: m.graph.input[0].type.tensor_type.shape.dim.pop())

    def external(location, dims=(3,)):
        def edit(model):
            tensor = TensorProto(name="evil", data_type=TensorProto.FLOAT, dims=list(dims),
                                 data_location=TensorProto.EXTERNAL)
            tensor.external_data.add(key="location", value=location)
            model.graph.initializer.append(tensor)
        return edit

    files["external_outside.onnx"] = edited(external("../../secret.bin"))
    files["external_absolute.onnx"] = edited(external("/etc/passwd"))
    files["external_device.onnx"] = edited(external("/dev/zero"))
    files["external_missing.onnx"] = edited(external("nothing.bin"))

    def huge(model):
        model.graph.initializer.append(TensorProto(name="huge", data_type=TensorProto.FLOAT,
                                                   dims=[100000, 100000, 100], raw_data=b"\0" * 16))
    files["huge_tensor.onnx"] = edited(huge)
    files["metadata_only.onnx"] = edited(lambda m: m.graph.node.__delitem__(slice(None)))
    out = []
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
        out.append(folder / name)
    (folder / "plain.plan").write_bytes(b"engine bytes")  # no sidecar
    (folder / "broken.plan").write_bytes(b"engine bytes")
    (folder / "broken.plan.json").write_text("{broken")
    (folder / "module.plan").write_bytes(b"engine bytes")
    (folder / "module.plan.json").write_text('{"trt_module": "this", "metadata": {}}')
    (folder / "folder.onnx").mkdir()
    os.mkfifo(folder / "fifo.onnx")
    (folder / "zero.onnx").symlink_to("/dev/zero")
    out += [folder / n for n in ("plain.plan", "broken.plan", "module.plan", "folder.onnx", "fifo.onnx",
                                 "zero.onnx", "missing.onnx")]
    return out


def bad_videos(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    clip = folder / "ok.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (64, 48))
    for i in range(6):
        writer.write(np.roll(synthetic_photo(48, 64), 2 * i, axis=1))
    writer.release()
    data = clip.read_bytes()
    clip.unlink()
    blobs = {"empty.mp4": b"", "text.mp4": b"not a video", "text.avi": b"RIFF\x10\x00\x00\x00AVI LIST",
             "cut05.avi": data[:len(data) // 20], "random.mkv": np.random.default_rng(5).bytes(4000),
             "png_as.mp4": _encode(".png", synthetic_photo(40, 56))}
    out = []
    for name, blob in blobs.items():
        (folder / name).write_bytes(blob)
        out.append(folder / name)
    for name, size in (("tiny_1x1.avi", (1, 1)), ("tiny_8x8.avi", (8, 8)), ("tiny_64x4.avi", (4, 64))):
        writer = cv2.VideoWriter(str(folder / name), cv2.VideoWriter_fourcc(*"MJPG"), 24.0, size)
        for _ in range(4):
            writer.write(np.full((size[1], size[0], 3), 128, np.uint8))
        writer.release()
        out.append(folder / name)
    (folder / "folder.mp4").mkdir()
    os.mkfifo(folder / "fifo.mp4")
    (folder / "zero.avi").symlink_to("/dev/zero")
    return out + [folder / n for n in ("folder.mp4", "fifo.mp4", "zero.avi", "missing.mp4")]


class _RunsCode:
    """A pickle that would create MARKER in the working folder if unpickled without weights_only."""

    def __reduce__(self):
        return (open, (MARKER, "w"))


def bad_checkpoints(folder: Path, good: Path) -> list[Path]:
    import torch

    folder.mkdir(parents=True)
    data = good.read_bytes()
    files = {"empty.pt": b"", "text.pt": b"not a checkpoint", "cut.pt": data[:len(data) // 2],
             "random.pt": np.random.default_rng(6).bytes(3000), "pickle.pt": pickle.dumps(_RunsCode())}
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    torch.save({"format": "stylecast-checkpoint", "payload": _RunsCode()}, folder / "torch_pickle.pt")
    torch.save([1, 2, 3], folder / "a_list.pt")
    state = torch.load(good, weights_only=True)
    nan = {**state, "model": {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
                              for k, v in state["model"].items()}}
    torch.save(nan, folder / "nan_weights.pt")
    torch.save({**state, "version": 99}, folder / "future.pt")
    torch.save({**state, "arch": "nosuch"}, folder / "unknown_arch.pt")
    torch.save({**state, "model": {}}, folder / "no_weights.pt")
    names = [*files, "torch_pickle.pt", "a_list.pt", "nan_weights.pt", "future.pt", "unknown_arch.pt",
             "no_weights.pt"]
    return [folder / n for n in names] + [folder / "missing.pt"]


def build(root: Path, model: Path, checkpoint: Path) -> tuple[list[Case], list[Path]]:
    """Every case, and the folders whose files must come through unchanged."""
    good = root / "good"
    good.mkdir(parents=True)
    photo, painting = good / "photo.png", good / "painting.png"
    cv2.imwrite(str(photo), synthetic_photo(40, 56))
    cv2.imwrite(str(painting), synthetic_painting(48, 48))
    object_mask = good / "mask.png"
    cv2.imwrite(str(object_mask), cv2.circle(np.zeros((40, 56), np.uint8), (28, 20), 12, 255, -1))
    paintings = good / "paintings"
    paintings.mkdir()
    for i in range(2):
        cv2.imwrite(str(paintings / f"s{i}.png"), synthetic_painting(48, 48, seed=i))
    photos = good / "photos"
    photos.mkdir()
    for i in range(3):
        cv2.imwrite(str(photos / f"p{i}.png"), synthetic_photo(40, 56, seed=i))
    clip = good / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 24.0, (64, 48))
    for i in range(6):
        writer.write(np.roll(synthetic_photo(48, 64), 2 * i, axis=1))
    writer.release()
    shutil.copy(model, good / "model.onnx")
    shutil.copy(checkpoint, good / "model.pt")
    model, checkpoint = good / "model.onnx", good / "model.pt"
    (root / "secret.bin").write_bytes(bytes(12))
    images = bad_images(root / "images")
    models = bad_models(root / "models" / "inner", model)
    videos = bad_videos(root / "videos")
    checkpoints = bad_checkpoints(root / "checkpoints", checkpoint)
    cases: list[Case] = []
    outs = root / "out"

    def add(name: str, argv_of, codes=(1, 2), watch=()):
        out = outs / f"{len(cases):04d}"
        out.mkdir(parents=True)
        cases.append(Case(name, [str(a) for a in argv_of(out)], out, codes, list(watch)))

    tiny = ["--model-setting", "width=4", "--model-setting", "residual_blocks=1"]
    optimize = ["--size", "32", "--steps", "1", "--device", "cpu", "--quiet"]
    for image in images:
        n = image.name
        add(f"stylize {n}", lambda o: ["stylize", image, "--model", model, "--out", o / "o.png", "--quiet"])
        add(f"stylize --max-size {n}", lambda o: ["stylize", image, "--model", model, "--out", o / "o.png",
                                                  "--max-size", "64", "--tile", "32", "--quiet"])
        add(f"optimize --content {n}", lambda o: ["optimize", "--content", image, "--style", painting, "--out",
                                                  o / "o.png", *optimize])
        add(f"optimize --style {n}", lambda o: ["optimize", "--content", photo, "--style", image, "--out",
                                                o / "o.png", *optimize])
        add(f"texture --style {n}", lambda o: ["texture", "--style", image, "--out", o / "o.png", *optimize])
        add(f"blend --background {n}", lambda o: ["blend", "--background", image, "--object", photo, "--mask",
                                                  object_mask, "--scale", "0.3", "--method", "poisson", "--out",
                                                  o / "o.png", "--quiet"])
        add(f"blend --object {n}", lambda o: ["blend", "--background", painting, "--object", image, "--mask",
                                              object_mask, "--method", "poisson", "--out", o / "o.png", "--quiet"])
        if "arbitrary-lite" in bundled_names():
            add(f"stylize --style {n}", lambda o: ["stylize", photo, "--style", image, "--out", o / "o.png",
                                                   "--quiet"])
        add(f"train --style {n}", lambda o: ["train", "--style", image, "--data", photos, "--out", o / "m.pt",
                                             "--arch", "lite", *tiny, "--steps", "1", "--size", "32",
                                             "--device", "cpu", "--quiet"])
    for bad in models:
        n = bad.name
        add(f"stylize --model {n}", lambda o: ["stylize", photo, "--model", bad, "--out", o / "o.png", "--quiet"])
        add(f"stylize torch --model {n}", lambda o: ["stylize", photo, "--model", bad, "--backend", "torch",
                                                     "--out", o / "o.png", "--quiet"])
        add(f"video --model {n}", lambda o: ["video", clip, "--model", bad, "--out", o / "o.mp4", "--quiet"])
        add(f"live --model {n}", lambda o: ["live", "--source", clip, "--model", bad, "--no-window", "--frames",
                                            "2", "--quiet"])
        add(f"bench --model {n}", lambda o: ["bench", "--model", bad, "--runs", "1", "--warmup", "0",
                                             "--resolution", "32x32", "--quiet"])
    for video in videos:
        n = video.name
        add(f"video {n}", lambda o: ["video", video, "--model", model, "--out", o / "o.mp4", "--quiet"])
        add(f"video --stabilize {n}", lambda o: ["video", video, "--model", model, "--out", o / "o.mp4",
                                                 "--stabilize", "--quiet"])
        if n == "png_as.mp4":  # FFmpeg plays a PNG as a one-frame video: live shows that frame, as it should
            continue
        add(f"live {n}", lambda o: ["live", "--source", video, "--model", model, "--no-window", "--frames", "3",
                                    "--quiet"])
        add(f"live --output {n}", lambda o: ["live", "--source", video, "--model", model, "--no-window",
                                             "--frames", "3", "--output", o / "rec.mp4", "--quiet"])
    for bad in checkpoints:
        n = bad.name
        add(f"export {n}", lambda o: ["export", bad, "--out", o / "m.onnx", "--quiet"])
        add(f"train --init {n}", lambda o: ["train", "--style", painting, "--data", photos, "--out", o / "m.pt",
                                            "--init", bad, "--arch", "lite", *tiny, "--steps", "1", "--size", "32",
                                            "--device", "cpu", "--quiet"])
    # outputs that must never be written: the inputs themselves, things that are not files, impossible places
    places = root / "outputs"
    places.mkdir()
    (places / "a_file").write_text("keep me")
    locked = places / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        locked.chmod(0o555)

    def bad_outputs(extension: str) -> list[Path]:
        """Places no output with this extension may be written to."""
        (places / f"folder{extension}").mkdir(exist_ok=True)
        if not (places / f"fifo{extension}").exists():
            os.mkfifo(places / f"fifo{extension}")
        out = [places / f"folder{extension}", places / f"fifo{extension}", places / "a_file" / f"o{extension}",
               places / "a_file" / "deeper" / f"o{extension}", Path(f"/proc/stylecast_o{extension}"),
               places / ("x" * 300 + extension), Path("/dev/null"), Path("/dev/full")]
        return out + ([locked / f"o{extension}"] if os.geteuid() != 0 else [])

    runs = {
        ".png": [("stylize", lambda t: ["stylize", photo, "--model", model, "--out", t, "--quiet"]),
                 ("optimize", lambda t: ["optimize", "--content", photo, "--style", painting, "--out", t,
                                         *optimize])],
        ".mp4": [("video", lambda t: ["video", clip, "--model", model, "--out", t, "--quiet"]),
                 ("live", lambda t: ["live", "--source", clip, "--model", model, "--no-window", "--frames", "3",
                                     "--output", t, "--quiet"])],
        ".onnx": [("export", lambda t: ["export", checkpoint, "--out", t, "--quiet"])],
        ".csv": [("bench --csv", lambda t: ["bench", "--model", model, "--runs", "1", "--warmup", "0",
                                            "--resolution", "32x32", "--csv", t, "--quiet"])],
        ".pt": [("train", lambda t: ["train", "--style", painting, "--data", photos, "--out", t, "--arch", "lite",
                                     *tiny, "--steps", "1", "--size", "32", "--device", "cpu", "--quiet"])],
    }
    for extension, commands in runs.items():
        for target in bad_outputs(extension):
            for label, argv_of in commands:
                add(f"{label} --out {target.name[:24]}", lambda o: argv_of(target), watch=[target])
    for extension in (".gif", ".txt", ""):  # types nothing here writes (stylize takes a name without one as a folder)
        for label, argv_of in runs[".png"] + runs[".mp4"] + runs[".onnx"]:
            if not (label == "stylize" and extension == ""):
                add(f"{label} --out o{extension}", lambda o: argv_of(o / f"o{extension}"))
    # an output that is the command's own input, also through a link
    (places / "photo_link.png").symlink_to(photo)
    for label, argv in (
            ("stylize onto its input", ["stylize", photo, "--model", model, "--out", photo]),
            ("stylize onto a link to its input", ["stylize", photo, "--model", model, "--out",
                                                  places / "photo_link.png"]),
            ("optimize onto its content", ["optimize", "--content", photo, "--style", painting, "--out", photo,
                                           *optimize]),
            ("optimize onto its style", ["optimize", "--content", photo, "--style", painting, "--out", painting,
                                         *optimize]),
            ("video onto its input", ["video", clip, "--model", model, "--out", clip]),
            ("live onto its source", ["live", "--source", clip, "--model", model, "--no-window", "--frames", "3",
                                      "--output", clip]),
            ("two inputs, one file", ["stylize", photos / "p0.png", photos / "p1.png", "--model", model, "--out",
                                      root / "out" / "two.png"])):
        add(label, lambda o: [*argv, "--quiet"], watch=[root / "out" / "two.png"])
    # numbers and choices
    stylize = ["stylize", photo, "--model", model, "--quiet", "--out"]
    options = {
        "stylize": (stylize, [
            ("--strength", ["nan", "inf", "-1", "2", "x"]), ("--scale", ["0", "-1", "nan", "5"]),
            ("--max-size", ["0", "-5", "1e9"]), ("--tile", ["8", "-1", "0"]), ("--tile-overlap", ["-1"]),
            ("--tile 64 --tile-overlap", ["40"]),
            ("--max-pixels", ["0", "-1", "nan"]), ("--threads", ["0", "-1", "100000"]), ("--format", ["gif"]),
            ("--backend", ["foo", ""]), ("--device", ["tpu", "cuda:x"]), ("--model", ["nosuch", "a.txt", ""]),
            ("--style", ["nosuch.jpg", ""]), ("--style-blend", ["1,2", "x", "-1"])]),
        "video": (["video", clip, "--model", model, "--quiet", "--out"], [
            ("--crf", ["-1", "52", "nan"]), ("--encoder", ["foo"]), ("--scale", ["0", "nan"])]),
        "live": (["live", "--source", clip, "--model", model, "--no-window", "--quiet", "--output"], [
            ("--frames", ["0", "-1", "x"]), ("--source", ["nosuch.avi", "99", ""]), ("--strength", ["nan"])]),
        "bench": (["bench", "--model", model, "--quiet", "--csv"], [
            ("--runs", ["0", "-1"]), ("--warmup", ["-1"]), ("--resolution", ["0x0", "abc", "-5x5", "100000x100000",
                                                                             "32"]), ("--threads", ["0"])]),
        "optimize": (["optimize", "--content", photo, "--style", painting, "--device", "cpu", "--quiet", "--steps",
                      "2", "--out"], [
            ("--lr", ["nan", "0", "-1"]), ("--steps", ["0", "-1"]),
            ("--size", ["7", "0", "-1", "100000", "64x0", "1x2x3"]),
            ("--seed", ["-1"]), ("--style-weight", ["nan", "-1"]), ("--content-weight", ["inf"]),
            ("--scales", ["0"]), ("--optimizer", ["foo"]), ("--init", ["foo"]), ("--style-blend", ["1,2"]),
            ("--style-layers", ["relu9_9", ""]), ("--pooling", ["foo"]), ("--snapshot-every", ["-1"]),
            ("--tv-weight", ["-1"]), ("--style-size", ["0"]), ("--device", ["tpu"])]),
        "train": (["train", "--style", painting, "--data", photos, "--device", "cpu", "--quiet", "--arch", "lite",
                   *tiny, "--out"], [
            ("--size", ["7", "0"]), ("--seed", ["-1"]), ("--steps", ["0", "-1"]), ("--batch-size", ["0"]),
            ("--lr", ["nan", "0"]), ("--style-weight", ["nan"]), ("--arch", ["foo"]),
            ("--model-setting", ["width=abc", "nosuch=1", "width"]), ("--time-limit", ["0", "-1"]),
            ("--workers", ["-1"]), ("--style-layers", ["bogus"]), ("--data", ["nosuch"]),
            ("--log-every", ["0"]), ("--lr-decay", ["2"]), ("--temporal-weight", ["-1"])]),
        "train-arbitrary": (["train-arbitrary", "--data", photos, "--styles", paintings, "--device", "cpu",
                             "--quiet", *tiny, "--steps", "1", "--size", "32", "--views", "1", "--photo-views", "0",
                             "--out"], [
            ("--hold-out", ["nosuch"]), ("--hold-out s0.png --hold-out", ["s1.png"]), ("--size", ["7"]),
            ("--steps", ["0"]),
            ("--lr", ["nan", "0"]), ("--style-weight", ["-1"]), ("--views", ["0"]), ("--data", ["nosuch"]),
            ("--styles", ["nosuch"]), ("--content-layer", ["relu9_9"]), ("--time-limit", ["0"]),
            ("--model-setting", ["nosuch=1"]), ("--init", ["nosuch.pt"])]),
        "train-gan": (["train-gan", "--mode", "cyclegan", "--domain-a", photos, "--domain-b", photos, "--device",
                       "cpu", "--quiet", "--out"], [
            ("--size", ["7"]), ("--steps", ["0"]), ("--d-layers", ["0"]), ("--cycle-weight", ["-1"]),
            ("--zoom-b", ["0.5"]), ("--mode", ["foo"]), ("--domain-a", ["nosuch"]), ("--batch-size", ["0"])]),
        "blend": (["blend", "--background", painting, "--object", photo, "--mask", object_mask, "--quiet",
                   "--out"], [("--scale", ["0", "-1", "nan", "100"]), ("--at", ["x", "1,2,3", "-500,0"]),
                              ("--size", ["0", "100000"]), ("--method", ["magic"]), ("--stylization-level", ["0"]),
                              ("--steps", ["0"])]),
        "batch": (["batch", photos, "--model", model, "--quiet", "--out"], [
            ("--engine", ["spark"]), ("--engine ray --concurrency", ["0"]), ("--model", ["nosuch"]),
            ("--threads", ["0"])]),
        "export-triton": (["export-triton", model, "--quiet", "--out"], [
            ("--max-batch-size", ["0"]), ("--instances", ["-1"]), ("--platform", ["tensorflow", "tensorrt"])]),
        "make-pairs": (["make-pairs", "--task", "gray2color", "--photos", photos, "--quiet", "--out"], [
            ("--task", ["foo"]), ("--photos", ["nosuch"]), ("--size", ["0", "7"])]),
        "export": (["export", checkpoint, "--quiet", "--out"], [
            ("--layout", ["foo"]), ("--precision", ["int4"]), ("--calibration", ["nosuch"])]),
    }
    suffix = {"batch": "styled", "export-triton": "repo",
              "video": "o.mp4", "live": "rec.mp4", "bench": "b.csv", "train": "m.pt", "train-gan": "m.pt",
              "train-arbitrary": "m.pt",
              "make-pairs": "pairs", "export": "m.onnx"}
    for command, (base, choices) in options.items():
        for option, values in choices:
            for value in values:
                add(f"{command} {option} {value!r}", lambda o: [*base, o / suffix.get(command, "o.png"),
                                                                *option.split(), value])
    for argv in (["nosuchcommand"], ["stylize"], ["video", clip], ["train", "--style", painting], ["export"],
                 ["train-gan", "--out", "x.pt"], ["build-engine", model], ["optimize"], ["make-pairs"],
                 ["batch", "nosuch", "--out", "x"], ["export-triton", "nosuch", "--out", "x"],
                 ["train-arbitrary", "--out", "x.pt"]):
        add(f"incomplete {' '.join(map(str, argv[:2]))}", lambda o: argv)
    return cases, [root / "good", root / "images", root / "models", root / "videos", root / "checkpoints",
                   places]

"""The contract between `stylecast export` and the runtime: what an ONNX file's metadata says.

Export writes these keys into the ONNX file's metadata_props; the runtime reads them before running a model and
refuses files without them. Nothing about a model is guessed from its file name.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .errors import UserError

FORMAT = "stylecast-onnx"
FORMAT_VERSION = 1
LAYOUTS = ("bgr8", "rgb_float")  # uint8 NHWC BGR 0..255 (what OpenCV hands over) | float32 NCHW RGB 0..1
PRECISIONS = ("fp32", "fp16", "int8")
PREFIX = "stylecast."
STYLE_ENCODER_SUFFIX = ".style.onnx"  # an arbitrary-style model's style side, beside MODEL.onnx


@dataclass
class ModelMetadata:
    arch: str
    model_config: dict
    style_name: str
    style_images: list
    train_size: int
    layout: str
    stride: int
    macs_per_pixel: float
    checkpoint_sha256: str
    precision: str
    stylecast_version: str
    loss_config: dict = field(default_factory=dict)
    parity: dict = field(default_factory=dict)
    task: str = "style"  # what the model does to an image: style (a painting's look), ...
    method: str = "perceptual"  # how it was trained: perceptual (a VGG19 loss, Johnson et al.), ...
    # Arbitrary-style models only (empty otherwise): for the per-frame file, role "frame", the initializer holding
    # the style vector, its length, the side style images are encoded at, the default painting and its vector, and
    # the paintings held out of training; for the style side (MODEL.style.onnx), role "style-encoder".
    conditional: dict = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_props(self) -> dict[str, str]:
        """Flat string key/values for ONNX metadata_props (dicts and lists as JSON)."""
        return {PREFIX + key: value if isinstance(value, str) else json.dumps(value)
                for key, value in asdict(self).items()}

    @classmethod
    def from_props(cls, props: dict[str, str], source: str = "model") -> "ModelMetadata":
        if props.get(PREFIX + "format") != FORMAT:
            raise UserError(f"{source}: not a stylecast model (no stylecast metadata); export it with "
                            f"'stylecast export CHECKPOINT --out MODEL.onnx'")
        try:
            version = int(props.get(PREFIX + "format_version", "0"))
        except ValueError:
            raise UserError(f"{source}: its stylecast metadata's format_version is not a number") from None
        if version > FORMAT_VERSION:
            raise UserError(f"{source}: model format version {version} is newer than this stylecast reads "
                            f"({FORMAT_VERSION}); upgrade stylecast")
        values = {}
        for key, typ in cls.__annotations__.items():
            raw = props.get(PREFIX + key)
            if raw is None:
                continue
            try:
                values[key] = raw if typ == "str" else json.loads(raw)
            except ValueError:
                raise UserError(f"{source}: its stylecast metadata's {key} is not valid JSON") from None
        kinds = {"str": str, "dict": dict, "list": list, "int": int, "float": (int, float)}
        for key, value in values.items():
            kind = kinds.get(cls.__annotations__[key])
            if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise UserError(f"{source}: its stylecast metadata's {key} should be a {cls.__annotations__[key]}, "
                                f"not {type(value).__name__}")
        try:
            meta = cls(**values)
        except TypeError as error:
            raise UserError(f"{source}: incomplete stylecast metadata ({error})") from None
        if meta.layout not in LAYOUTS:
            raise UserError(f"{source}: unknown layout {meta.layout!r}; this stylecast knows {', '.join(LAYOUTS)}")
        return meta


# What each layout's one input and one output must be: (element type, rank, axis holding the 3 colour channels).
LAYOUT_IO = {"bgr8": ("uint8", 4, 3), "rgb_float": ("float32", 4, 1)}


def check_model_io(path, meta: "ModelMetadata", inputs: list[tuple[str, list]],
                   outputs: list[tuple[str, list]]) -> None:
    """The runtime's contract with a model file: exactly one input and one output, each of the element type, rank
    and channel count its metadata's layout promises (dimensions may be symbolic: None or a name). `inputs` and
    `outputs` are (element type, shape) pairs as the backend reads them from the graph. A file whose graph
    disagrees with its metadata is refused with the reason, before any frame reaches it, for every backend."""
    if len(inputs) != 1 or len(outputs) != 1:
        raise UserError(f"{path}: a stylecast model has one input and one output; this one has {len(inputs)} and "
                        f"{len(outputs)}")
    dtype, rank, channel_axis = LAYOUT_IO[meta.layout]
    for role, (actual_type, shape) in (("input", inputs[0]), ("output", outputs[0])):
        channels = shape[channel_axis] if len(shape) == rank else None
        if actual_type != dtype or len(shape) != rank or (isinstance(channels, int) and channels != 3):
            raise UserError(f"{path}: its {role} is {actual_type} of shape {list(shape)}, but its metadata's layout "
                            f"{meta.layout!r} needs {dtype} of rank {rank} with 3 channels on axis {channel_axis}")

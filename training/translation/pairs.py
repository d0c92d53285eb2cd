"""Paired data for pix2pix and pix2pixHD: a folder with `A/` (inputs) and `B/` (targets) holding the same names.

`find_pairs` matches them and says exactly what does not match; `PairDataset` crops both images of a pair the same
way (the same random scale, crop and flip: pix2pix's "jitter"); `make_pairs` builds pairs from any folder of
photos (`stylecast make-pairs`): grayscale -> colour, Canny edges -> photo, or photo -> stylised photo (through a
bundled model, or by Gatys optimisation, many photos at once on one device).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import image_files, read_image, write_image
from stylecast.runtime.progress import progress_bar

from ..dataset import IMAGE_EXTENSIONS, find_images, random_crop

TASKS = ("gray2color", "edges2photo", "stylize")


def find_pairs(root: str | Path) -> list[tuple[Path, Path]]:
    """(A file, B file) for every name in both `root/A` and `root/B` (matched by relative path without extension);
    a missing side or a name without its partner is a UserError that names it."""
    root = Path(root)
    sides = {}
    for side in ("A", "B"):
        folder = root / side
        if not folder.is_dir():
            raise UserError(f"{root}: a paired folder needs {side}/ (inputs in A/, targets in B/ with the same names)")
        sides[side] = {p.relative_to(folder).with_suffix("").as_posix(): p
                       for p in image_files(folder, IMAGE_EXTENSIONS)}
    a, b = sides["A"], sides["B"]
    if not a and not b:
        raise UserError(f"{root}: A/ and B/ hold no images")
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        what = (f"{len(only_a)} in A/ without a partner in B/ (first: {only_a[0]})" if only_a else "") + \
               ("; " if only_a and only_b else "") + \
               (f"{len(only_b)} in B/ without a partner in A/ (first: {only_b[0]})" if only_b else "")
        raise UserError(f"{root}: unmatched pairs: {what}")
    return [(a[name], b[name]) for name in sorted(a)]


class PairDataset(torch.utils.data.Dataset):
    """Items are (pair index, crop seed), as CropDataset's; returns two (3, size, size) RGB tensors in 0..1, cropped
    alike (the target is resized to the input's size first if they differ)."""

    def __init__(self, pairs: list[tuple[Path, Path]], size: int):
        self.pairs, self.size = pairs, size

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, item: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = item
        a, b = (read_image(path) for path in self.pairs[index])
        if b.shape[:2] != a.shape[:2]:
            b = cv2.resize(b, a.shape[1::-1], interpolation=cv2.INTER_AREA)
        return tuple(_to_tensor(random_crop(image, self.size, np.random.default_rng(seed))) for image in (a, b))


def _to_tensor(bgr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(bgr[:, :, ::-1], dtype=np.float32) / 255.0).permute(2, 0, 1)


def grayscale(image: np.ndarray) -> np.ndarray:
    """The input of a colourisation pair: Rec. 601 luminance in all three channels (what UNet's luminance sees)."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def edges(image: np.ndarray) -> np.ndarray:
    """The input of an edges -> photo pair: Canny edges (thresholds from the median grey level, after a light blur)
    as black lines on white, as edges2shoes and edges2handbags draw them."""
    gray = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    median = float(np.median(gray))
    lines = cv2.Canny(gray, int(max(0, 0.66 * median)), int(min(255, 1.33 * median)))
    return cv2.cvtColor(255 - lines, cv2.COLOR_GRAY2BGR)


def fitted(image: np.ndarray, size: int) -> np.ndarray:
    """Shorter side `size` (photos are stored at the training scale, so crops see whole objects)."""
    scale = size / min(image.shape[:2])
    if abs(scale - 1) < 1e-6:
        return image
    new = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, new, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def make_pairs(task: str, photos: Path, out: Path, size: int = 256, model: str | None = None,
               style: Path | None = None, gatys_steps: int = 100, batch: int = 16, device: str = "auto",
               progress: bool = True, limit: int | None = None) -> int:
    """Write out/A and out/B for every readable photo; returns the number of pairs. `stylize` uses the bundled or
    given `model` through the runtime, or, with `style`, Gatys optimisation (square center crops of `size`, batched
    `batch` at a time)."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    files, _ = find_images(photos, progress=False)
    files = files[:limit] if limit else files
    if task == "stylize" and style is None:
        from stylecast.runtime.stylizer import Stylizer

        stylizer = Stylizer(model=model)
    names = [p.relative_to(photos).with_suffix(".png") for p in files]
    if task == "stylize" and style is not None:
        return _gatys_pairs(files, names, out, size, style, gatys_steps, batch, device, progress)
    for path, name in progress_bar(list(zip(files, names)), quiet=not progress, desc=task, unit="img"):
        photo = fitted(read_image(path), size)
        if task == "gray2color":
            a, b = grayscale(photo), photo
        elif task == "edges2photo":
            a, b = edges(photo), photo
        else:
            a, b = photo, stylizer.stylize(photo)
        write_image(out / "A" / name, a)
        write_image(out / "B" / name, b)
    return len(files)


def _gatys_pairs(files, names, out: Path, size: int, style: Path, steps: int, batch: int, device: str,
                 progress: bool) -> int:
    """Photo -> its Gatys stylisation (content relu4_2, style relu1_1-relu5_1, from the photo, L-BFGS), a batch of
    photos optimised together (the loss is a mean over independent images, so each keeps its own optimum)."""
    from ..device import resolve_device
    from ..gatys import optimise_image
    from ..perceptual import LossConfig, PerceptualLoss
    from ..tensors import bgr8_to_tensor, fitted_tensor, tensor_to_bgr8

    torch_device = resolve_device(device)
    loss = PerceptualLoss(LossConfig(), [fitted_tensor(read_image(style), 512)], device=torch_device)
    jobs = list(zip(files, names))
    for start in progress_bar(range(0, len(jobs), batch), quiet=not progress, desc="gatys pairs", unit="batch"):
        chunk = jobs[start:start + batch]
        crops = []
        for path, _ in chunk:
            photo = fitted(read_image(path), size)
            top, left = (photo.shape[0] - size) // 2, (photo.shape[1] - size) // 2
            crops.append(np.ascontiguousarray(photo[top:top + size, left:left + size]))
        content = torch.cat([bgr8_to_tensor(c, torch_device) for c in crops])
        image = optimise_image(loss, content, loss.content_targets(content), steps, "lbfgs")
        for (path, name), crop, result in zip(chunk, crops, image.clamp(0, 1).detach()):
            write_image(out / "A" / name, crop)
            write_image(out / "B" / name, tensor_to_bgr8(result[None]))
    return len(jobs)

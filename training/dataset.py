"""Training photos: any folder of JPEG/PNG/WebP/BMP files, as random square crops.

Unreadable files are found once, up front, and skipped with a count instead of crashing a run hours in.
Which images and crops a step uses depends only on (seed, step, rank), so a resumed run continues exactly
where it stopped and DataLoader workers need no shared state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import torch

from stylecast.runtime.errors import UserError
from stylecast.runtime.progress import progress_bar
from stylecast.runtime.imageio import image_files, read_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def find_images(root: str | Path, progress: bool = True) -> tuple[list[Path], int]:
    """Readable image files under `root` (recursively) and the number of unreadable ones skipped."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: not a folder of training images")
    candidates = image_files(root, IMAGE_EXTENSIONS)
    readable, skipped = [], 0
    for path in progress_bar(candidates, quiet=not progress, desc="checking images", unit="img"):
        data = np.fromfile(str(path), np.uint8)
        header_ok = data.size > 0 and cv2.imdecode(data, cv2.IMREAD_REDUCED_COLOR_8) is not None
        if header_ok:
            readable.append(path)
        else:
            skipped += 1
    if not readable:
        raise UserError(f"{root}: no readable JPEG/PNG/WebP/BMP images ({skipped} unreadable)")
    return readable, skipped


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator, zoom: float = 1.0) -> np.ndarray:
    """Scale so the shorter side is `size` times `zoom` times a random factor in [1, 1.5], crop size x size, maybe
    flip. Returns HxWx3 uint8 BGR. A `zoom` above 1 makes many different crops of one large image (a painting
    gives CycleGAN dozens of training images this way)."""
    height, width = image.shape[:2]
    scale = size * zoom * rng.uniform(1.0, 1.5) / min(height, width)
    new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    top, left = rng.integers(0, new_h - size + 1), rng.integers(0, new_w - size + 1)
    crop = image[top:top + size, left:left + size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


class CropDataset(torch.utils.data.Dataset):
    """Items are addressed by (file index, crop seed); returns (3, size, size) RGB float in 0..1."""

    def __init__(self, files: list[Path], size: int):
        self.files, self.size = files, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, item: tuple[int, int]) -> torch.Tensor:
        index, crop_seed = item
        crop = random_crop(read_image(self.files[index]), self.size, np.random.default_rng(crop_seed))
        rgb = np.ascontiguousarray(crop[:, :, ::-1], dtype=np.float32) / 255.0
        return torch.from_numpy(rgb).permute(2, 0, 1)


class StepBatches(torch.utils.data.Sampler):
    """Batches for steps start_step+1 .. steps: batch t of rank r is drawn from a generator seeded by (seed, t, r)."""

    def __init__(self, count: int, batch_size: int, steps: int, start_step: int = 0, seed: int = 0, rank: int = 0):
        self.count, self.batch_size, self.steps, self.start_step = count, batch_size, steps, start_step
        self.seed, self.rank = seed, rank

    def __len__(self) -> int:
        return max(0, self.steps - self.start_step)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start_step + 1, self.steps + 1):
            rng = np.random.default_rng([self.seed, step, self.rank])
            indices = rng.integers(0, self.count, self.batch_size)
            seeds = rng.integers(0, 2 ** 62, self.batch_size)
            yield [(int(i), int(s)) for i, s in zip(indices, seeds)]

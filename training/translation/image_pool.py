"""The image pool of CycleGAN (Zhu et al. 2017, after Shrivastava et al. 2017): the discriminators learn from a
history of generated images, not only the latest batch, which damps the oscillation between the two players.

Until it holds `size` images the pool returns each new image and keeps it; once full, each new image is, with
probability 1/2, swapped for a stored one (the stored one is returned, the new one kept in its place), or else
returned as it is. Its own random generator makes it deterministic under a seed.
"""

from __future__ import annotations

import numpy as np
import torch


class ImagePool:
    def __init__(self, size: int = 50, seed: int = 0):
        self.size = size
        self.images: list[torch.Tensor] = []
        self.rng = np.random.default_rng(seed)

    def query(self, batch: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return batch
        out = []
        for image in batch.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif self.rng.random() < 0.5:
                index = int(self.rng.integers(0, self.size))
                out.append(self.images[index])
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

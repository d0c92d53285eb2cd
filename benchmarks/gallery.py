"""What the shipped models make of photos they never saw: one contact sheet per photo, for the README.

The loss numbers (quality.py) say how close a model gets to Gatys optimisation; they do not say whether the result
looks good, nor show artefacts a loss averages away (the TransformerNets' glows once were such). So every bundled
model stylises each held-out photo through the runtime, exactly as `stylecast stylize` does, and the outputs are
laid out in a grid: a row per style (its painting first), a column per kind of model, the photo itself top left.

    python benchmarks/gallery.py --photos ../shared/data/demo/astronaut.png ../shared/data/demo/coffee.png \
        --styles ../shared/data/styles

Writes benchmarks/results/gallery_PHOTO.jpg (the photo's name without its suffix).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from stylecast.runtime.stylizer import Stylizer

RESULTS = Path(__file__).parent / "results"
KINDS = {"lite": "LiteNet", "lite-stable": "LiteNet-stable", "transformer": "TransformerNet"}
LABEL_HEIGHT = 26


def square(image: np.ndarray, side: int) -> np.ndarray:
    """The centred square crop of `image`, resized to `side` pixels."""
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return cv2.resize(image[top:top + s, left:left + s], (side, side), interpolation=cv2.INTER_AREA)


def labelled(image: np.ndarray, text: str) -> np.ndarray:
    """`image` with `text` on a white strip above it."""
    strip = np.full((LABEL_HEIGHT, image.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (6, LABEL_HEIGHT - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([strip, image])


def models_by_style(names: list[str]) -> dict[str, dict[str, str]]:
    """{style: {kind: model name}} for bundled names of the form STYLE-KIND, KIND one of KINDS; others are left
    out."""
    table: dict[str, dict[str, str]] = {}
    for name in names:
        kind = next((k for k in KINDS if name.endswith("-" + k)), None)
        if kind:
            table.setdefault(name[:-len(kind) - 1], {})[kind] = name
    return dict(sorted(table.items()))


def contact_sheet(photo: np.ndarray, photo_name: str, styles: dict[str, dict[str, Stylizer]],
                  paintings: dict[str, np.ndarray], side: int) -> np.ndarray:
    """Rows: the photo, then one per style (painting, then each kind's output); columns: KINDS. `styles` holds
    the runtime's Stylizers, {style: {kind: stylizer}}, opened once for all photos."""
    content = square(photo, side)
    blank = np.full_like(content, 255)
    rows = [[labelled(content, photo_name)] + [labelled(blank, label) for label in KINDS.values()]]
    for style, stylizers in tqdm(styles.items(), desc=photo_name, leave=False):
        row = [labelled(square(paintings[style], side), style)]
        for kind in KINDS:
            stylizer = stylizers.get(kind)
            row.append(labelled(stylizer.stylize(content), stylizer.name) if stylizer else
                       labelled(blank, "(none)"))
        rows.append(row)
    return np.vstack([np.hstack(row) for row in rows])


def style_paintings(styles: dict[str, dict[str, str]], folder: Path) -> dict[str, np.ndarray]:
    """Each style's painting, by the image name its first bundled model's metadata records."""
    from stylecast.runtime.imageio import read_image
    from stylecast.runtime.models import resolve_model

    return {style: read_image(folder / resolve_model(next(iter(models.values()))).meta.style_images[0])
            for style, models in styles.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, nargs="+", required=True, help="held-out photos")
    parser.add_argument("--styles", type=Path, required=True, help="folder holding the models' style images")
    parser.add_argument("--side", type=int, default=256, help="pixels per cell; the models stylise at this size "
                        "(their training crops were 256 px)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from stylecast.runtime.imageio import read_image, write_image
    from stylecast.runtime.models import bundled_names
    from stylecast.runtime.stylizer import Stylizer

    names = models_by_style(bundled_names())
    paintings = style_paintings(names, args.styles)
    styles = {style: {kind: Stylizer(model=name) for kind, name in models.items()} for style, models in names.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.photos:
        sheet = contact_sheet(read_image(path), path.name, styles, paintings, args.side)
        out = args.out / f"gallery_{path.stem}.jpg"
        write_image(out, sheet, quality=88)
        print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Convert the UCI handwritten digits (scikit-learn's bundled copy) into fuseflow's .npz.

Run once by a maintainer: `pip install scikit-learn && python scripts/convert_digits.py`.
scikit-learn is never a dependency of fuseflow; only the resulting file ships.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fuseflow/keras_api/datasets/data/digits.npz"


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)  # pixel values are the integers 0..16
    labels = digits.target.astype(np.uint8)
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {images.shape} images")


if __name__ == "__main__":
    main()

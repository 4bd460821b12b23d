"""Dot: per-sample dot products between two tensors along chosen axes."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer

_LETTERS = "bcdefghijklmnopqrstuvwxyz"


class Dot(Layer):
    """Contract `axes` of two inputs per sample (cosine similarity when `normalize`)."""

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        axes = tuple(int(a) for a in axes)
        if len(axes) != 2:
            raise ValueError(f"Dot: `axes` must be an int or a pair of ints, received {axes}")
        self.axes, self.normalize = axes, bool(normalize)

    def _resolved(self, shapes) -> tuple[int, int]:
        if not isinstance(shapes, list | tuple) or len(shapes) != 2:
            raise ValueError(f'Layer "{self.name}" (Dot) must be called on a list of 2 inputs.')
        a, b = (tuple(s) for s in shapes)
        ax, bx = (axis % len(s) for axis, s in zip(self.axes, (a, b)))
        if 0 in (ax, bx) or (a[ax] is not None and b[bx] is not None and a[ax] != b[bx]):
            raise ValueError(f"Dimension incompatibility using dot product in axes {self.axes}:"
                             f" {a[ax]} != {b[bx]}. Layer shapes: {a}, {b}")
        return ax, bx

    def build(self, input_shape) -> None:
        self._resolved(input_shape)
        self.built = True

    def _equation(self, ra: int, rb: int, ax: int, bx: int) -> str:
        letters = iter(_LETTERS)
        shared = next(letters)
        xa = ["a"] + [next(letters) for _ in range(ra - 1)]
        xb = ["a"] + [next(letters) for _ in range(rb - 1)]
        xa[ax] = xb[bx] = shared
        out = [c for c in xa if c != shared] + [c for c in xb[1:] if c != shared]
        return f"{''.join(xa)},{''.join(xb)}->{''.join(out)}"

    def call(self, inputs):
        x, y = inputs
        ax, bx = self._resolved([x.shape, y.shape])
        if self.normalize:
            x, y = ff.math.l2_normalize(x, axis=ax), ff.math.l2_normalize(y, axis=bx)
        out = ff.einsum(self._equation(x.ndim, y.ndim, ax, bx), x, y)
        return ff.expand_dims(out, 1) if out.ndim == 1 else out

    def compute_output_shape(self, input_shape):
        a, b = (tuple(s) for s in input_shape)
        ax, bx = self._resolved(input_shape)
        out = [d for i, d in enumerate(a) if i != ax] + [d for i, d in enumerate(b) if i not
                                                          in (0, bx)]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes, normalize: bool = False, **kwargs):
    """Functional form of `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)

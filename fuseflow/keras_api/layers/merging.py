"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate (+ functions)."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.layers.base_layer import Layer


class Merge(Layer):
    """Combine a list of same-shaped tensors elementwise with `_merge`."""

    min_inputs = 2

    def _check(self, shapes) -> None:
        if not isinstance(shapes, list | tuple) or len(shapes) < self.min_inputs:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) should be called on '
                             f"a list of at least {self.min_inputs} inputs. Received: "
                             f"input_shape={shapes}")
        shapes = [tuple(s) for s in shapes]
        first = shapes[0]
        for shape in shapes[1:]:
            if len(shape) != len(first) or any(a is not None and b is not None and a != b
                                               and 1 not in (a, b)
                                               for a, b in zip(first[1:], shape[1:])):
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {first} and "
                                 f"{shape}")

    def build(self, input_shape) -> None:
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check([x.shape for x in inputs] if isinstance(inputs, list | tuple) else inputs)
        return self._merge(list(inputs))

    def _merge(self, inputs: list):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        return tuple(next((d for d in dims if d not in (None, 1)), dims[0])
                     for dims in zip(*shapes))


def _fold(fn, inputs: list):
    out = inputs[0]
    for x in inputs[1:]:
        out = fn(out, x)
    return out


class Add(Merge):
    """Sum of the inputs."""

    def _merge(self, inputs):
        return _fold(ff.add, inputs)


class Subtract(Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    def _check(self, shapes) -> None:
        super()._check(shapes)
        if len(shapes) != 2:
            raise ValueError(f'Layer "{self.name}" (Subtract) should be called on exactly 2 '
                             f"inputs. Received {len(shapes)} inputs.")

    def _merge(self, inputs):
        return ff.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Elementwise product of the inputs."""

    def _merge(self, inputs):
        return _fold(ff.multiply, inputs)


class Average(Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, inputs):
        return ff.multiply(_fold(ff.add, inputs), 1.0 / len(inputs))


class Maximum(Merge):
    """Elementwise maximum of the inputs."""

    def _merge(self, inputs):
        return _fold(ff.maximum, inputs)


class Minimum(Merge):
    """Elementwise minimum of the inputs."""

    def _merge(self, inputs):
        return _fold(ff.minimum, inputs)


class Concatenate(Merge):
    """Join the inputs along `axis`; other dims must match."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check(self, shapes) -> None:
        if not isinstance(shapes, list | tuple) or len(shapes) < 1:
            raise ValueError(f'Layer "{self.name}" (Concatenate) should be called on a list of '
                             f"inputs. Received: input_shape={shapes}")
        shapes = [tuple(s) for s in shapes]
        rank = len(shapes[0])
        axis = self.axis % rank if rank else 0
        for shape in shapes:
            if len(shape) != rank or any(
                    i != axis and a is not None and b is not None and a != b
                    for i, (a, b) in enumerate(zip(shapes[0], shape))):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes "
                                 "except for the concatenation axis. Received: "
                                 f"input_shape={shapes}")

    def _merge(self, inputs):
        return ff.concat(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        out = list(shapes[0])
        axis = self.axis % len(out)
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """Functional form of `Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)

"""InputSpec: what a layer accepts (rank, dims, dtype), checked on every call."""

from __future__ import annotations

from fuseflow.core import nest


class InputSpec:
    """Constraints on one input of a layer, as `tf.keras.layers.InputSpec`."""

    def __init__(self, dtype=None, shape=None, ndim: int | None = None,
                 max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict | None = None, allow_last_axis_squeeze: bool = False, name=None):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                          ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                          ("min_ndim", self.min_ndim),
                                          ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def _shape_text(shape) -> str:
    return str(tuple(shape))


def check_input(spec: InputSpec, tensor, index: int, layer_name: str) -> None:
    """Raise ValueError naming the layer, the expectation and the received shape."""
    shape = tuple(tensor.shape)
    ndim = len(shape)
    where = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
    full = f"Full shape received: {_shape_text(shape)}"
    if spec.ndim is not None and ndim != spec.ndim:
        raise ValueError(f"{where}expected ndim={spec.ndim}, found ndim={ndim}. {full}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}expected max_ndim={spec.max_ndim}, found ndim={ndim}. {full}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{where}expected min_ndim={spec.min_ndim}, found ndim={ndim}. {full}")
    for axis, value in spec.axes.items():
        if value is None or not -ndim <= axis < ndim:
            continue
        if shape[axis] is not None and shape[axis] != value:
            raise ValueError(f"{where}expected axis {axis} of input shape to have value "
                             f"{value}, but received input with shape {_shape_text(shape)}")
    if spec.shape is not None:
        for want, got in zip(spec.shape, shape):
            if want is not None and got is not None and want != got:
                raise ValueError(f"{where}expected shape={_shape_text(spec.shape)}, found "
                                 f"shape={_shape_text(shape)}")


def check_inputs(specs, inputs, layer_name: str) -> None:
    """Check every input against its spec (one spec may cover a single input)."""
    if specs is None:
        return
    specs = nest.flatten(specs)
    tensors = nest.flatten(inputs)
    if len(specs) != len(tensors):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(tensors)} input tensors.")
    for i, (spec, tensor) in enumerate(zip(specs, tensors)):
        if spec is not None and hasattr(tensor, "shape"):
            check_input(spec, tensor, i, layer_name)

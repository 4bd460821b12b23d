"""conv2d epilogues: bias, activation and other elementwise consumers of a conv's output run
inside the conv's GEMM kernel (and are left out where the output is needed on its own)."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.compiler.explain import explain
from fuseflow.compiler.inspect import Compilation
from fuseflow.compiler.lowering.elementwise import Operand
from fuseflow.compiler.matmul import MatmulKernel
from fuseflow.compiler.plan_rules import epilogue_operand
from fuseflow.core import nest

# Each test traces its own closure: the retracing advice does not apply here.
pytestmark = pytest.mark.filterwarnings("ignore::fuseflow.graph.retracing.RetracingWarning")
RNG = np.random.default_rng(5)

# (x shape, kernel shape, strides, padding, dilations)
GEOMETRIES = [((2, 7, 6, 3), (3, 3, 3, 4), 1, "VALID", 1),
              ((2, 7, 6, 3), (3, 3, 3, 4), 1, "SAME", 1),
              ((1, 9, 8, 2), (3, 2, 2, 5), 2, "SAME", 1),
              ((3, 9, 9, 2), (2, 3, 2, 3), 1, "VALID", 2),
              ((2, 10, 9, 3), (3, 3, 3, 17), (2, 1), "SAME", 1),
              ((2, 5, 5, 1), (1, 1, 1, 2), 1, "SAME", 1)]

ACTIVATIONS = {"relu": ff.nn.relu, "tanh": ff.tanh, "sigmoid": ff.sigmoid,
               "elu": ff.nn.elu, "leaky_relu": lambda v: ff.nn.leaky_relu(v, 0.1),
               "shifted_square": lambda v: v * v - 0.5}


def _arrays(*shapes, dtype=np.float32):
    return [RNG.standard_normal(s).astype(dtype) for s in shapes]


def _conv(x, w, geometry):
    _, _, strides, padding, dilations = geometry
    return ff.nn.conv2d(x, w, strides, padding, dilations=dilations)


def _check(fn, *args, rtol=1e-5, atol=1e-5) -> list[MatmulKernel]:
    """Compare compiled `fn` with eager; return the plan's GEMM kernels that have an epilogue."""
    compiled = ff.function(fn, jit_compile=True)
    got = compiled(*args)
    want = fn(*[ff.constant(a) for a in args])
    for g, e in zip(nest.flatten(got), nest.flatten(want)):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=rtol, atol=atol)
    concrete = compiled.get_concrete_function(*args)
    plan = Compilation(concrete.graph, list(concrete.input_specs)).plan
    return [s for s in plan.steps if isinstance(s, MatmulKernel) and s.epilogue is not None]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_conv_bias_activation_matches_eager(geometry, activation):
    x, w, b = _arrays(geometry[0], geometry[1], geometry[1][3:])

    def f(x, w, b):
        return ACTIVATIONS[activation](ff.nn.bias_add(_conv(x, w, geometry), b))

    assert len(_check(f, x, w, b)) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_plus_bias_relu_in_both_float_dtypes(dtype):
    geometry = GEOMETRIES[1]
    x, w, b = _arrays(geometry[0], geometry[1], geometry[1][3:], dtype=dtype)

    def f(x, w, b):
        return ff.nn.relu(_conv(x, w, geometry) + b)

    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert len(_check(f, x, w, b, rtol=tol, atol=tol)) == 1


def test_explain_names_the_fused_conv_kernel():
    geometry = GEOMETRIES[0]
    x, w, b = _arrays(geometry[0], geometry[1], geometry[1][3:])
    report = explain(ff.function(lambda x, w, b: ff.nn.relu(ff.nn.bias_add(
        _conv(x, w, geometry), b))), x, w, b)
    names = [k.name for k in report.kernels]
    assert "fused_conv2d_bias_add_relu" in names, names
    assert not any(b.producer.endswith("conv2d") for b in report.boundaries)


def test_a_full_size_second_input_joins_the_epilogue():
    geometry = GEOMETRIES[2]
    x, w = _arrays(geometry[0], geometry[1])
    y_shape = ff.function(lambda x, w: _conv(x, w, geometry))(x, w).shape
    (r,) = _arrays(tuple(y_shape))

    def f(x, w, r):
        return ff.tanh(_conv(x, w, geometry) * 0.5 - r)

    assert len(_check(f, x, w, r)) == 1


def test_an_operand_broadcast_over_some_leading_axes_stays_outside():
    geometry = GEOMETRIES[0]
    x, w = _arrays(geometry[0], geometry[1])
    (r,) = _arrays((5, 1, 4))  # varies with the output row, not with the image

    def f(x, w, r):
        return ff.nn.relu(_conv(x, w, geometry) + r)

    assert _check(f, x, w, r) == []


def test_a_conv_output_read_twice_is_stored_and_not_fused():
    geometry = GEOMETRIES[1]
    x, w, b = _arrays(geometry[0], geometry[1], geometry[1][3:])

    def f(x, w, b):
        y = _conv(x, w, geometry)
        return ff.nn.relu(y + b), ff.reduce_sum(y, axis=[1, 2])

    assert _check(f, x, w, b) == []


def test_a_conv_output_returned_is_stored_and_not_fused():
    geometry = GEOMETRIES[3]
    x, w, b = _arrays(geometry[0], geometry[1], geometry[1][3:])

    def f(x, w, b):
        y = _conv(x, w, geometry)
        return ff.nn.relu(y + b), y

    assert _check(f, x, w, b) == []


@pytest.mark.parametrize("geometry", [((2, 8, 8, 3), 4, 3, (1, 1), "same", (1, 1)),
                                      ((3, 9, 7, 2), 5, (3, 2), (2, 1), "valid", (1, 1)),
                                      ((2, 9, 9, 2), 3, 2, (1, 1), "valid", (2, 2))], ids=str)
def test_conv2d_layer_gradients_compiled_match_eager(geometry):
    x_shape, filters, ksize, strides, padding, dilations = geometry
    layer = ff.keras.layers.Conv2D(filters, ksize, strides=strides, padding=padding,
                                   dilation_rate=dilations, activation="relu")
    x = ff.constant(_arrays(x_shape)[0])
    layer(x)
    layer.bias.assign(RNG.standard_normal(filters).astype(np.float32) * 0.1)

    def loss_and_grads(x):
        with ff.GradientTape() as tape:
            loss = ff.reduce_sum(ff.square(layer(x) - 0.3))
        return loss, tape.gradient(loss, layer.trainable_variables)

    assert len(_check(loss_and_grads, x.numpy(), rtol=1e-4, atol=1e-4)) == 1


@pytest.mark.parametrize("operand,rows", [((4,), (1, 4)), ((1, 1, 1, 4), (1, 4)),
                                          ((2, 3, 5, 4), (30, 4)), ((3, 5, 1), None),
                                          ((2, 3, 5, 1), (30, 1)), ((), (1, 1)),
                                          ((5, 4), None), ((2, 1, 5, 4), None)])
def test_epilogue_operand_views_the_gemm_rows(operand, rows):
    view = epilogue_operand(Operand(7, operand, np.dtype(np.float32)), (2, 3, 5, 4))
    assert (view.shape if view is not None else None) == rows
    assert view is None or view.slot == 7

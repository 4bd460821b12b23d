"""fuseflow.function: trace keys and retracing rules, signatures, variables, outputs."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import fuseflow as ff
from fuseflow.graph.retracing import RetracingWarning


def _t(shape, dtype=np.float32):
    return ff.constant(np.ones(shape, dtype))


def test_same_tensor_spec_traces_once():
    f = ff.function(lambda x: x * 2.0)
    for _ in range(3):
        f(_t((2, 3)))
    assert f.experimental_get_tracing_count() == 1


def test_new_shape_retraces_and_explanation_names_argument():
    @ff.function
    def f(x):
        return x + 1.0

    f(_t((32, 4)))
    f(_t((16, 4)))
    assert f.experimental_get_tracing_count() == 2
    assert "arg 'x': float32[32,4] -> float32[16,4]" in f.explain_retracing()


def test_new_dtype_retraces():
    f = ff.function(lambda x: x + x)
    f(_t((2,)))
    f(_t((2,), np.int32))
    assert f.experimental_get_tracing_count() == 2


def test_python_scalar_retraces_by_value():
    @ff.function
    def f(x, steps):
        return x * float(steps)

    f(_t((2,)), 10)
    f(_t((2,)), 10)
    assert f.experimental_get_tracing_count() == 1
    out = f(_t((2,)), 20)
    assert f.experimental_get_tracing_count() == 2
    np.testing.assert_allclose(out.numpy(), [20.0, 20.0])
    text = f.explain_retracing()
    assert "arg 'steps': Python int 10 -> Python int 20, pass a tensor" in text


def test_variable_argument_matched_by_identity():
    f = ff.function(lambda v: v * 2.0)
    a, b = ff.Variable([1.0]), ff.Variable([2.0])
    f(a)
    f(a)
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_allclose(f(b).numpy(), [4.0])
    assert f.experimental_get_tracing_count() == 2


def test_nested_structures_keyed_elementwise():
    Pair = collections.namedtuple("Pair", "a b")
    f = ff.function(lambda d: d["x"][0] + d["y"].b)
    d = {"x": [_t((2,)), _t((2,))], "y": Pair(1, _t((2,)))}
    f(d)
    f({"x": [_t((2,)), _t((2,))], "y": Pair(1, _t((2,)))})
    assert f.experimental_get_tracing_count() == 1
    f({"x": [_t((3,)), _t((2,))], "y": Pair(1, _t((3,)))})
    assert f.experimental_get_tracing_count() == 2
    assert "arg 'd/x/0'" in f.explain_retracing()


def test_new_function_object_never_shares_traces():
    def body(x):
        return x + 1.0

    f, g = ff.function(body), ff.function(body)
    f(_t((2,)))
    g(_t((2,)))
    assert f.experimental_get_tracing_count() == g.experimental_get_tracing_count() == 1
    assert "new function object" in g.explain_retracing()


def test_input_signature_none_dims_trace_once():
    f = ff.function(lambda x: x * 2.0, input_signature=[ff.TensorSpec([None, 3], ff.float32)])
    f(_t((1, 3)))
    f(_t((5, 3)))
    assert f.experimental_get_tracing_count() == 1
    assert f.get_concrete_function().graph.spec(0).shape == (None, 3)


@pytest.mark.parametrize("value", [np.ones((2, 4), np.float32), np.ones((2, 3), np.int32), "a"])
def test_input_signature_mismatch_names_argument_spec_and_value(value):
    f = ff.function(lambda x: x, input_signature=[ff.TensorSpec([None, 3], ff.float32)])
    with pytest.raises(TypeError, match=r"argument 'x'.*TensorSpec\(shape=\(None, 3\)"):
        f(value)


def test_wrong_argument_count_is_type_error():
    f = ff.function(lambda x: x)
    with pytest.raises(TypeError, match="<lambda>"):
        f(_t((1,)), _t((1,)))


def test_reduce_retracing_generalizes_after_second_shape():
    f = ff.function(lambda x: x + 1.0, reduce_retracing=True)
    for n in (2, 3, 4, 5):
        f(_t((n, 7)))
    assert f.experimental_get_tracing_count() == 2
    assert f.get_concrete_function(_t((9, 7))).graph.spec(0).shape == (None, 7)


def test_get_concrete_function_with_spec_and_call():
    f = ff.function(lambda x, y: (x @ y, {"n": 3}))
    concrete = f.get_concrete_function(ff.TensorSpec([None, 2]), ff.TensorSpec([2, 4]))
    assert [t.shape.as_list() for t in concrete.inputs] == [[None, 2], [2, 4]]
    assert concrete.outputs[0].shape.as_list() == [None, 4]
    product, extra = concrete(_t((3, 2)), _t((2, 4)))
    np.testing.assert_allclose(product.numpy(), np.full((3, 4), 2.0))
    assert extra == {"n": 3}
    assert "x: float32 Tensor, shape=(None, 2)" in f.pretty_printed_concrete_signatures()


def test_methods_have_one_cache_per_instance():
    class Model:
        def __init__(self, k):
            self.k = ff.Variable(k)

        @ff.function
        def __call__(self, x):
            return x * self.k

    a, b = Model(2.0), Model(3.0)
    np.testing.assert_allclose(a(_t((2,))).numpy(), [2.0, 2.0])
    np.testing.assert_allclose(b(_t((2,))).numpy(), [3.0, 3.0])
    assert a.__call__.experimental_get_tracing_count() == 1
    assert b.__call__.experimental_get_tracing_count() == 1


def test_variable_created_on_first_trace_only():
    class Holder:
        v = None

    holder = Holder()

    @ff.function
    def f(x):
        if holder.v is None:
            holder.v = ff.Variable(ff.zeros([2]) + 1.0)  # evaluated at trace time
        return x + holder.v

    np.testing.assert_allclose(f(_t((2,))).numpy(), [2.0, 2.0])
    holder.v = None  # the next call (float64: a new trace) creates a variable again
    with pytest.raises(ValueError, match="first trace"):
        f(_t((2,), np.float64))
    assert f.experimental_get_tracing_count() == 1  # the failed trace is not cached


def test_retrace_warning_after_five_retraces_names_cause():
    f = ff.function(lambda x, n: x * float(n))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(7):
            f(_t((2,)), n)
    messages = [str(w.message) for w in caught if issubclass(w.category, RetracingWarning)]
    assert len(messages) == 1 and "arg 'n'" in messages[0]


def test_config_explain_retracing_prints_as_it_happens(capsys):
    f = ff.function(lambda x: x)
    ff.config.explain_retracing(True)
    try:
        f(_t((2,)))
        f(_t((3,)))
    finally:
        ff.config.explain_retracing(False)
    assert "arg 'x': float32[2] -> float32[3]" in capsys.readouterr().err


def test_run_functions_eagerly_runs_python_each_call():
    calls = []

    @ff.function
    def f(x):
        calls.append(1)
        return x

    ff.config.run_functions_eagerly(True)
    try:
        f(_t((1,)))
        f(_t((1,)))
        assert ff.config.functions_run_eagerly()
    finally:
        ff.config.run_functions_eagerly(False)
    assert len(calls) == 2 and f.experimental_get_tracing_count() == 0


def test_outputs_keep_nested_structure_and_python_values():
    f = ff.function(lambda x: {"a": [x, x + 1.0], "b": (None, 3)})
    out = f(_t((2,)))
    assert out["b"] == (None, 3)
    np.testing.assert_allclose(out["a"][1].numpy(), [2.0, 2.0])


def test_symbolic_tensor_leak_is_clear_error():
    leaked = []

    @ff.function
    def f(x):
        leaked.append(x * 2.0)
        return x

    f(_t((2,)))
    with pytest.raises(Exception, match="escaped|belongs to graph"):
        leaked[0] + 1.0


def test_python_bool_of_symbolic_tensor_points_to_cond():
    @ff.function
    def f(x):
        if ff.reduce_sum(x) > 0.0:
            return x
        return -x

    with pytest.raises(TypeError, match="fuseflow.cond"):
        f(_t((2,)))


def test_nested_function_is_inlined():
    inner = ff.function(lambda x: x * 3.0)
    outer = ff.function(lambda x: inner(x) + 1.0)
    np.testing.assert_allclose(outer(_t((2,))).numpy(), [4.0, 4.0])
    ops = [outer.get_concrete_function(_t((2,))).graph.op(n)
           for n in outer.get_concrete_function(_t((2,))).graph.nodes()]
    assert "multiply" in ops and inner.experimental_get_tracing_count() == 1


def test_op_error_while_tracing_names_op_and_user_line():
    f = ff.function(lambda x, y: ff.matmul(x, y))
    with pytest.raises(ff.errors.InvalidArgumentError, match="matmul") as info:
        f(_t((2, 3)), _t((4, 5)))
    assert "test_function.py" in str(info.value)


def test_fast_path_serves_repeat_calls_and_agrees_with_first_call():
    f = ff.function(lambda x: x * 2.0 + 1.0)
    x = ff.constant(np.arange(6, dtype=np.float32))
    first = f(x).numpy()
    assert f._fast is not None
    again = f(x)
    assert type(again) is ff.Tensor and again is not x
    np.testing.assert_array_equal(again.numpy(), first)
    assert f.experimental_get_tracing_count() == 1


def test_fast_path_falls_back_for_non_contiguous_values():
    f = ff.function(lambda x: x + 1.0)
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    f(ff.constant(np.ascontiguousarray(base[:, :2])))
    assert f._fast is not None
    strided = ff.Tensor(base[:, :2])  # same shape and dtype, not contiguous
    assert not strided._value.flags.c_contiguous
    np.testing.assert_array_equal(f(strided).numpy(), base[:, :2] + 1.0)


def test_fast_path_sees_tapes_and_traces_of_the_calling_thread():
    import threading

    f = ff.function(lambda x: x * x)
    value = ff.constant(np.float32(3.0))
    f(value)
    with ff.GradientTape() as tape:  # a tape on this thread: the fast path must step aside
        tape.watch(value)
        y = f(value)
    assert float(tape.gradient(y, value).numpy()) == 6.0
    results = []

    def other_thread():
        with ff.GradientTape() as inner:
            inner.watch(value)
            out = f(value)
        results.append(inner.gradient(out, value))
        results.append(f(value))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert float(results[0].numpy()) == 6.0 and float(results[1].numpy()) == 9.0
    assert f.experimental_get_tracing_count() == 1


def test_fast_path_inside_a_trace_inlines_instead_of_running():
    inner = ff.function(lambda x: x + 1.0)
    x = ff.constant(np.ones(3, np.float32))
    inner(x)
    inner(x)  # the fast path exists now
    outer = ff.function(lambda: inner(x) * 2.0)
    np.testing.assert_array_equal(outer().numpy(), np.full(3, 4.0, np.float32))
    graph = outer.get_concrete_function().graph
    assert any(graph.op(n) == "add" for n in graph.nodes())

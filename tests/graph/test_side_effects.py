"""Side effects in traced functions: Python print once, fuseflow.print / assign / random /
py_function on every call, in program order."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fuseflow as ff


@pytest.mark.parametrize("jit_compile", [False, None])
def test_python_print_once_fuseflow_print_every_call(capsys, jit_compile):
    @ff.function(jit_compile=jit_compile)
    def f(x):
        print("tracing")
        ff.print("value:", x, output_stream=sys.stdout)
        return x

    for _ in range(3):
        f(ff.constant([1, 2]))
    out = capsys.readouterr().out
    assert out.count("tracing") == 1
    assert out.count("value: [1 2]") == 3


def test_assign_runs_every_call_and_reads_see_writes():
    v = ff.Variable(0.0)

    @ff.function
    def step():
        before = v.read_value()
        v.assign_add(1.0)
        return before, v.read_value()

    for i in range(4):
        before, after = step()
        assert float(before) == i and float(after) == i + 1
    assert float(v.numpy()) == 4.0


def test_read_before_write_keeps_old_value():
    v = ff.Variable([1.0, 2.0])

    @ff.function
    def swap_in(x):
        old = v * 1.0
        v.assign(x)
        return old

    np.testing.assert_allclose(swap_in(ff.constant([5.0, 6.0])).numpy(), [1.0, 2.0])
    np.testing.assert_allclose(v.numpy(), [5.0, 6.0])


def test_random_draws_differ_every_call():
    f = ff.function(lambda: ff.random.uniform([8]))
    a, b = f().numpy(), f().numpy()
    assert f.experimental_get_tracing_count() == 1
    assert not np.array_equal(a, b)


def test_random_ops_in_graph_mode_have_their_distribution():
    f = ff.function(lambda: ff.random.normal([4096], 3.0, 0.5, seed=1), jit_compile=False)
    x = f().numpy().astype(np.float64)
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 0.5) < 0.05


def test_py_function_runs_every_call():
    calls = []

    def double(t):
        calls.append(1)
        return t.numpy() * 2

    f = ff.function(lambda x: ff.py_function(double, [x], ff.float32) + 1.0)
    for _ in range(3):
        out = f(ff.constant([1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), [3.0, 5.0])
    assert len(calls) == 3


def test_stateful_ops_are_chained_by_control_edges():
    v = ff.Variable(1.0)

    @ff.function
    def f():
        v.assign(2.0)
        ff.print(v)
        v.assign_add(1.0)

    graph = f.get_concrete_function().graph
    effects = [n for n in graph.topo_order() if graph.op(n) in
               ("assign", "read_variable", "print", "assign_add")]
    assert [graph.op(n) for n in effects] == ["assign", "read_variable", "print", "assign_add"]
    for before, after in zip(effects, effects[1:]):
        assert before in graph.control_inputs(after)

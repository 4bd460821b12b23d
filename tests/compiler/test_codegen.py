"""Codegen: target the host, compile and call IR; the thread pool runs every task."""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir

from fuseflow.compiler import cache
from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.irtypes import I64, PTR
from fuseflow.compiler.threadpool import PARALLEL_NAME, TASK_TYPE, get_pool


def test_compiles_and_calls_a_trivial_function():
    codegen = get_codegen()
    module = codegen.new_module("trivial")
    fn = ir.Function(module, ir.FunctionType(I64, [I64, I64]), "ff_test_add")
    b = ir.IRBuilder(fn.append_basic_block())
    b.ret(b.add(*fn.args))
    jit = cache.load_or_compile(codegen, str(module), use_disk=False)
    add = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(
        jit.address("ff_test_add"))
    assert add(40, 2) == 42


def test_targets_the_host_cpu():
    codegen = get_codegen()
    assert codegen.vector_bits in (128, 256, 512)
    assert codegen.lanes(4) == codegen.vector_bits // 32
    assert codegen.cpu in codegen.cache_key() and codegen.features in codegen.cache_key()


def test_malformed_ir_is_rejected_before_jit():
    import pytest

    with pytest.raises(RuntimeError):
        get_codegen().parse("define i32 @f() { ret i64 0 }")


def test_thread_pool_runs_each_task_once():
    codegen = get_codegen()
    pool = get_pool(codegen)
    module = codegen.new_module("pool_test")
    task = ir.Function(module, TASK_TYPE, "pool_test_task")
    task.linkage = "internal"
    b = ir.IRBuilder(task.append_basic_block())
    slot = b.gep(b.bitcast(task.args[0], I64.as_pointer()), [task.args[1]])
    b.store(b.add(b.load(slot), task.args[2]), slot)
    b.ret_void()
    parallel = ir.Function(module, ir.FunctionType(ir.VoidType(), [TASK_TYPE.as_pointer(), PTR]),
                           PARALLEL_NAME)
    run = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), "ff_pool_test_run")
    b = ir.IRBuilder(run.append_basic_block())
    b.call(parallel, [task, run.args[0]])
    b.ret_void()
    jit = cache.load_or_compile(codegen, str(module), use_disk=False)
    call = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(jit.address("ff_pool_test_run"))
    counts = np.zeros(8, np.int64)
    before = pool.threads
    try:
        for threads in (1, 2, 3):
            pool.set_threads(threads)
            counts[:] = 0
            for _ in range(100):
                call(counts.ctypes.data)
            assert counts.tolist() == [100 * threads] * threads + [0] * (8 - threads)
    finally:
        pool.set_threads(before)

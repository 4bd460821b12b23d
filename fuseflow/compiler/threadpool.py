"""A native thread pool, written in LLVM IR, that kernels call without touching Python.

`ff_parallel_for(task, ctx)` runs `task(ctx, i, n)` for i in 0..n-1 on n threads (the caller
is thread 0). Workers are pthreads started on first use; an idle worker spins briefly (kernels
of one plan come microseconds apart) and then sleeps on a futex. A call made while the pool is
busy (another Python thread, or a nested call) runs every task on the calling thread instead.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

import llvmlite.binding as llvm
from llvmlite import ir

from fuseflow.compiler.irtypes import I32, I64, PTR

MAX_THREADS = 64
SPIN = 20000  # pause iterations before an idle worker sleeps (~0.2-1 ms)
_FUTEX = {"x86_64": 202, "AMD64": 202, "aarch64": 98, "arm64": 98}
_WAIT, _WAKE = 128, 129  # FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE

TASK_TYPE = ir.FunctionType(ir.VoidType(), [PTR, I64, I64])
PARALLEL_NAME = "ff_parallel_for"


def _global(module, name, ty, init=0):
    var = ir.GlobalVariable(module, ty, name)
    var.initializer = ir.Constant(ty, init)
    var.linkage = "internal"
    return var


class _PoolIR:
    """Builds the pool module."""

    def __init__(self, module: ir.Module, futex: int):
        self.m = module
        self.futex = futex
        task_ptr = TASK_TYPE.as_pointer()
        self.fn = _global(module, "pool_fn", task_ptr, None)
        self.ctx = _global(module, "pool_ctx", PTR, None)
        self.seq = _global(module, "pool_seq", I32)
        self.pending = _global(module, "pool_pending", I32)
        self.claims = _global(module, "pool_claims", I64)  # seq << 32 | ntasks << 16 | next
        self.busy = _global(module, "pool_busy", I32)
        self.sleepers = _global(module, "pool_sleepers", I32)
        self.started = _global(module, "pool_started", I64)
        self.threads = ir.GlobalVariable(module, I64, "ff_pool_threads")
        self.threads.initializer = ir.Constant(I64, 1)
        self.syscall = ir.Function(module, ir.FunctionType(I64, [I64], var_arg=True), "syscall")
        self.create = ir.Function(module, ir.FunctionType(
            I32, [I64.as_pointer(), PTR, ir.FunctionType(PTR, [PTR]).as_pointer(), PTR]),
            "pthread_create")
        self.sched_yield = ir.Function(module, ir.FunctionType(I32, []), "sched_yield")
        self.detach = ir.Function(module, ir.FunctionType(I32, [I64]), "pthread_detach")
        is_x86 = platform.machine() in ("x86_64", "AMD64")
        self.pause = ir.Function(module, ir.FunctionType(ir.VoidType(), []),
                                 "llvm.x86.sse2.pause") if is_x86 else None

    def spin_pause(self, b):
        if self.pause is not None:
            b.call(self.pause, [])

    def futex_call(self, b, op: int, value):
        b.call(self.syscall, [ir.Constant(I64, self.futex), b.bitcast(self.seq, PTR),
                              ir.Constant(I64, op), b.zext(value, I64), ir.Constant(PTR, None)])

    def build_drain(self):
        """`pool_drain(seq)`: claim and run tasks of job `seq` until none are left.

        A claim is a compare-and-swap on one word holding the job, its task count and the next
        task, so a late worker can never take a task of another job, and whoever is running
        (the caller included) takes the tasks a descheduled worker has not started.
        """
        fn = ir.Function(self.m, ir.FunctionType(ir.VoidType(), [I32]), "pool_drain")
        fn.linkage = "internal"
        entry, claim, take, run, done = (fn.append_basic_block(n) for n in (
            "entry", "claim", "take", "run", "done"))
        b = ir.IRBuilder(entry)
        job = b.zext(fn.args[0], I64)
        b.branch(claim)
        b.position_at_end(claim)
        word = b.load_atomic(self.claims, "acquire", 8)
        mask = ir.Constant(I64, 0xFFFF)
        index, count = b.and_(word, mask), b.and_(b.lshr(word, ir.Constant(I64, 16)), mask)
        same = b.icmp_unsigned("==", b.lshr(word, ir.Constant(I64, 32)), job)
        left = b.icmp_unsigned("<", index, count)
        b.cbranch(b.and_(same, left), take, done)
        b.position_at_end(take)
        swapped = b.cmpxchg(self.claims, word, b.add(word, ir.Constant(I64, 1)), "acq_rel",
                            "acquire")
        b.cbranch(b.extract_value(swapped, 1), run, claim)
        b.position_at_end(run)
        b.call(b.load(self.fn), [b.load(self.ctx), index, count])
        b.atomic_rmw("sub", self.pending, ir.Constant(I32, 1), "release")
        b.branch(claim)
        b.position_at_end(done)
        b.ret_void()
        self.drain = fn

    def build_worker(self):
        worker = ir.Function(self.m, ir.FunctionType(PTR, [PTR]), "pool_worker")
        worker.linkage = "internal"
        entry, wait, spin, keep, sleep, work, run, finish = (worker.append_basic_block(n) for n in (
            "entry", "wait", "spin", "keep", "sleep", "work", "run", "finish"))
        b = ir.IRBuilder(entry)
        # The argument packs the worker's index and the job sequence number at its spawn: a
        # worker that first ran after the job was published must still see it as new.
        packed = b.ptrtoint(worker.args[0], I64)
        first = b.trunc(b.lshr(packed, ir.Constant(I64, 16)), I32)
        b.branch(wait)
        b.position_at_end(wait)
        seen = b.phi(I32, name="seen")
        b.branch(spin)
        b.position_at_end(spin)
        count = b.phi(I64, name="count")
        now = b.load_atomic(self.seq, "acquire", 4)
        self.spin_pause(b)
        more = b.add(count, ir.Constant(I64, 1))
        b.cbranch(b.icmp_unsigned("!=", now, seen), work, keep)
        b.position_at_end(keep)
        b.cbranch(b.icmp_unsigned(">=", more, ir.Constant(I64, SPIN)), sleep, spin)
        b.position_at_end(sleep)
        b.atomic_rmw("add", self.sleepers, ir.Constant(I32, 1), "seq_cst")
        self.futex_call(b, _WAIT, seen)  # returns at once if seq has moved on
        b.atomic_rmw("sub", self.sleepers, ir.Constant(I32, 1), "seq_cst")
        b.branch(wait)
        b.position_at_end(work)
        b.call(self.drain, [now])
        b.branch(run)
        b.position_at_end(run)
        b.branch(finish)
        b.position_at_end(finish)
        b.branch(wait)
        for value, block in ((first, entry), (seen, sleep), (now, finish)):
            seen.add_incoming(value, block)
        count.add_incoming(ir.Constant(I64, 0), wait)
        count.add_incoming(more, keep)
        return worker

    def build_parallel(self, worker):
        f = ir.Function(self.m, ir.FunctionType(ir.VoidType(), [TASK_TYPE.as_pointer(), PTR]),
                        PARALLEL_NAME)
        task, ctx = f.args
        entry, serial, locked, start, spawn, go, waiting, done = (f.append_basic_block(n) for n in (
            "entry", "serial", "locked", "start", "spawn", "go", "waiting", "done"))
        b = ir.IRBuilder(entry)
        n = b.load(self.threads, name="n")
        many = b.icmp_signed(">", n, ir.Constant(I64, 1))
        got = b.cmpxchg(self.busy, ir.Constant(I32, 0), ir.Constant(I32, 1), "acquire",
                        "monotonic")
        ok = b.and_(many, b.extract_value(got, 1))
        b.cbranch(ok, locked, serial)
        b.position_at_end(serial)
        # Not ours to use: if we did take the lock (n == 1), give it back.
        was_taken = b.extract_value(got, 1)
        with b.if_then(was_taken):
            b.store_atomic(ir.Constant(I32, 0), self.busy, "release", 4)
        b.call(task, [ctx, ir.Constant(I64, 0), ir.Constant(I64, 1)])
        b.ret_void()
        b.position_at_end(locked)
        b.branch(start)
        b.position_at_end(start)
        have = b.load(self.started)
        b.cbranch(b.icmp_signed("<", b.add(have, ir.Constant(I64, 1)), n), spawn, go)
        b.position_at_end(spawn)
        tid = b.alloca(I64)
        seq_now = b.shl(b.zext(b.load(self.seq), I64), ir.Constant(I64, 16))
        arg = b.inttoptr(b.or_(b.add(have, ir.Constant(I64, 1)), seq_now), PTR)
        b.call(self.create, [tid, ir.Constant(PTR, None), worker, arg])
        b.call(self.detach, [b.load(tid)])
        b.store(b.add(have, ir.Constant(I64, 1)), self.started)
        b.branch(start)
        b.position_at_end(go)
        b.store(task, self.fn)
        b.store(ctx, self.ctx)
        b.store_atomic(b.trunc(n, I32), self.pending, "release", 4)
        job = b.add(b.load(self.seq), ir.Constant(I32, 1))
        word = b.or_(b.shl(b.zext(job, I64), ir.Constant(I64, 32)),
                     b.shl(n, ir.Constant(I64, 16)))
        b.store_atomic(word, self.claims, "release", 8)
        b.atomic_rmw("add", self.seq, ir.Constant(I32, 1), "seq_cst")
        asleep = b.load_atomic(self.sleepers, "seq_cst", 4)
        with b.if_then(b.icmp_signed(">", asleep, ir.Constant(I32, 0))):
            self.futex_call(b, _WAKE, ir.Constant(I32, MAX_THREADS))
        b.call(self.drain, [job])
        before_wait = b.block
        b.branch(waiting)
        b.position_at_end(waiting)
        spins = b.phi(I64, name="spins")
        spins.add_incoming(ir.Constant(I64, 0), before_wait)
        left = b.load_atomic(self.pending, "acquire", 4)
        self.spin_pause(b)
        # On an oversubscribed machine the worker may be waiting for this very core: after a
        # while, spinning gives the core away between checks.
        with b.if_then(b.icmp_unsigned(">", spins, ir.Constant(I64, 2000))):
            b.call(self.sched_yield, [])
        spins.add_incoming(b.add(spins, ir.Constant(I64, 1)), b.block)
        b.cbranch(b.icmp_signed(">", left, ir.Constant(I32, 0)), waiting, done)
        b.position_at_end(done)
        b.store_atomic(ir.Constant(I32, 0), self.busy, "release", 4)
        b.ret_void()

    def build_reset(self):
        """After fork the child has no workers: forget the ones the parent started."""
        f = ir.Function(self.m, ir.FunctionType(ir.VoidType(), []), "ff_pool_after_fork")
        b = ir.IRBuilder(f.append_basic_block())
        b.store(ir.Constant(I64, 0), self.started)
        b.store(ir.Constant(I32, 0), self.busy)
        b.store(ir.Constant(I32, 0), self.sleepers)
        b.ret_void()


def build_pool_module(codegen) -> str:
    """IR text of the pool module."""
    module = codegen.new_module("fuseflow_pool")
    pool = _PoolIR(module, _FUTEX.get(platform.machine(), 0))
    pool.build_drain()
    worker = pool.build_worker()
    pool.build_parallel(worker)
    pool.build_reset()
    return str(module)


class ThreadPool:
    """The loaded pool: its entry address and its thread-count knob."""

    def __init__(self, codegen):
        from fuseflow.compiler import cache  # cache builds on codegen, which this module needs

        # Keyed by the sources' digest: a warm start loads the pool without building its IR.
        self.jit = cache.load_or_compile_lazy(codegen, "fuseflow_pool",
                                              lambda: build_pool_module(codegen),
                                              name="fuseflow_pool")
        self.parallel_address = self.jit.address(PARALLEL_NAME)
        llvm.add_symbol(PARALLEL_NAME, self.parallel_address)
        threads = codegen.engine.get_global_value_address("ff_pool_threads")
        self._threads = ctypes.c_int64.from_address(threads)
        self._reset = ctypes.CFUNCTYPE(None)(self.jit.address("ff_pool_after_fork"))
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)
        supported = _FUTEX.get(platform.machine(), 0) != 0
        self.set_threads(min(2, os.cpu_count() or 1) if supported else 1)
        self.supported = supported

    def set_threads(self, count: int) -> None:
        """Use `count` threads (the caller included) for parallel kernels."""
        if not 1 <= int(count) <= MAX_THREADS:
            raise ValueError(f"thread count must be in [1, {MAX_THREADS}], got {count}")
        self._threads.value = int(count)

    @property
    def threads(self) -> int:
        return int(self._threads.value)


_pool: ThreadPool | None = None
_pool_lock = threading.Lock()


def get_pool(codegen) -> ThreadPool:
    """The process-wide pool, loaded into `codegen`'s JIT on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPool(codegen)
    return _pool

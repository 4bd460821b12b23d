"""CompiledGraph: the callable `run(arrays) -> arrays` that `compile_graph` returns.

A call goes straight to the plan of the last input shapes: one generated Python function
builds the slot list, calls each native segment (which checks the arrays itself), runs any NumPy
fallbacks in between, installs new variable values and returns the outputs. Anything unusual
(new shapes, a non-contiguous or foreign array, a wrong dtype) takes the slow path, which checks
in Python, raises InvalidArgumentError for real mismatches, and retries.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from sys import getrefcount

import numpy as np

from fuseflow.compiler import cache
from fuseflow.compiler.codegen import get_codegen
from fuseflow.compiler.gemm import load_library
from fuseflow.compiler.lowering.module import (
    TIMES_SUFFIX,
    build_module,
    dtype_table,
    entry_names,
    native_steps,
    segments,
)
from fuseflow.compiler.matmul import MatmulKernel
from fuseflow.compiler.plan import ARG, CONST, DYNAMIC, OUT, TEMP, VAR, VAR_OUT, Plan, build_plan
from fuseflow.compiler.threadpool import get_pool
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import REGISTRY
from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.py_object)
_FRESH = (OUT, DYNAMIC, VAR_OUT)  # slots whose array is new on every call


class Runner:
    """One plan, compiled: `run(args)` returns the outputs or None when a check failed."""

    def __init__(self, graph: Graph, plan: Plan, use_disk_cache: bool = True,
                 timed: bool = False):
        self.plan = plan
        codegen = get_codegen()
        get_pool(codegen)  # the kernels link against the pool's entry
        for dtype in {step.dtype for step in plan.steps if isinstance(step, MatmulKernel)}:
            load_library(codegen, dtype)  # and the GEMMs against the library's drivers
        self.timed = timed
        key_text = plan.key_text()
        # the timed build is a second module in the same JIT: its symbols need their own names
        digest = hashlib.sha256(key_text.encode()).hexdigest()[:20]
        self.prefix = f"ff_{digest}" + ("_timed" if timed else "")
        self._ir_text: str | None = None
        # keyed by the plan, not the IR: a cache hit never builds the IR (most of a warm start)
        self.jit = cache.load_or_compile_lazy(
            codegen, f"{self.prefix}\n{key_text}", lambda: self.ir_text,
            use_disk_cache and not timed, name=graph.name, module_id=self.prefix)
        names = entry_names(plan, self.prefix)
        self._fill_type_table(codegen, plan)
        self._times = None
        if timed:
            address = codegen.engine.get_global_value_address(self.prefix + TIMES_SUFFIX)
            count = max(1, len(native_steps(plan)))
            self._times = (ctypes.c_int64 * count).from_address(address)
        self.entries = [_ENTRY(self.jit.address(name)) for name in names]
        self.variables = {key: graph.captures[key] for key in plan.var_slots}
        self.run = self._generate(graph)

    @property
    def ir_text(self) -> str:
        """The module's IR text before optimization (built on first use: a cache hit skips it)."""
        if self._ir_text is None:
            self._ir_text, _ = build_module(get_codegen(), self.plan, self.prefix, self.timed)
        return self._ir_text

    def kernel_nanoseconds(self, reset: bool = False) -> list[int]:
        """A timed build's nanoseconds per native kernel (plan order) summed over its calls."""
        if self._times is None:
            raise ValueError("kernel_nanoseconds needs a timed build (Runner(..., timed=True))")
        values = list(self._times[:len(native_steps(self.plan))])
        if reset:
            self._times[:] = [0] * len(self._times)
        return values

    def _fill_type_table(self, codegen, plan: Plan) -> None:
        table = codegen.engine.get_global_value_address(f"{self.prefix}_types")
        values = [id(np.ndarray)] + [id(np.dtype(dt)) for dt in dtype_table(plan)]
        (ctypes.c_int64 * len(values)).from_address(table)[:] = values

    def _generate(self, graph: Graph):
        """Write the call as straight-line Python (no loops over slots at call time)."""
        plan, names = self.plan, {"np": np, "empty": np.empty}
        items = []
        arg_count = sum(1 for s in plan.slots if s.role == ARG)
        for index, slot in enumerate(plan.slots):
            items.append(_slot_expression(index, slot, names, self.variables))
        lines = ["def run(args):", f"    if len(args) != {arg_count}: return None"]
        names["own"] = _own
        for key in sorted(plan.in_place):
            names[f"w_{plan.var_slots[key]}"] = self.variables[key]
            lines.append(f"    own(w_{plan.var_slots[key]})")
        params = "".join(f"a{i}, " for i in range(arg_count))
        if arg_count:
            lines.append(f"    {params}= args")
        lines.append(f"    objs = [{', '.join(items)}]")
        entry = 0
        for part in segments(plan):
            if isinstance(part, list):
                if part or entry == 0:
                    names[f"seg{entry}"] = self.entries[entry]
                    lines.append(_segment_call(entry, any(getattr(k, "may_fail", False)
                                                          for k in part)))
                entry += 1
            else:
                names[f"call{part.node}"] = _fallback_call(part, plan)
                lines.append(f"    call{part.node}(objs)")
        for key, slot in _last_writes(plan):
            names[f"var_{slot}"] = self.variables[key]
            lines.append(f"    var_{slot}._value = objs[{slot}]")
            lines.append(f"    var_{slot}._tensor = None")
        lines.append(f"    return [{', '.join(_output_expressions(plan))}]")
        names["fail"] = lambda code, objs: _kernel_failed(plan, code, objs)
        exec(compile("\n".join(lines), f"<fuseflow plan {graph.name}>", "exec"), names)
        return names["run"]


def _own(var) -> None:
    """Make `var` the only holder of its array, so a kernel may overwrite it in place."""
    value = var._value
    # 3 references: the variable's attribute, `value`, and getrefcount's argument. A tensor,
    # a view or any other holder of the array sees it as a snapshot: give the variable a copy.
    if (var._tensor is not None or getrefcount(value) > 3 or value.base is not None
            or not value.flags.writeable):
        var._value = np.array(value, order="C")
        var._tensor = None


def _segment_call(index: int, may_fail: bool) -> str:
    """The call of segment `index`: the first one's positive code means "take the slow path"."""
    if index == 0:
        tail = "\n        return None if rc > 0 else fail(rc, objs)"
        return f"    rc = seg0(objs)\n    if rc:{tail}"
    if may_fail:
        return f"    rc = seg{index}(objs)\n    if rc: return fail(rc, objs)"
    return f"    seg{index}(objs)"


def _kernel_failed(plan: Plan, rc: int, objs: list):
    """A kernel reported bad data (rc = -its code): it raises its op's real error."""
    # Found by code, not position: plan_memory may delete steps after codes were given out.
    for kernel in plan.steps:
        if getattr(kernel, "may_fail", False) and kernel.code == -rc:
            kernel.reraise(objs)
    raise InvalidArgumentError(None, f"a native kernel failed with code {-rc}")


def _slot_expression(index: int, slot, names: dict, variables: dict) -> str:
    if slot.role == ARG:
        return f"a{index}"
    if slot.role == VAR:
        names[f"v{index}"] = variables[slot.payload]
        return f"v{index}._value"
    if slot.role in (CONST, TEMP):
        names[f"s{index}"] = slot.payload if slot.role == CONST else \
            np.empty(slot.shape, slot.dtype)
        return f"s{index}"
    if slot.role in (OUT, VAR_OUT):
        names[f"shape{index}"], names[f"dtype{index}"] = slot.shape, slot.dtype
        return f"empty(shape{index}, dtype{index})"
    return "None"


def _last_writes(plan: Plan) -> list[tuple[str, int]]:
    last: dict[str, int] = {}
    for key, slot in plan.var_writes:
        last[key] = slot
    return list(last.items())


def _output_expressions(plan: Plan) -> list[str]:
    """Each output: the slot's array when it is fresh and returned once, else a copy."""
    seen: set[int] = set()
    written = {slot for _, slot in plan.var_writes}
    out = []
    for slot, shape in plan.outputs:
        fresh = plan.slots[slot].role in _FRESH and slot not in seen and slot not in written
        seen.add(slot)
        text = f"objs[{slot}]"
        if plan.slots[slot].shape != shape and None not in shape:
            text += f".reshape({shape!r})"
        out.append(text if fresh else f"np.array({text})")
    return out


def _fallback_call(step, plan: Plan):
    """Run one op's NumPy implementation on its slots and store contiguous results.

    Results are checked against the plan: native kernels after this step trust the shapes
    and dtypes of their buffers.
    """
    impl = REGISTRY[step.op].impl
    attrs = step.attrs
    single = not step.multi
    expected = [(slot, plan.slots[slot].shape, plan.slots[slot].dtype) for slot in step.outputs]

    def call(objs):
        args = [objs[slot] if objs[slot].shape == shape or None in shape
                else objs[slot].reshape(shape) for slot, shape in step.inputs]
        result = impl(*args, **attrs)
        results = (result,) if single else tuple(result)
        for (slot, shape, dtype), value in zip(expected, results):
            value = contiguous(value)
            if len(value.shape) != len(shape) or any(
                    d is not None and d != v for v, d in zip(value.shape, shape)):
                raise InvalidArgumentError(step.op, f"produced shape {value.shape}, its shape "
                                           f"inference said {shape}")
            objs[slot] = value if value.dtype == dtype else value.astype(dtype)

    return call


def contiguous(value) -> np.ndarray:
    """`value` as a C-contiguous ndarray, keeping 0-d arrays 0-d (unlike ascontiguousarray)."""
    array = np.asarray(value)
    if array.flags.c_contiguous and array.flags.aligned:
        return array
    return np.array(array, order="C")


class CompiledGraph:
    """A graph compiled for the host: call it with a list of arrays, get a list of arrays."""

    def __init__(self, graph: Graph, optimized: Graph, use_disk_cache: bool = True):
        self.graph = graph
        self.optimized = optimized
        self.use_disk_cache = use_disk_cache
        self.arg_specs = [graph.spec(p) for p in graph.placeholders]
        self._runners: dict[tuple, Runner] = {}
        self._last: Runner | None = None
        self._run = lambda args: None  # the last plan's `run`: None means "take the slow path"
        self._lock = threading.Lock()

    def __call__(self, args: list) -> list:
        result = self._run(args)
        return self._slow(list(args)) if result is None else result

    def runner_for(self, args: list) -> Runner:
        """The compiled plan for these argument shapes (compiled on first use)."""
        key = (tuple(a.shape for a in args),
               tuple(v._value.shape for v in self.optimized.captures.values()))
        runner = self._runners.get(key)
        if runner is None:
            with self._lock:
                runner = self._runners.get(key)
                if runner is None:
                    specs = [TensorSpec(a.shape, s.dtype) for a, s in zip(args, self.arg_specs)]
                    plan = build_plan(self.optimized, specs)
                    runner = self._runners[key] = Runner(self.optimized, plan,
                                                         self.use_disk_cache)
        return runner

    def time_kernels(self, args: list, calls: int = 20) -> list[tuple[str, float]]:
        """(kernel symbol, µs per call) for each native kernel, from a timed build of the plan.

        The timed build runs `calls` times on `args` after one untimed warm-up call: a training
        step's variables are updated by every call, as by the ordinary build.
        """
        args = self._checked(list(args))
        for var in self.optimized.captures.values():
            if not (type(var._value) is np.ndarray and var._value.flags.c_contiguous):
                var._value = contiguous(var._value)
        plan = self.runner_for(args).plan
        timed = Runner(self.optimized, plan, self.use_disk_cache, timed=True)
        if timed.run(args) is None:
            raise InvalidArgumentError(None, f"timing {self.graph.name}: argument check failed")
        timed.kernel_nanoseconds(reset=True)
        calls = max(1, int(calls))
        for _ in range(calls):
            timed.run(args)
        totals = timed.kernel_nanoseconds()
        return [(kernel.name, ns / calls / 1e3) for kernel, ns in zip(native_steps(plan), totals)]

    def _slow(self, args: list) -> list:
        args = self._checked(args)
        for var in self.optimized.captures.values():
            if not (type(var._value) is np.ndarray and var._value.flags.c_contiguous):
                var._value = contiguous(var._value)
        runner = self.runner_for(args)
        self._last, self._run = runner, runner.run
        result = runner.run(args)
        if result is None:  # every array was made canonical above: a plan/layout bug
            raise InvalidArgumentError(None, f"compiled {self.graph.name}: argument check "
                                       "failed after normalisation")
        return result

    def _checked(self, args: list) -> list:
        if len(args) != len(self.arg_specs):
            raise InvalidArgumentError(None, f"{self.graph.name} expects "
                                       f"{len(self.arg_specs)} arguments, got {len(args)}")
        out = []
        for index, (value, spec) in enumerate(zip(args, self.arg_specs)):
            array = np.asarray(value)
            if array.dtype != spec.dtype.np_dtype:
                raise InvalidArgumentError(None, f"argument {index} of {self.graph.name} must "
                                           f"have dtype {spec.dtype.name}, got {array.dtype}")
            if not spec.is_compatible_with(TensorSpec(array.shape, spec.dtype)):
                raise InvalidArgumentError(None, f"argument {index} of {self.graph.name} must "
                                           f"have shape {spec.short()}, got {array.shape}")
            canonical = np.dtype(spec.dtype.np_dtype)
            array = contiguous(array)
            if type(array) is not np.ndarray or array.dtype is not canonical:
                array = np.asarray(array).view(canonical)
            out.append(array)
        return out

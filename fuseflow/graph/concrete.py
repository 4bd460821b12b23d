"""ConcreteFunction: one trace of a function (its graph) and how to run it."""

from __future__ import annotations

import contextlib
import importlib

import numpy as np

from fuseflow.core import context, nest
from fuseflow.core.shape import TensorShape, TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor, wrap
from fuseflow.graph.graph import Graph
from fuseflow.graph.tracing import SymbolicTensor

_compile_graph = None  # fuseflow.compiler.compile_graph, found on first use


def compiler_entry():
    """`fuseflow.compiler.compile_graph`, or None while the compiler floor does not provide it.

    Looked up by name at call time: the graph floor never imports the floors above it.
    """
    global _compile_graph
    if _compile_graph is None:
        try:
            module = importlib.import_module("fuseflow.compiler")
        except ImportError:
            return None
        _compile_graph = getattr(module, "compile_graph", None)
    return _compile_graph


# Set by fuseflow.runtime.debug_compare while `fuseflow.config.debug_compare(True)` is on:
# `check(graph, executable, passes) -> executable` wraps a compiled executable with a check.
debug_check: list = [None]


def build_executable(graph: Graph, jit_compile: bool | None, passes: tuple | None = None):
    """A callable `run(arrays) -> arrays` for `graph`: compiled unless `jit_compile is False`.

    `passes` replaces the compiler's configured pipeline (None: the configured one).
    """
    if jit_compile is not False:
        compile_graph = compiler_entry()
        if compile_graph is not None:
            return compile_graph(graph) if passes is None else compile_graph(graph, passes)
    interpreter = importlib.import_module("fuseflow.runtime.interpreter")
    return interpreter.Interpreter(graph)


@contextlib.contextmanager
def tapes_paused():
    """Hide the ops of a trace from every recording tape (they see the replayed ops instead)."""
    saved = [(tape, tape._recording) for tape in context.active_tapes()]
    for tape, _ in saved:
        tape._recording = False
    try:
        yield
    finally:
        for tape, was in saved:
            tape._recording = was


class ConcreteFunction:
    """One traced graph of a `fuseflow.function`, callable on tensors matching its inputs."""

    def __init__(self, graph: Graph, input_signature: tuple, structured_outputs,
                 jit_compile: bool | None, arg_paths: list[str], passes: tuple | None = None):
        self.graph = graph
        self.passes = passes
        self.structured_input_signature = input_signature
        self.structured_outputs = structured_outputs
        self._jit_compile = jit_compile
        self._arg_paths = arg_paths
        self._executable = None
        self._checked = (None, None)  # (debug check, the executable it wrapped)
        leaves = nest.flatten(structured_outputs)
        self._template = leaves
        self._tensor_positions = [i for i, v in enumerate(leaves) if isinstance(v, Tensor)]
        self._single = (isinstance(structured_outputs, Tensor))

    # -- metadata ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.graph.name

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return [SymbolicTensor(self.graph, p, 0, self.graph.spec(p))
                for p in self.graph.placeholders]

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return [SymbolicTensor(self.graph, n, i, self.graph.output_spec(n, i))
                for n, i in self.graph.outputs]

    @property
    def variables(self) -> tuple:
        return tuple(self.graph.captures.values())

    @property
    def trainable_variables(self) -> tuple:
        return tuple(v for v in self.variables if v.trainable)

    @property
    def input_specs(self) -> list[TensorSpec]:
        return [self.graph.spec(p) for p in self.graph.placeholders]

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """`name(x)` with each argument's and each output's type."""
        args = ", ".join(self._arg_paths)
        lines = [f"{self.name}({args})", "  Args:"]
        for path, spec in zip(self._arg_paths, self.input_specs):
            lines.append(f"    {path}: {_spec_words(spec)}")
        if not self._arg_paths:
            lines.append("    (none)")
        lines.append("  Returns:")
        outputs = nest.map_structure(
            lambda v: _spec_words(v.spec) if isinstance(v, Tensor) else repr(v),
            self.structured_outputs)
        lines.append(f"    {outputs}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.pretty_printed_signature().splitlines()[0]}>"

    # -- running -----------------------------------------------------------------------------
    def executable(self):
        """The runnable form of the graph (built on first use)."""
        if self._executable is None:
            self._executable = build_executable(self.graph, self._jit_compile, self.passes)
        check = debug_check[0]
        if check is None or self._jit_compile is False:
            return self._executable
        if self._checked[0] is not check:
            self._checked = (check, check(self.graph, self._executable, self.passes))
        return self._checked[1]

    def pack(self, arrays: list):
        """Structured outputs from the executable's output arrays."""
        if self._single:
            return wrap(arrays[0])
        leaves = list(self._template)
        for position, array in zip(self._tensor_positions, arrays):
            leaves[position] = wrap(array)
        return nest.pack_sequence_as(self.structured_outputs, leaves)

    def pack_tensors(self, tensors: list):
        """Structured outputs from output tensors (eager or symbolic, from a replay)."""
        leaves = list(self._template)
        for position, tensor in zip(self._tensor_positions, tensors):
            leaves[position] = tensor
        return nest.pack_sequence_as(self.structured_outputs, leaves)

    def call_flat(self, tensors: list):
        """Run on the flat tensor inputs, in the current context; return structured outputs."""
        from fuseflow.graph.replay import replay

        if not context.executing_eagerly() or context.active_tapes():
            # inside a trace: inline; under a tape: replay op by op so the tape sees each op
            return self.pack_tensors(replay(self.graph, tensors))
        arrays = [t._value if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
        return self.pack(self.executable()(arrays))

    def __call__(self, *args, **kwargs):
        flat = [v for v in nest.flatten((args, kwargs))
                if isinstance(v, Tensor | np.ndarray) or hasattr(v, "_as_tensor")]
        specs = self.input_specs
        if len(flat) != len(specs):
            raise TypeError(f"{self.name}: expected {len(specs)} tensor arguments "
                            f"({', '.join(self._arg_paths)}), got {len(flat)}")
        tensors = []
        for path, spec, value in zip(self._arg_paths, specs, flat):
            tensor = convert_to_tensor(value)
            if not spec.is_compatible_with(tensor):
                raise TypeError(f"{self.name}: argument {path!r} must match {spec!r}, got "
                                f"{tensor.spec.short()}")
            tensors.append(tensor)
        return self.call_flat(tensors)


def _spec_words(spec: TensorSpec) -> str:
    return f"{spec.dtype.name} Tensor, shape={TensorShape(spec.shape)}"

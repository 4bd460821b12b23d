"""`fuseflow.function`: trace a Python function into graphs, one per trace key, and run them.

The steady-state call is the point: a call with the same plain tensors (dtype and shape) as the
previous one goes through a generated check straight to the cached executable.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import weakref

from fuseflow.core import context, nest
from fuseflow.core.errors import user_source
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import Tensor, convert_to_tensor
from fuseflow.graph import retracing
from fuseflow.graph.concrete import ConcreteFunction, tapes_paused
from fuseflow.graph.fastpath import MISS, make_fast_path
from fuseflow.graph.graph import Graph
from fuseflow.graph.signature import generalize, is_tensor_leaf, leaf_spec, relaxed, walk
from fuseflow.graph.signature_check import check_signature
from fuseflow.graph.tracing import TracingContext, current_tracing_context

_RUN_EAGERLY = [False]
_LIVE: weakref.WeakSet = weakref.WeakSet()  # every Function, so switches can drop fast paths


def reset_fast_paths() -> None:
    """Make every Function take its general call path once (after a global switch changed)."""
    for fn in list(_LIVE):
        fn._fast = None


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Make every `fuseflow.function` run its Python body eagerly (for debugging)."""
    _RUN_EAGERLY[0] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    return _RUN_EAGERLY[0]


class Function:
    """A Python function traced into graphs: see `fuseflow.function`."""

    def __init__(self, python_function, input_signature=None, jit_compile: bool | None = None,
                 reduce_retracing: bool = False, name: str | None = None, bound: bool = False,
                 passes: tuple | None = None):
        self._python_function = python_function
        self._passes = None if passes is None else tuple(passes)
        self._input_signature = None if input_signature is None else tuple(input_signature)
        self._jit_compile = jit_compile
        self._reduce_retracing = reduce_retracing
        self._name = name or getattr(python_function, "__name__", "function")
        self._signature = inspect.signature(python_function)
        self._cache: dict = {}  # trace key -> ConcreteFunction
        self._general: dict = {}  # relaxed key -> [ConcreteFunction with None dims]
        self._seen_specs: dict = {}  # relaxed key -> specs of the first trace
        self._concretes: list[ConcreteFunction] = []
        self._instances: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._fast = None
        self._calls = [0]  # shared with the fast path, which counts its calls too
        self.retraces = retracing.History(self._name, python_function, bound, user_source())
        functools.update_wrapper(self, python_function, updated=())
        _LIVE.add(self)

    # -- public API ----------------------------------------------------------------------------
    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python body has been traced."""
        return len(self._concretes)

    def explain_retracing(self) -> str:
        """Each retrace of this function: which argument changed, old -> new, and where."""
        return self.retraces.text()

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        return "\n\n".join(c.pretty_printed_signature(verbose) for c in self._concretes)

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The trace for arguments (or TensorSpecs) like these, tracing it if needed."""
        if not args and not kwargs and self._input_signature is not None:
            args = self._input_signature
        return self._lookup(*self._key(args, kwargs))

    def experimental_get_compiler_ir(self, *args, **kwargs):
        """A callable `ir(stage="traced")` showing this function compiled for these arguments.

        Stages: traced, optimized, fused, llvm, optimized_llvm, asm and passes (each pass with
        node counts before/after and what it changed).
        """
        concrete, arg_specs = self.experimental_trace(*args, **kwargs)
        inspector = importlib.import_module("fuseflow.compiler.inspect")
        return inspector.compiler_ir(concrete.graph, arg_specs, self._passes)

    def experimental_trace(self, *args, **kwargs) -> tuple[ConcreteFunction, list[TensorSpec]]:
        """The trace for these arguments and the arguments' own specs (concrete shapes)."""
        if not args and not kwargs and self._input_signature is not None:
            args = self._input_signature
        bound, key, leaves, specs = self._key(args, kwargs)
        concrete = self._lookup(bound, key, leaves, specs)
        return concrete, [leaf_spec(v) for _, v in leaves]

    @property
    def passes(self) -> tuple | None:
        """The compiler passes given to `function(passes=...)` (None: the configured pipeline)."""
        return self._passes

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        try:
            method = self._instances.get(instance)
        except TypeError:  # instance not weak-referenceable: no per-instance cache
            method = None
        if method is None:
            method = Function(self._python_function.__get__(instance, owner),
                              self._input_signature, self._jit_compile, self._reduce_retracing,
                              self._name, bound=True, passes=self._passes)
            try:
                self._instances[instance] = method
            except TypeError:
                pass
        return method

    def __repr__(self) -> str:
        return f"<fuseflow.function {self._name}>"

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        fast = self._fast
        if fast is not None and not kwargs:
            out = fast(args)
            if out is not MISS:
                return out
        return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict):
        self._calls[0] += 1
        if _RUN_EAGERLY[0]:
            return self._python_function(*args, **kwargs)
        bound, key, leaves, specs = self._key(args, kwargs)
        concrete = self._lookup(bound, key, leaves, specs)
        tensors = [v for _, v in leaves]
        result = concrete.call_flat(tensors)
        if not kwargs and current_tracing_context() is None and not context.active_tapes():
            self._fast = make_fast_path(self, concrete, args, leaves)
        return result

    def _key(self, args, kwargs):
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self._name}(): {error}") from None
        bound.apply_defaults()
        if self._input_signature is not None:
            return (bound, *check_signature(self._name, self._input_signature, bound))
        leaves: list = []
        key = tuple(walk(value, name, leaves) for name, value in bound.arguments.items())
        return bound, key, leaves, None

    def _lookup(self, bound, key, leaves, specs=None) -> ConcreteFunction:
        concrete = self._cache.get(key)
        if concrete is not None:
            return concrete
        if specs is None:
            specs = [leaf_spec(v) for _, v in leaves]
        if self._reduce_retracing and self._input_signature is None:
            concrete, specs = self._relax(key, specs)
            if concrete is not None:
                self._cache[key] = concrete
                return concrete
        concrete = self._trace(bound, leaves, specs, key)
        self._cache[key] = concrete
        if self._reduce_retracing and self._input_signature is None:
            self._general.setdefault(_relaxed_key(key), []).append(concrete)
        return concrete

    def _relax(self, key, specs):
        """reduce_retracing: reuse a general trace, or generalize after a second shape."""
        rkey = _relaxed_key(key)
        for concrete in self._general.get(rkey, []):
            if all(g.is_compatible_with(s) for g, s in zip(concrete.input_specs, specs)):
                return concrete, specs
        first = self._seen_specs.setdefault(rkey, specs)
        if first is not specs:
            specs = [generalize(a, b) for a, b in zip(first, specs)]
        return None, specs

    def _trace(self, bound, leaves, specs: list[TensorSpec], key) -> ConcreteFunction:
        graph = Graph(self._name)
        tracer = TracingContext(graph, allow_variables=not self._concretes)
        with tapes_paused(), context.pushed(tracer):
            symbols = [tracer.symbolic(graph.add_placeholder(spec, path))
                       for spec, (path, _) in zip(specs, leaves)]
            args, kwargs = _substitute(bound, symbols)
            result = self._python_function(*args, **kwargs)
            structured = nest.map_structure(lambda v: _output_leaf(tracer, v), result)
            graph.outputs = [tracer.ref(v) for v in nest.flatten(structured)
                             if isinstance(v, Tensor)]
        tracer.finish()
        concrete = ConcreteFunction(graph, _input_signature(bound, specs, leaves), structured,
                                    self._jit_compile, [path for path, _ in leaves], self._passes)
        self.retraces.traced(self, key, list(bound.arguments), self._calls[0])
        self._concretes.append(concrete)
        return concrete


def _relaxed_key(key) -> tuple:
    return tuple(relaxed(k) for k in key)


def _output_leaf(tracer: TracingContext, value):
    if hasattr(value, "_as_tensor") and not isinstance(value, Tensor):
        return convert_to_tensor(value)  # a returned Variable gives its value
    return value


def _substitute(bound, symbols: list):
    """The call's (args, kwargs) with each tensor leaf replaced by its placeholder's tensor."""
    it = iter(symbols)
    arguments = {name: _replace(value, it) for name, value in bound.arguments.items()}
    call = inspect.BoundArguments(bound.signature, arguments)
    return call.args, call.kwargs


def _replace(value, symbols):
    if is_tensor_leaf(value):
        return next(symbols)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return type(value)(*(_replace(v, symbols) for v in value))
    if isinstance(value, list | tuple):
        return type(value)(_replace(v, symbols) for v in value)
    if isinstance(value, dict):
        replaced = {k: _replace(value[k], symbols) for k in sorted(value)}
        return type(value)((k, replaced[k]) for k in value)
    return value


def _input_signature(bound, specs, leaves) -> tuple:
    by_path = {path: spec for (path, _), spec in zip(leaves, specs)}
    args = tuple(by_path.get(name, value) for name, value in bound.arguments.items())
    return args, {}


def function(func=None, *, input_signature=None, jit_compile: bool | None = None,
             reduce_retracing: bool = False, name: str | None = None, autograph: bool = True,
             experimental_relax_shapes: bool | None = None, passes=None, **unused):
    """Trace `func` into a graph on first call and run the graph afterwards, like tf.function.

    Args:
        func: the Python function (or method) to trace; omit to use `@function(...)`.
        input_signature: TensorSpecs fixing one trace; `None` dims match any size.
        jit_compile: None/True run the compiled graph, False the graph interpreter.
        reduce_retracing: generalize to `None` dims after a second distinct shape.
        name: the graph's name (default: the function's name).
        passes: the compiler passes to run, in order (default: the configured pipeline,
            `fuseflow.compiler.DEFAULT_PIPELINE` less what `fuseflow.config.optimizer` turns off).

    Returns:
        A `Function`; calling it traces when its arguments need a new trace (see
        `explain_retracing()`), then runs the graph.
    """
    relax = reduce_retracing or bool(experimental_relax_shapes)

    def decorate(fn):
        return Function(fn, input_signature, jit_compile, relax, name, passes=passes)

    return decorate if func is None else decorate(func)

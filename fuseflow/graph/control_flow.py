"""`cond` and `while_loop`: plain Python eagerly; nodes holding subgraphs when traced.

Each branch (or loop cond/body) is traced into its own Graph by a `BranchContext`: values of
enclosing graphs it uses become extra placeholders ("captures"), and variables it reads before
writing them are read in the enclosing graph and captured, so tapes see those reads. The node's
inputs are its operands then the captures; executors run the subgraphs with the interpreter.
"""

from __future__ import annotations

import importlib

from fuseflow.core import context, nest
from fuseflow.core.context import bind
from fuseflow.core.errors import InvalidArgumentError
from fuseflow.core.registry import OpKind, define_op
from fuseflow.core.shape import TensorSpec
from fuseflow.core.tensor import convert_to_tensor
from fuseflow.graph.concrete import tapes_paused
from fuseflow.graph.graph import Graph
from fuseflow.graph.signature import generalize
from fuseflow.graph.tracing import SymbolicTensor, TracingContext, current_tracing_context


def run_subgraph(graph: Graph, arrays: list) -> list:
    """Run a subgraph with the graph interpreter (found by name: graph never imports runtime)."""
    return importlib.import_module("fuseflow.runtime.interpreter").interpret(graph, arrays)


class BranchContext(TracingContext):
    """Traces one branch or loop function into a subgraph of the enclosing trace."""

    def __init__(self, graph: Graph, parent: TracingContext, paused: list):
        super().__init__(graph, allow_variables=False, parent=parent)
        self.captured: list[SymbolicTensor] = []
        self._captures: dict[tuple[int, int], int] = {}
        self._lifted: dict[str, SymbolicTensor] = {}
        self._written: set[str] = set()
        self.paused = paused  # (tape, was recording) at the outermost branch

    def capture(self, tensor: SymbolicTensor) -> tuple[int, int]:
        outer = tensor if tensor._graph is self.parent.graph else \
            self.parent.symbolic(*self.parent.ref(tensor))
        key = (outer._node, outer._index)
        node = self._captures.get(key)
        if node is None:
            node = self.graph.add_placeholder(outer.spec, f"capture_{len(self.captured)}")
            self._captures[key] = node
            self.captured.append(outer)
        return node, 0

    def read_variable(self, variable):
        key = variable.name
        if key in self._written:
            return super().read_variable(variable)
        lifted = self._lifted.get(key)
        if lifted is None:
            outer = self.parent.read_variable(variable)
            for tape, was in self.paused:  # the enclosing trace's read is what tapes see
                if was:
                    tape._recording = True
                    tape._variable_read(variable, outer)
                    tape._recording = False
            lifted = self._lifted[key] = self.symbolic(*self.capture(outer))
        return lifted

    def assign_variable(self, variable, value, mode):
        super().assign_variable(variable, value, mode)
        self._written.add(variable.name)

    def variable_created(self, variable):
        self.parent.variable_created(variable)


class Branch:
    """A traced branch: its graph, the outer tensors it captured, its output structure."""

    def __init__(self, fn, parent: TracingContext, name: str, arg_specs: list, pack=None):
        self.graph = Graph(name)
        paused = parent.paused if isinstance(parent, BranchContext) else \
            [(t, t._recording) for t in context.active_tapes()]
        ctx = BranchContext(self.graph, parent, paused)
        with tapes_paused(), context.pushed(ctx):
            args = [ctx.symbolic(self.graph.add_placeholder(s, f"arg{i}"))
                    for i, s in enumerate(arg_specs)]
            result = fn(*(pack(args) if pack else args))
            self.structure = result
            flat = [] if result is None else [convert_to_tensor(v) for v in nest.flatten(result)]
            self.graph.outputs = [ctx.ref(t) for t in flat]
        ctx.finish()
        self.num_args = len(arg_specs)
        self.captured = ctx.captured
        self.specs = [self.graph.output_spec(n, i) for n, i in self.graph.outputs]


def _unify_captures(branches: list[Branch]) -> list[SymbolicTensor]:
    """One capture list for all branches; each branch graph gets placeholders in that order."""
    union: dict[tuple[int, int], SymbolicTensor] = {}
    for branch in branches:
        for tensor in branch.captured:
            union.setdefault((tensor._node, tensor._index), tensor)
    for branch in branches:
        graph = branch.graph
        own = dict(zip([(t._node, t._index) for t in branch.captured],
                       graph.placeholders[branch.num_args:]))
        args = graph.placeholders[:branch.num_args]
        extra = [own.get(key) if key in own else graph.add_placeholder(t.spec, "unused")
                 for key, t in union.items()]
        graph.placeholders = args + extra
    return list(union.values())


def _merged_specs(a: list[TensorSpec], b: list[TensorSpec], what: str) -> tuple:
    if len(a) != len(b):
        raise ValueError(f"{what}: the branches return {len(a)} and {len(b)} values")
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x.dtype != y.dtype or x.rank != y.rank:
            raise TypeError(f"{what}: output {i} is {x.short()} in one branch and {y.short()} "
                            f"in the other; both branches must return the same dtypes and ranks")
        out.append(generalize(x, y))
    return tuple(out)


# -- cond --------------------------------------------------------------------------------------

def _cond_infer(pred: TensorSpec, *captures, then_graph, else_graph):
    if pred.dtype.name != "bool" or pred.rank != 0:
        raise InvalidArgumentError("cond", f"pred must be a scalar bool, got {pred.short()}")
    specs = [[g.output_spec(n, i) for n, i in g.outputs] for g in (then_graph, else_graph)]
    return _merged_specs(*specs, "cond")


def _cond_impl(pred, *captures, then_graph, else_graph):
    return tuple(run_subgraph(then_graph if pred else else_graph, list(captures)))


def _cond_grad(g, out, pred, *captures, then_graph, else_graph):
    grads_in = list(g) if isinstance(g, tuple) else [g]
    wrt = [i for i, c in enumerate(captures) if c.dtype.is_floating]
    if not wrt:
        return (None,) * (len(captures) + 1)

    def branch_grad(graph: Graph):
        return lambda: _graph_vjp(graph, list(captures), grads_in, wrt)

    result = cond(pred, branch_grad(then_graph), branch_grad(else_graph))
    full = [None] * len(captures)
    for i, grad in zip(wrt, result):
        full[i] = grad
    return (None, *full)


def _graph_vjp(graph: Graph, inputs: list, output_grads: list, wrt: list[int]) -> list:
    from fuseflow.core.tape import GradientTape, UnconnectedGradients
    from fuseflow.graph.replay import replay

    with GradientTape() as tape:
        for i in wrt:
            tape.watch(inputs[i])
        outs = replay(graph, inputs, skip_writes=True)
    grads = tape.gradient(outs, [inputs[i] for i in wrt], output_gradients=output_grads,
                          unconnected_gradients=UnconnectedGradients.ZERO)
    return list(grads)


define_op("cond", kind=OpKind.OPAQUE, infer=_cond_infer, impl=_cond_impl, grad=_cond_grad,
          pure=False, foldable=False)


def cond(pred, true_fn=None, false_fn=None, name: str | None = None):
    """Return `true_fn()` if `pred` else `false_fn()`, like `tf.cond`.

    Eagerly (or with a Python bool) only the chosen function runs. In a traced function with a
    symbolic `pred` both are traced into subgraphs of one `cond` node; both must return the
    same structure and dtypes. Differentiable: the gradient is a `cond` of both branches'.
    """
    if true_fn is None or false_fn is None:
        raise TypeError("cond: true_fn and false_fn are required")
    tracer = current_tracing_context()
    if tracer is None or not isinstance(pred, SymbolicTensor):
        return true_fn() if bool(pred) else false_fn()
    base = name or "cond"
    then = Branch(true_fn, tracer, f"{base}_true", [])
    other = Branch(false_fn, tracer, f"{base}_false", [])
    if then.structure is None and other.structure is None:
        structure = None
    else:
        nest.assert_same_structure(then.structure, other.structure)
        structure = then.structure
    captures = _unify_captures([then, other])
    outs = bind("cond", pred, *captures, name=name, then_graph=then.graph,
                else_graph=other.graph)
    return None if structure is None else nest.pack_sequence_as(structure, list(outs))


# -- while_loop --------------------------------------------------------------------------------

def _while_infer(*specs, cond_graph, body_graph, num_vars, maximum_iterations):
    return tuple(body_graph.output_spec(n, i) for n, i in body_graph.outputs)


def _while_impl(*arrays, cond_graph, body_graph, num_vars, maximum_iterations):
    values, captures = list(arrays[:num_vars]), list(arrays[num_vars:])
    step = 0
    while maximum_iterations is None or step < maximum_iterations:
        if not run_subgraph(cond_graph, values + captures)[0]:
            break
        values = run_subgraph(body_graph, values + captures)
        step += 1
    return tuple(values)


def _while_grad(g, out, *inputs, cond_graph, body_graph, num_vars, maximum_iterations):
    """Recompute the loop as a chain of `cond`s under a tape and differentiate that."""
    from fuseflow.core.tape import GradientTape, UnconnectedGradients
    from fuseflow.graph.replay import replay

    if maximum_iterations is None and not context.executing_eagerly():
        raise ValueError("while_loop: reverse-mode gradients in a traced function need "
                         "`maximum_iterations` (a Python int)")
    values, captures = list(inputs[:num_vars]), list(inputs[num_vars:])
    wrt = [i for i, t in enumerate(inputs) if t.dtype.is_floating]
    with GradientTape() as tape:
        for i in wrt:
            tape.watch(inputs[i])
        step = 0
        while maximum_iterations is None or step < maximum_iterations:
            pred = replay(cond_graph, values + captures)[0]
            if not isinstance(pred, SymbolicTensor) and not bool(pred):
                break
            current = values
            values = list(cond(pred, lambda v=current: replay(body_graph, v + captures),
                               lambda v=current: list(v)))
            step += 1
    grads = tape.gradient(values, [inputs[i] for i in wrt],
                          output_gradients=list(g) if isinstance(g, tuple) else [g],
                          unconnected_gradients=UnconnectedGradients.NONE)
    full: list = [None] * len(inputs)
    for i, grad in zip(wrt, grads):
        full[i] = grad
    return tuple(full)


define_op("while_loop", kind=OpKind.OPAQUE, infer=_while_infer, impl=_while_impl,
          grad=_while_grad, pure=False, foldable=False)


def _apply(fn, structure):
    """TF's calling convention: a list/tuple of loop vars is passed as positional arguments."""
    return fn(*structure) if isinstance(structure, list | tuple) else fn(structure)


def _as_structure(result, loop_vars):
    if not isinstance(loop_vars, list | tuple) or isinstance(result, list | tuple):
        return result
    return [result] if len(loop_vars) == 1 else result


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False,
               maximum_iterations=None, name: str | None = None):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, like `tf.while_loop`.

    Eagerly a Python loop. Traced with symbolic values, one `while_loop` node holding the cond
    and body subgraphs; shapes that change across iterations are generalized to `None` dims.
    Reverse-mode gradients recompute the loop; in a traced function they need
    `maximum_iterations` as a Python int.
    """
    tracer = current_tracing_context()
    flat = nest.flatten(loop_vars)
    if tracer is None:
        return _eager_loop(cond, body, loop_vars, maximum_iterations)
    tensors = [convert_to_tensor(v) for v in flat]
    specs = [t.spec for t in tensors]
    if shape_invariants is not None:
        specs = [TensorSpec(s, t.dtype) for s, t in
                 zip(nest.flatten(shape_invariants), tensors)]

    def pack(values):
        return nest.pack_sequence_as(loop_vars, values)

    base = name or "while"
    for _ in range(3):  # generalize shapes the body changes, then trace again
        body_branch = Branch(lambda *v: _as_structure(_apply(body, pack(list(v))), loop_vars),
                             tracer, f"{base}_body", specs)
        new = [generalize(a, b) if a.rank == b.rank else None
               for a, b in zip(specs, body_branch.specs)]
        if len(body_branch.specs) != len(specs) or None in new:
            raise ValueError(f"while_loop: body must return {len(specs)} values with the ranks "
                             f"and dtypes of loop_vars, got {body_branch.specs}")
        if new == specs:
            break
        specs = new
    cond_branch = Branch(lambda *v: _apply(cond, pack(list(v))), tracer, f"{base}_cond", specs)
    captures = _unify_captures([cond_branch, body_branch])
    limit = None if maximum_iterations is None else int(maximum_iterations)
    outs = bind("while_loop", *tensors, *captures, name=name, cond_graph=cond_branch.graph,
                body_graph=body_branch.graph, num_vars=len(tensors), maximum_iterations=limit)
    return pack(list(outs))


def _eager_loop(cond, body, loop_vars, maximum_iterations):
    values, step = loop_vars, 0
    while maximum_iterations is None or step < int(maximum_iterations):
        if not bool(_apply(cond, values)):
            break
        values = _as_structure(_apply(body, values), loop_vars)
        step += 1
    return values


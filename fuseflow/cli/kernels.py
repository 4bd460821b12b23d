"""The fused-kernel table the CLI prints: from the compiler's `explain` when it is available,
otherwise read from the compiled plans themselves (kernel names, ops and NumPy fallbacks)."""

from __future__ import annotations


def _ops_of(graph, nodes: list[int]) -> list[str]:
    ops = []
    for node in nodes:
        if graph.op(node) == "fused":
            ops += [op for op, _, _ in graph.attrs(node)["body"]]
        else:
            ops.append(graph.op(node))
    return ops


def _from_plans(concrete) -> str:
    executable = concrete.executable()
    runners = list(getattr(executable, "_runners", {}).values())
    if not runners:
        return "fused kernels: (not compiled yet: run the function once)"
    graph, plan = executable.optimized, runners[-1].plan
    rows = [("kernel", "ops")]
    for name, nodes in plan.kernel_nodes.items():
        rows.append((name, " ".join(_ops_of(graph, nodes))))
    width = max(len(r[0]) for r in rows)
    lines = [f"fused kernels of {concrete.name}: {len(rows) - 1} native, "
             f"{len(plan.fallbacks)} NumPy fallbacks"]
    lines += [f"  {name:<{width}}  {ops}" for name, ops in rows]
    lines += [f"  fallback {step.op}: {step.reason}" for step in plan.fallbacks]
    return "\n".join(lines)


def describe_kernels(function, *args) -> str:
    """A table of `function`'s fused kernels (a `fuseflow.function` or ConcreteFunction)."""
    from fuseflow.runtime.profiler import explain_function

    explain = explain_function()
    note = ""
    if explain is not None and args:
        try:
            return str(explain(function, *args))
        except Exception as error:  # fall back to the plan view, saying why
            note = f"(compiler.explain failed: {type(error).__name__}: {error})\n"
    concrete = function
    if hasattr(function, "get_concrete_function"):
        concrete = function.get_concrete_function(*args)
    return note + _from_plans(concrete)

"""The stages of one compilation, as text: what `experimental_get_compiler_ir` shows.

A `Compilation` runs a traced graph through the pipeline once, keeping every intermediate
graph, then plans and lowers it on demand. Stages are computed on first request, so asking for
the traced graph costs no LLVM work.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from fuseflow.core.shape import TensorSpec
from fuseflow.graph.graph import Graph

STAGES = ("traced", "optimized", "fused", "llvm", "optimized_llvm", "asm", "passes")
# TF/XLA spellings of the same stages
ALIASES = {"hlo": "traced", "optimized_hlo": "optimized", "hlo_serialized": "traced"}


@dataclass
class PassRecord:
    """One pass of the pipeline: its name, node counts before/after, what changed, its time."""

    name: str
    before: int
    after: int
    changes: str
    seconds: float
    graph: Graph = field(repr=False, default=None)

    def to_dict(self) -> dict:
        return {"name": self.name, "before": self.before, "after": self.after,
                "changes": self.changes, "seconds": self.seconds}


def op_changes(before: Graph, after: Graph) -> str:
    """`-2 multiply, +1 fused`: how the op counts moved (or `no change`)."""
    old = Counter(before.op(n) for n in before.nodes())
    new = Counter(after.op(n) for n in after.nodes())
    parts = [f"{new[op] - old[op]:+d} {op}" for op in sorted(old | new) if new[op] != old[op]]
    return ", ".join(parts) if parts else "no change"


class Compilation:
    """One graph through the compiler for concrete argument specs, stage by stage."""

    def __init__(self, graph: Graph, arg_specs: list[TensorSpec], passes: tuple | None = None):
        self.traced = graph
        self.arg_specs = [TensorSpec(s.shape, graph.spec(p).dtype)
                          for s, p in zip(arg_specs, graph.placeholders)]
        self.passes = passes
        self._records: list[PassRecord] | None = None
        self._plan = None
        self._ir_text: str | None = None
        self.seconds: dict[str, float] = {}

    # -- graphs ----------------------------------------------------------------------------
    @property
    def records(self) -> list[PassRecord]:
        """Each pass run (the pipeline runs on first access)."""
        if self._records is None:
            self._records = self._optimize()
        return self._records

    def _optimize(self) -> list[PassRecord]:
        from fuseflow.compiler.passes import default_passes
        from fuseflow.graph.verify import verify_graph

        passes = default_passes() if self.passes is None else self.passes
        records, graph = [], self.traced
        start = time.perf_counter()
        for step in passes:
            began = time.perf_counter()
            out = step(graph)
            verify_graph(out, check_specs=False)
            records.append(PassRecord(getattr(step, "__name__", str(step)), len(graph), len(out),
                                      op_changes(graph, out), time.perf_counter() - began, out))
            graph = out
        self.seconds["optimize"] = time.perf_counter() - start
        return records

    @property
    def final(self) -> Graph:
        """The graph after every pass."""
        return self.records[-1].graph if self.records else self.traced

    @property
    def before_fusion(self) -> Graph:
        """The graph after every pass that precedes the first `fuse` (all of them if none)."""
        graph = self.traced
        for record in self.records:
            if record.name.startswith("fuse"):
                return graph
            graph = record.graph
        return graph

    # -- native code -------------------------------------------------------------------------
    @property
    def plan(self):
        """The plan of the final graph for the argument shapes."""
        if self._plan is None:
            from fuseflow.compiler.plan import build_plan

            for index, spec in enumerate(self.arg_specs):
                if None in spec.shape:
                    raise ValueError(f"compiling {self.traced.name} needs concrete argument "
                                     f"shapes; argument {index} is {spec.short()}: pass arrays")
            start = time.perf_counter()
            self._plan = build_plan(self.final, self.arg_specs)
            self.seconds["plan"] = time.perf_counter() - start
        return self._plan

    @property
    def ir_text(self) -> str:
        """The LLVM IR of the plan's module, before optimization."""
        if self._ir_text is None:
            from fuseflow.compiler.codegen import get_codegen
            from fuseflow.compiler.lowering.module import build_module

            plan = self.plan
            start = time.perf_counter()
            self._ir_text, _ = build_module(get_codegen(), plan, f"ff_{plan.digest()}")
            self.seconds["lower"] = time.perf_counter() - start
        return self._ir_text

    # -- text ------------------------------------------------------------------------------
    def text(self, stage: str) -> str:
        """The text of one stage (see STAGES)."""
        from fuseflow.compiler.codegen import get_codegen

        stage = ALIASES.get(stage, stage)
        if stage == "traced":
            return self.traced.pretty(source=True)
        if stage == "optimized":
            return self.before_fusion.pretty(source=True)
        if stage == "fused":
            return self.final.pretty(source=True)
        if stage == "llvm":
            return self.ir_text
        if stage == "optimized_llvm":
            return get_codegen().optimized_ir(self.ir_text)
        if stage == "asm":
            return get_codegen().assembly(self.ir_text)
        if stage == "passes":
            return passes_table(self.traced, self.records)
        raise ValueError(f"experimental_get_compiler_ir: unknown stage {stage!r}; stages are "
                         f"{', '.join(STAGES)}")


def passes_table(traced: Graph, records: list[PassRecord]) -> str:
    """Each pass with its node counts before -> after, what changed, and its time."""
    width = max([len(r.name) for r in records] + [4])
    lines = [f"graph {traced.name}: {len(traced)} nodes traced",
             f"{'pass':<{width}}  {'nodes':>14}  {'ms':>7}  changes"]
    for r in records:
        lines.append(f"{r.name:<{width}}  {r.before:>5} -> {r.after:<5}  "
                     f"{r.seconds * 1e3:7.2f}  {r.changes}")
    return "\n".join(lines)


def compiler_ir(graph: Graph, arg_specs: list[TensorSpec],
                passes: tuple | None = None) -> Callable[..., str]:
    """A callable `ir(stage="traced")` returning the text of that stage for this graph."""
    compilation = Compilation(graph, arg_specs, passes)

    def ir(stage: str = "traced", device_name: str | None = None, platform_name: str | None = None,
           **unused) -> str:
        """The text of `stage`: traced, optimized, fused, llvm, optimized_llvm, asm or passes."""
        return compilation.text(stage)

    ir.stages = STAGES
    ir.compilation = compilation
    return ir

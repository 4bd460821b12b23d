"""`fuseflow inspect`: trace a function from a user's file with hollow specs and print a stage
(traced graph, optimized graph, fused kernels, LLVM IR, assembly, pass log), or print the graph
of a saved model."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

STAGES = ("traced", "optimized", "fused", "llvm", "optimized_llvm", "asm", "passes")
_SPEC = re.compile(r"^\s*([a-z]+[0-9]*)\s*\[\s*([^\]]*)\]\s*$")


def add_parser(commands) -> None:
    """Register `inspect` on the CLI's subcommands."""
    parser = commands.add_parser(
        "inspect", help="print a traced function's graph, kernels or IR, or a saved model",
        description="Trace FUNCTION from SCRIPT.py with hollow argument specs and print one "
                    "compilation stage; or print the graph of a saved model directory.")
    parser.add_argument("target", help="SCRIPT.py:FUNCTION, or a saved model's path")
    parser.add_argument("--args", nargs="*", default=[], metavar="SPEC",
                        help="one spec per argument, like float32[32,784] (? or None: any size)")
    parser.add_argument("--stage", choices=STAGES, default="traced", help="what to print")
    parser.add_argument("--dot", metavar="PATH",
                        help="also draw the stage's graph (.dot text, or .svg/.png via graphviz)")
    parser.set_defaults(run=_main)


def parse_spec(text: str):
    """`float32[32,784]` -> TensorSpec((32, 784), float32); `?`/`None` dims are unknown."""
    from fuseflow.core.dtypes import as_dtype
    from fuseflow.core.shape import TensorSpec

    match = _SPEC.match(text)
    if match is None:
        raise SystemExit(f"fuseflow inspect: bad --args spec {text!r}; write DTYPE[DIMS], "
                         "e.g. float32[32,784] or int32[?] or float32[]")
    dtype, dims = match.groups()
    try:
        shape = tuple(None if d.strip() in ("?", "None", "none", "") else int(d)
                      for d in dims.split(",")) if dims.strip() else ()
        return TensorSpec(shape, as_dtype(dtype))
    except (ValueError, TypeError) as error:
        raise SystemExit(f"fuseflow inspect: bad --args spec {text!r}: {error}") from None


def load_function(target: str):
    """The object FUNCTION (dotted names allowed) from SCRIPT.py, as a `fuseflow.function`."""
    import fuseflow as tf

    script, _, name = target.rpartition(":")
    if not script or not name:
        raise SystemExit(f"fuseflow inspect: expected SCRIPT.py:FUNCTION, got {target!r}")
    if not os.path.isfile(script):
        raise SystemExit(f"fuseflow inspect: no such file {script!r}")
    spec = importlib.util.spec_from_file_location("_fuseflow_inspected", script)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise SystemExit(f"fuseflow inspect: {script} has no {name!r}")
        obj = getattr(obj, part)
    return obj if hasattr(obj, "get_concrete_function") else tf.function(obj)


def stage_text(function, specs: list, stage: str) -> tuple[str, object]:
    """(text of `stage`, the graph drawn by --dot) for `function` traced on `specs`."""
    concrete = function.get_concrete_function(*specs)
    ir = getattr(function, "experimental_get_compiler_ir", None)
    graph = concrete.graph
    if ir is not None:
        try:
            text = ir(*specs)(stage=stage)
        except (ImportError, NotImplementedError):  # the compiler's inspector is not built in
            text = None
        if text is not None:
            return str(text), graph if stage == "traced" else _optimized(graph)
    if stage == "traced":
        return str(graph), graph
    if stage in ("optimized", "fused"):
        optimized = _optimized(graph)
        return str(optimized), optimized
    if stage == "passes":
        from fuseflow.compiler import run_pipeline

        log: list = []
        run_pipeline(graph, trace=log)
        return "\n\n".join(f"-- after {name}\n{g}" for name, g in log), graph
    if stage == "llvm":
        return _llvm_text(graph, specs), _optimized(graph)
    raise SystemExit(f"fuseflow inspect: --stage {stage} needs the compiler's "
                     "experimental_get_compiler_ir, which this build lacks")


def _optimized(graph):
    from fuseflow.compiler import run_pipeline

    return run_pipeline(graph)


def _llvm_text(graph, specs) -> str:
    import numpy as np

    from fuseflow.compiler import compile_graph

    if any(None in s.shape for s in specs):
        raise SystemExit("fuseflow inspect: --stage llvm needs every dimension known")
    compiled = compile_graph(graph)
    arrays = [np.zeros(s.shape, s.dtype.np_dtype) for s in specs]
    return compiled.runner_for(arrays).ir_text


def write_dot(graph, path: str) -> str:
    """Write `graph` as dot text, or render it when `path` is .svg/.png and graphviz exists."""
    dot = graph.to_dot()
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    if extension in ("svg", "png", "pdf") and shutil.which("dot"):
        subprocess.run(["dot", f"-T{extension}", "-o", path], input=dot.encode(), check=True)
        return f"wrote {path}"
    if extension in ("svg", "png", "pdf"):
        path = os.path.splitext(path)[0] + ".dot"
        note = " (graphviz's `dot` is not installed: wrote the dot text instead)"
    else:
        note = ""
    with open(path, "w") as f:
        f.write(dot)
    return f"wrote {path}{note}"


def inspect_model(path: str) -> str:
    """A saved model's summary and the graph of its call on its input shape."""
    import fuseflow as tf
    from fuseflow.core.shape import TensorSpec

    model = tf.keras.models.load_model(path)
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and shape:
        fn = tf.function(lambda x: model(x, training=False), name=model.name)
        lines.append("")
        lines.append(str(fn.get_concrete_function(TensorSpec(shape, tf.float32)).graph))
    return "\n".join(lines)


def _main(args) -> int:
    if ":" not in args.target and os.path.exists(args.target):
        print(inspect_model(args.target))
        return 0
    function = load_function(args.target)
    specs = [parse_spec(text) for text in args.args]
    text, graph = stage_text(function, specs, args.stage)
    print(text)
    if args.dot:
        print(write_dot(graph, args.dot))
    return 0

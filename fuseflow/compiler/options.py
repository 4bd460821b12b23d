"""Optimizer options: which passes of the default pipeline run, by TensorFlow's option names.

`fuseflow.config.optimizer.set_experimental_options({'constant_folding': False})` turns
`fold_constants` off for every graph compiled afterwards; options not named in TF map to our
own pass names. Only passes that may be skipped without changing results are listed: fusion
and dead-code elimination change speed, never values.
"""

from __future__ import annotations

# TF option name -> the pass (by function name) it toggles
PASS_OPTIONS: dict[str, str] = {
    "constant_folding": "fold_constants",
    "arithmetic_optimization": "simplify_algebra",
    "common_subgraph_elimination": "eliminate_common_subexpressions",
    "dependency_optimization": "eliminate_dead_code",
    "remapping": "fuse",
}
# Accepted for compatibility (TF has them); fuseflow has no pass they would toggle.
ACCEPTED_OPTIONS = frozenset({
    "layout_optimizer", "shape_optimization", "loop_optimization", "function_optimization",
    "debug_stripper", "scoped_allocator_optimization", "pin_to_host_optimization",
    "implementation_selector", "auto_mixed_precision", "min_graph_nodes", "auto_parallel",
    "memory_optimization", "disable_model_pruning",
})
_DISABLE_ALL = "disable_meta_optimizer"

_options: dict[str, bool | int] = {}


def set_experimental_options(options: dict) -> None:
    """Set optimizer options by TF name, e.g. `{'constant_folding': False}`.

    Raises:
        ValueError: an option name fuseflow does not know.
    """
    known = set(PASS_OPTIONS) | ACCEPTED_OPTIONS | {_DISABLE_ALL}
    for name, value in dict(options).items():
        if name not in known:
            raise ValueError(f"set_experimental_options: unknown option {name!r}; known "
                             f"options: {sorted(known)}")
        _options[name] = value if name == "min_graph_nodes" else bool(value)


def get_experimental_options() -> dict:
    """The options set so far (as TF does, only those set explicitly)."""
    return dict(_options)


def reset_experimental_options() -> None:
    """Forget every option set (all passes on again)."""
    _options.clear()


def pass_enabled(pass_name: str) -> bool:
    """Whether the pass named `pass_name` may run under the current options."""
    if _options.get(_DISABLE_ALL):
        return False
    return all(_options.get(option, True) for option, name in PASS_OPTIONS.items()
               if name == pass_name)


def configured(passes: tuple) -> tuple:
    """`passes` without the ones the current options turn off."""
    return tuple(p for p in passes if pass_enabled(getattr(p, "__name__", "")))

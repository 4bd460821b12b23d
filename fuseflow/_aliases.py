"""`fuseflow.keras` is `fuseflow.keras_api`: one module object under two names.

A plain `sys.modules` entry would not cover submodules (`fuseflow.keras.layers` would be loaded a
second time, with classes distinct from `fuseflow.keras_api.layers`'), so a finder maps every
`fuseflow.keras.X` import onto the already-imported `fuseflow.keras_api.X`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIAS, TARGET = "fuseflow.keras", "fuseflow.keras_api"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self._target = target

    def create_module(self, spec):
        return importlib.import_module(self._target)

    def exec_module(self, module) -> None:
        pass  # the target module is already executed


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS):]
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def install() -> None:
    """Make `import fuseflow.keras...` resolve to `fuseflow.keras_api...`."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())

"""`Checkpoint` and `CheckpointManager`: object state saved under attribute names.

`Checkpoint(model=m, optimizer=opt, step=v)` stores each model weight as
`model/<structural key>`, the optimizer's variables as `optimizer/vars/<i>`, a Variable under its
attribute name, and `save_counter`, in the checkpoint layout of `bundle`.
"""

from __future__ import annotations

import os

import numpy as np

from fuseflow.core import context
from fuseflow.core.variable import Variable
from fuseflow.keras_api.layers.base_layer import Layer
from fuseflow.keras_api.optimizers.optimizer import Optimizer
from fuseflow.keras_api.saving import bundle, structure
from fuseflow.keras_api.saving.compile_state import restore_optimizer


class CheckpointLoadStatus:
    """What a restore matched; `assert_consumed` checks nothing was left over."""

    def __init__(self, unused: list[str], unmatched: list[str], path: str | None):
        self.unused, self.unmatched, self.path = unused, unmatched, path

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Raise unless every saved value found an object and every object a value."""
        if self.unused or self.unmatched:
            raise AssertionError(f"Checkpoint {self.path!r} was not fully consumed: values "
                                 f"without objects {self.unused}, objects without values "
                                 f"{self.unmatched}")
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Raise unless every object of the checkpoint got a saved value."""
        if self.unmatched:
            raise AssertionError(f"Checkpoint {self.path!r} has no values for {self.unmatched}")
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        if self.path is None:
            raise AssertionError("Nothing was restored (no checkpoint path)")
        return self


class Checkpoint:
    """Groups models, optimizers and variables to save and restore together."""

    def __init__(self, root=None, **kwargs):
        objects = dict(kwargs)
        if root is not None:
            objects["root"] = root
        for name, value in objects.items():
            if not isinstance(value, Layer | Optimizer | Variable | Checkpoint) \
                    and not hasattr(value, "trainable_variables"):
                raise ValueError(f"Checkpoint: `{name}` must be a model, layer, optimizer, "
                                 f"Variable or Checkpoint, received {type(value).__name__}")
        self._objects = objects
        with context.eager_scope():
            self._save_counter = Variable(np.int64(0), trainable=False, name="save_counter")

    def __getattr__(self, name: str):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"Checkpoint has no attribute {name!r}")

    @property
    def save_counter(self) -> Variable:
        """How many times `save` ran (saved with the checkpoint)."""
        return self._save_counter

    # -- entries -----------------------------------------------------------------------------
    def _entries(self, prefix: str = "") -> list[structure.Entry]:
        entries = [structure.Entry(f"{prefix}save_counter", self._save_counter, "checkpoint")]
        for name, value in self._objects.items():
            entries += _object_entries(value, f"{prefix}{name}")
        return entries

    def _prepare_optimizers(self, values: dict, path: str) -> None:
        models = [v for v in self._objects.values() if hasattr(v, "trainable_variables")
                  and not isinstance(v, Optimizer)]
        for name, value in self._objects.items():
            if isinstance(value, Optimizer):
                saved = {k[len(name) + 1:]: v for k, v in values.items()
                         if k.startswith(f"{name}/")}
                var_list = _model_variables(value, models, saved, path)
                restore_optimizer(value, saved, var_list, path)

    # -- saving ------------------------------------------------------------------------------
    def write(self, file_prefix) -> str:
        """Write the checkpoint at exactly `file_prefix`; return it."""
        prefix = os.fspath(file_prefix)
        return bundle.write(prefix, structure.as_arrays(self._entries()), {"kind": "checkpoint"})

    def save(self, file_prefix, options=None) -> str:
        """Write `file_prefix-<n>` (n = the new save count), record it as latest; return it."""
        self._save_counter.assign_add(np.int64(1))
        path = self.write(f"{os.fspath(file_prefix)}-{int(self._save_counter.numpy())}")
        directory = os.path.dirname(os.path.abspath(path))
        _, kept = bundle.read_state(directory)
        kept = [p for p in kept if os.path.abspath(p) != os.path.abspath(path)]
        bundle.write_state(directory, os.path.abspath(path),
                           [os.path.abspath(p) for p in kept] + [os.path.abspath(path)])
        return path

    # -- restoring ---------------------------------------------------------------------------
    def read(self, save_path, options=None) -> CheckpointLoadStatus:
        """Restore the values written at `save_path` (by `write` or `save`)."""
        return self.restore(save_path)

    def restore(self, save_path, options=None) -> CheckpointLoadStatus:
        """Restore every object from `save_path`; None restores nothing (fresh start).

        Raises:
            ValueError: a model has no variables yet, or a shape differs (naming both).
        """
        if save_path is None:
            return CheckpointLoadStatus([], [], None)
        path = os.fspath(save_path)
        values, _ = bundle.read(path)
        for name, value in self._objects.items():
            if isinstance(value, Layer):
                saved = {k: v for k, v in values.items() if k.startswith(f"{name}/")}
                structure.check_built(value, saved, path)
        self._prepare_optimizers(values, path)
        entries = self._entries()
        known = {e.key for e in entries}
        matched = [e for e in entries if e.key in values]
        structure.assign(matched, {k: values[k] for k in known if k in values}, path,
                         target="the checkpoint's objects")
        return CheckpointLoadStatus(sorted(set(values) - known),
                                    sorted(known - set(values)), path)


def _object_entries(value, name: str) -> list[structure.Entry]:
    if isinstance(value, Variable):
        return [structure.Entry(name, value, name)]
    if isinstance(value, Optimizer):
        return structure.optimizer_entries(value, f"{name}/")
    if isinstance(value, Checkpoint):
        return value._entries(f"{name}/")
    if isinstance(value, Layer):
        return structure.layer_entries(value, f"{name}/")
    return [structure.Entry(f"{name}/vars/{i}", v, name)
            for i, v in enumerate(value.trainable_variables)]


def _model_variables(optimizer, models, saved: dict, path: str) -> list:
    if optimizer.built or len(saved) <= len(optimizer.variables):
        return []
    if len(models) != 1:
        raise ValueError(f"Cannot restore the slots of optimizer {optimizer.name!r} from "
                         f"{path!r}: it has not been built yet. Build it first "
                         "(`optimizer.build(model.trainable_variables)`), or put exactly one "
                         "model in the Checkpoint.")
    return list(models[0].trainable_variables)


class CheckpointManager:
    """Numbered checkpoints in `directory`, keeping the newest `max_to_keep`."""

    def __init__(self, checkpoint: Checkpoint, directory, max_to_keep: int | None,
                 keep_checkpoint_every_n_hours=None, checkpoint_name: str = "ckpt",
                 step_counter=None, checkpoint_interval=None, init_fn=None):
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"CheckpointManager: `max_to_keep` must be a positive int or None, "
                             f"received {max_to_keep!r}")
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self.max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        self._step_counter, self._interval, self._init_fn = (step_counter, checkpoint_interval,
                                                             init_fn)
        self._last_step = None
        _, kept = bundle.read_state(self.directory)
        self._kept = [p for p in kept if bundle.exists(p)]

    @property
    def checkpoints(self) -> list[str]:
        """The kept checkpoint prefixes, oldest first."""
        return list(self._kept)

    @property
    def latest_checkpoint(self) -> str | None:
        """The newest kept checkpoint's prefix, or None."""
        return self._kept[-1] if self._kept else None

    @property
    def checkpoint(self) -> Checkpoint:
        return self._checkpoint

    def save(self, checkpoint_number=None, check_interval: bool = True, options=None):
        """Write a new checkpoint and delete the oldest beyond `max_to_keep`; return its path."""
        step = None if self._step_counter is None else int(np.asarray(self._step_counter))
        if check_interval and self._interval and self._last_step is not None and step is not None \
                and step - self._last_step < self._interval:
            return None
        self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign_add(np.int64(1))
        number = int(np.asarray(checkpoint_number)) if checkpoint_number is not None \
            else int(counter.numpy())
        path = self._checkpoint.write(f"{self._prefix}-{number}")
        self._kept = [p for p in self._kept if p != path] + [path]
        doomed = self._kept[:-self.max_to_keep] if self.max_to_keep else []
        self._kept = self._kept[len(doomed):]
        bundle.write_state(self.directory, path, self._kept)
        for old in doomed:  # deleted only once the state file no longer names them
            bundle.remove(old)
        return path

    def restore_or_initialize(self):
        """Restore the latest checkpoint, or run `init_fn` when there is none."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

"""Learning-rate schedules: functions of the optimizer's step, written with ops so they trace."""

from __future__ import annotations

import math

from fuseflow.keras_api.backend import ff


class LearningRateSchedule:
    """A serializable learning rate that depends on the optimizer step."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__(step)`")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement `get_config`")

    @classmethod
    def from_config(cls, config: dict):
        """Create the schedule from `get_config()`'s output."""
        return cls(**config)


def _step(step):
    return ff.cast(step, "float32")


class _RateDecay(LearningRateSchedule):
    """A decay driven by `step / decay_steps` (floored when staircase) and a `decay_rate`."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None):
        _check_positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def _progress(self, step):
        p = _step(step) / float(self.decay_steps)
        return ff.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored when staircase)."""

    def __call__(self, step):
        rate = ff.cast(self.decay_rate, "float32")
        return self.initial_learning_rate * ff.pow(rate, self._progress(step))


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`."""

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while step <= boundaries[0], `values[1]` while <= boundaries[1], ..."""

    def __init__(self, boundaries, values, name: str | None = None):
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: the length of `values` must be the length "
                             f"of `boundaries` plus 1; received boundaries={list(boundaries)}, "
                             f"values={list(values)}")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        step = _step(step)
        result = ff.cast(self.values[-1], "float32") + 0.0 * step
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            inside = ff.less_equal(step, float(boundary))
            result = ff.where(inside, ff.cast(value, "float32") + 0.0 * step, result)
        return result

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from `initial_learning_rate` to `alpha * initial` over `decay_steps`,
    after an optional linear warmup to `warmup_target` over `warmup_steps`."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str | None = None, warmup_target: float | None = None,
                 warmup_steps: int = 0):
        _check_positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, start: float):
        fraction = ff.minimum(step, float(self.decay_steps)) / float(self.decay_steps)
        cosine = 0.5 * (1.0 + ff.cos(math.pi * fraction))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _step(step)
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        warm = float(self.warmup_steps)
        ramp = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
            step / max(warm, 1.0))
        decayed = self._decay(ff.maximum(step - warm, 0.0), self.warmup_target)
        return ff.where(ff.less(step, warm), ramp, decayed)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


def _check_positive(cls: str, arg: str, value) -> None:
    if not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{cls}: `{arg}` must be a positive number, received {value!r}")


_SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay,
                                             PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """`{"class_name": ..., "config": ...}` for a schedule."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict, custom_objects=None) -> LearningRateSchedule:
    """The schedule that `serialize` described."""
    known = {**_SCHEDULES, **(custom_objects or {})}
    cls = known.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule: {config.get('class_name')!r}; known "
                         f"schedules: {sorted(_SCHEDULES)}")
    return cls.from_config(config["config"])

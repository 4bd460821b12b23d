"""What `compile(loss=..., metrics=...)` builds: per-output losses and metrics, resolved from
strings, functions and objects once the model's outputs are known."""

from __future__ import annotations

from fuseflow.core import nest
from fuseflow.core.tensor import convert_to_tensor
from fuseflow.keras_api import losses as losses_mod
from fuseflow.keras_api import metrics as metrics_mod
from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.metrics.metric import Mean, MeanMetricWrapper, Metric


def output_names_for(model, count: int) -> list[str]:
    """The model's output names, or `output_1`, `output_2`, ... when it has none."""
    names = getattr(model, "output_names", None) or []
    if len(names) == count:
        return list(names)
    return [f"output_{i + 1}" for i in range(count)]


def _per_output(spec, names: list[str], what: str) -> list:
    """`spec` (one value, a list, or a dict by output name) as one entry per output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only expected "
                             f"the following keys: {names}")
        return [spec.get(name) for name in names]
    if isinstance(spec, list | tuple):
        if len(spec) != len(names):
            raise ValueError(f"When passing a list as `{what}`, it should have one entry per "
                             f"model output. The model has {len(names)} outputs ({names}), but "
                             f"you passed {what}={list(spec)!r}")
        return list(spec)
    return [spec] * len(names)


def _loss_object(identifier):
    loss = losses_mod.get(identifier)
    if loss is None or isinstance(loss, losses_mod.Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", "loss")
    return losses_mod.LossFunctionWrapper(loss, name=name)


def _flat_targets(y, names: list[str], what: str) -> list:
    if y is None:
        return [None] * len(names)
    if isinstance(y, dict):
        missing = sorted(set(names) - set(y))
        if missing:
            raise ValueError(f"{what} dictionary is missing outputs {missing}; it has keys "
                             f"{sorted(y)}")
        return [y[name] for name in names]
    if len(names) == 1:
        return [y[0] if isinstance(y, list | tuple) and len(y) == 1 else y]
    flat = list(y) if isinstance(y, list | tuple) else [y]
    if len(flat) != len(names):
        raise ValueError(f"{what} has {len(flat)} entries but the model has {len(names)} "
                         f"outputs ({names})")
    return flat


def _batch_size(y_pred):
    return ff.cast(ff.shape(y_pred)[0], "float32")


class LossesContainer:
    """The compiled loss: one Loss per output, weighted and summed, plus a `loss` tracker."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._loss_spec, self._weights_spec = loss, loss_weights
        self._output_names = output_names
        # Resolve eagerly so an unknown string fails at compile(), naming the argument.
        for item in nest.flatten(loss) if loss is not None else []:
            losses_mod.get(item)
        self.loss_metric = Mean(name="loss")
        self._per_output_metrics: list[Mean | None] = []
        self._losses: list | None = None

    @property
    def metrics(self) -> list[Metric]:
        """The `loss` tracker, then one `<output>_loss` tracker per output when several."""
        return [self.loss_metric] + [m for m in self._per_output_metrics if m is not None]

    def loss_for_output(self, index: int):
        """The Loss of output `index` (None before `build` or for an output without one)."""
        return None if self._losses is None else self._losses[index]

    def build(self, y_pred) -> None:
        """Assign a loss to each output of `y_pred`."""
        count = len(nest.flatten(y_pred))
        names = self._output_names or [f"output_{i + 1}" for i in range(count)]
        self.names = names if len(names) == count else [f"output_{i + 1}" for i in range(count)]
        specs = _per_output(self._loss_spec, self.names, "loss")
        self._losses = [_loss_object(spec) for spec in specs]
        weights = _per_output(self._weights_spec, self.names, "loss_weights")
        self._weights = [1.0 if w is None else float(w) for w in weights]
        if count > 1:
            self._per_output_metrics = [Mean(name=f"{name}_loss") if loss is not None else None
                                        for name, loss in zip(self.names, self._losses)]

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        """The total weighted loss of a batch; updates the loss trackers."""
        if self._losses is None:
            self.build(y_pred)
        preds = nest.flatten(y_pred)
        targets = _flat_targets(y_true, self.names, "y")
        weights = _flat_targets(sample_weight, self.names, "sample_weight") if (
            isinstance(sample_weight, dict | list | tuple)) else [sample_weight] * len(preds)
        batch = _batch_size(preds[0])
        total = None
        for i, (loss, t, p, w) in enumerate(zip(self._losses, targets, preds, weights)):
            if loss is None:
                continue
            if t is None:
                raise ValueError(f"No target (`y`) was given for output {self.names[i]!r}, "
                                 f"which has loss {loss.name!r}")
            value = loss(t, p, sample_weight=w)
            if self._per_output_metrics:
                self._per_output_metrics[i].update_state(value, sample_weight=batch)
            value = value * self._weights[i] if self._weights[i] != 1.0 else value
            total = value if total is None else total + value
        if total is None:
            total = ff.zeros_like(batch)
        for extra in regularization_losses or []:
            total = total + ff.cast(extra, total.dtype)
        self.loss_metric.update_state(total, sample_weight=batch)
        return total

    def reset_state(self) -> None:
        """Reset every loss tracker."""
        for metric in self.metrics:
            metric.reset_state()


_LOSS_KINDS = {
    losses_mod.binary_crossentropy: "binary", losses_mod.categorical_crossentropy: "categorical",
    losses_mod.sparse_categorical_crossentropy: "sparse",
}


def _loss_kind(loss) -> str | None:
    fn = getattr(loss, "fn", loss)
    return _LOSS_KINDS.get(fn)


def _kind_from_shapes(y_true, y_pred) -> str:
    t_shape, p_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if p_shape and p_shape[-1] == 1:
        return "binary"
    if len(t_shape) < len(p_shape) or (t_shape and t_shape[-1] == 1 and p_shape[-1] != 1):
        return "sparse"
    return "categorical"


_ACCURACY = {"binary": metrics_mod.binary_accuracy,
             "categorical": metrics_mod.categorical_accuracy,
             "sparse": metrics_mod.sparse_categorical_accuracy}
_CROSSENTROPY = {"binary": losses_mod.binary_crossentropy,
                 "categorical": losses_mod.categorical_crossentropy,
                 "sparse": losses_mod.sparse_categorical_crossentropy}


def resolve_metric(identifier, y_true, y_pred, loss=None) -> Metric:
    """A Metric object for `identifier`; 'accuracy'/'acc' and 'crossentropy'/'ce' pick the
    binary, categorical or sparse form from the loss, then from the label shape."""
    if isinstance(identifier, str) and identifier in ("accuracy", "acc", "crossentropy", "ce"):
        kind = _loss_kind(loss) or _kind_from_shapes(convert_to_tensor(y_true), y_pred)
        table = _ACCURACY if identifier in ("accuracy", "acc") else _CROSSENTROPY
        return MeanMetricWrapper(table[kind], name=identifier)
    metric = metrics_mod.get(identifier)
    if isinstance(metric, Metric):
        return metric
    name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", "metric")
    return MeanMetricWrapper(metric, name=name)


def _metrics_per_output(spec, names: list[str]) -> list:
    """A dict by output name, a list of lists (one per output), or one list for every output."""
    if spec is None:
        return [None] * len(names)
    if isinstance(spec, dict):
        return _per_output(spec, names, "metrics")
    items = list(spec) if isinstance(spec, list | tuple) else [spec]
    if len(names) > 1 and len(items) == len(names) and all(
            isinstance(i, list | tuple) or i is None for i in items):
        return items
    return [items] * len(names)


class MetricsContainer:
    """The compiled metrics: per output, plain `metrics` and sample-weighted
    `weighted_metrics`."""

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None,
                 losses: LossesContainer | None = None):
        for item in nest.flatten([metrics, weighted_metrics]):
            if item is not None and not (isinstance(item, str) and item in (
                    "accuracy", "acc", "crossentropy", "ce")):
                metrics_mod.get(item)  # an unknown name fails at compile()
        self._metrics_spec, self._weighted_spec = metrics, weighted_metrics
        self._output_names, self._losses = output_names, losses
        self._built: list[list[Metric]] | None = None
        self._weighted: list[list[Metric]] = []

    @property
    def metrics(self) -> list[Metric]:
        """Every built metric, plain ones first for each output, then weighted ones."""
        if self._built is None:
            return []
        plain = [m for ms in self._built for m in ms]
        return plain + [m for ms in self._weighted for m in ms]

    def _build_group(self, spec, targets, preds, names, taken: set) -> list[list[Metric]]:
        per_output = _metrics_per_output(spec, names)
        built, used = [], set()
        for i, (items, t, p) in enumerate(zip(per_output, targets, preds)):
            loss = self._losses.loss_for_output(i) if self._losses is not None else None
            group = []
            for item in nest.flatten(items) if items is not None else []:
                metric = resolve_metric(item, t, p, loss)
                if id(metric) in used:  # one Metric object listed for several outputs
                    metric = type(metric).from_config(metric.get_config())
                used.add(id(metric))
                if len(preds) > 1:
                    metric.name = f"{names[i]}_{metric.name}"
                if metric.name in taken:
                    metric.name = f"weighted_{metric.name}"
                taken.add(metric.name)
                group.append(metric)
            built.append(group)
        return built

    def build(self, y_true, y_pred) -> None:
        """Resolve every metric against the first batch's targets and predictions."""
        preds = nest.flatten(y_pred)
        names = (self._losses.names if self._losses is not None and
                 getattr(self._losses, "names", None) else
                 (self._output_names or [f"output_{i + 1}" for i in range(len(preds))]))
        targets = _flat_targets(y_true, names, "y")
        taken = {"loss"}
        self._built = self._build_group(self._metrics_spec, targets, preds, names, taken)
        self._weighted = self._build_group(self._weighted_spec, targets, preds, names, taken)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Update every metric with a batch (weighted metrics get `sample_weight`)."""
        if y_true is None:
            return
        if self._built is None:
            self.build(y_true, y_pred)
        preds = nest.flatten(y_pred)
        names = [f"output_{i + 1}" for i in range(len(preds))]
        if self._losses is not None and getattr(self._losses, "names", None):
            names = self._losses.names
        targets = _flat_targets(y_true, names, "y")
        weights = _flat_targets(sample_weight, names, "sample_weight") if isinstance(
            sample_weight, dict | list | tuple) else [sample_weight] * len(preds)
        for group, t, p in zip(self._built, targets, preds):
            for metric in group:
                metric.update_state(t, p)
        for group, t, p, w in zip(self._weighted, targets, preds, weights):
            for metric in group:
                metric.update_state(t, p, sample_weight=w)

    def reset_state(self) -> None:
        """Reset every compiled metric."""
        for metric in self.metrics:
            metric.reset_state()

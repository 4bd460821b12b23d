"""Stochastic gradient descent with optional (Nesterov) momentum."""

from __future__ import annotations

from fuseflow.keras_api.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent: `v -= lr * g`, or with momentum `m = momentum * m - lr * g`."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str = "SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, int | float) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float in [0, 1], received {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build(self, var_list) -> None:
        """Create one momentum slot per variable (when momentum is used)."""
        super().build(var_list)
        self.momentums = [self.add_variable_from_reference(v, "momentum")
                          for v in var_list] if self.momentum else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One SGD step on `variable`."""
        if not self.momentum:
            variable.assign_sub(gradient * learning_rate)
            return
        m = self.momentums[self._get_variable_index(variable)]
        m_new = m * self.momentum - gradient * learning_rate
        m.assign(m_new)
        if self.nesterov:
            variable.assign_add(m_new * self.momentum - gradient * learning_rate)
        else:
            variable.assign_add(m_new)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

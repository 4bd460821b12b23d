"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer, power


class Adamax(Optimizer):
    """`m += (g - m)(1 - b1); u = max(b2 u, |g|); v -= lr m / ((1 - b1^t)(u + eps))`."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list) -> None:
        """Create the first-moment and norm slots."""
        super().build(var_list)
        self._m = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._u = [self.add_variable_from_reference(v, "norm") for v in var_list]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One Adamax step on `variable`."""
        index = self._get_variable_index(variable)
        step = ff.cast(self.iterations + 1, variable.dtype)
        beta_1_power = power(self.beta_1, step)
        m, u = self._m[index], self._u[index]
        m_new = m + (gradient - m) * (1.0 - self.beta_1)
        u_new = ff.maximum(u * self.beta_2, ff.abs(gradient))
        m.assign(m_new)
        u.assign(u_new)
        variable.assign_sub(learning_rate * m_new / ((1.0 - beta_1_power) * (u_new + self.epsilon)))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

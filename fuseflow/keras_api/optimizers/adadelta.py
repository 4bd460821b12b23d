"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta with Keras's update rule (the learning rate scales the delta)."""

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name: str = "adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, var_list) -> None:
        """Create the accumulated-gradient and accumulated-delta slots."""
        super().build(var_list)
        self._accumulated_grads = [self.add_variable_from_reference(v, "accumulated_grad")
                                   for v in var_list]
        self._accumulated_delta_vars = [self.add_variable_from_reference(
            v, "accumulated_delta_var") for v in var_list]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One Adadelta step on `variable`."""
        index = self._get_variable_index(variable)
        acc_grad, acc_delta = self._accumulated_grads[index], self._accumulated_delta_vars[index]
        acc_grad_new = acc_grad * self.rho + gradient * gradient * (1.0 - self.rho)
        acc_grad.assign(acc_grad_new)
        delta = -(ff.sqrt(acc_delta + self.epsilon) * gradient) / ff.sqrt(
            acc_grad_new + self.epsilon)
        acc_delta.assign(acc_delta * self.rho + delta * delta * (1.0 - self.rho))
        variable.assign_add(learning_rate * delta)

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}

"""Adagrad: per-parameter learning rates scaled by accumulated squared gradients."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """`acc += g^2; v -= lr * g / sqrt(acc + epsilon)`."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str = "adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build(self, var_list) -> None:
        """Create the accumulators, filled with `initial_accumulator_value`."""
        super().build(var_list)
        self._accumulators = [self.add_variable_from_reference(
            v, "accumulator", initializer=self.initial_accumulator_value) for v in var_list]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One Adagrad step on `variable`."""
        accumulator = self._accumulators[self._get_variable_index(variable)]
        accumulator_new = accumulator + gradient * gradient
        accumulator.assign(accumulator_new)
        variable.assign_sub(learning_rate * gradient / ff.sqrt(accumulator_new + self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon,
                "initial_accumulator_value": self.initial_accumulator_value}

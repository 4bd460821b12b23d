"""FTRL-proximal: follow the regularized leader, with L1/L2 and shrinkage terms."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL-proximal with Keras's update rule."""

    def __init__(self, learning_rate=0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, name: str = "ftrl",
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        checks = {"initial_accumulator_value": initial_accumulator_value,
                  "l1_regularization_strength": l1_regularization_strength,
                  "l2_regularization_strength": l2_regularization_strength,
                  "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength}
        for arg, value in checks.items():
            if value < 0:
                raise ValueError(f"Ftrl: `{arg}` must be >= 0, received {value!r}")
        if learning_rate_power > 0:
            raise ValueError("Ftrl: `learning_rate_power` must be <= 0, received "
                             f"{learning_rate_power!r}")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list) -> None:
        """Create the squared-gradient accumulators and the linear terms."""
        super().build(var_list)
        self._accumulators = [self.add_variable_from_reference(
            v, "accumulator", initializer=self.initial_accumulator_value) for v in var_list]
        self._linears = [self.add_variable_from_reference(v, "linear") for v in var_list]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One FTRL step on `variable`."""
        index = self._get_variable_index(variable)
        accum, linear = self._accumulators[index], self._linears[index]
        power = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        shrunk = gradient + variable * (2.0 * self.l2_shrinkage_regularization_strength)
        accum_new = accum + gradient * gradient
        sigma = (ff.pow(accum_new, power) - ff.pow(accum, power)) / learning_rate
        linear_new = linear + shrunk - sigma * variable
        quadratic = ff.pow(accum_new, power) / learning_rate + 2.0 * l2
        l1 = self.l1_regularization_strength
        clipped = ff.clip_by_value(linear_new, -l1, l1)
        linear.assign(linear_new)
        variable.assign((clipped - linear_new) / quadratic)
        accum.assign(accum_new)

    def get_config(self) -> dict:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}

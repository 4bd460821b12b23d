"""Adam: adaptive moment estimation, with the AMSGrad variant."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer, power


class Adam(Optimizer):
    """Adam with bias correction folded into the step size, as Keras computes it."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, name: str = "adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.amsgrad = bool(amsgrad)

    def build(self, var_list) -> None:
        """Create the first/second moment slots (and the AMSGrad maxima)."""
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._velocity_hats = [self.add_variable_from_reference(v, "velocity_hat")
                               for v in var_list] if self.amsgrad else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One Adam step on `variable`."""
        index = self._get_variable_index(variable)
        step = ff.cast(self.iterations + 1, variable.dtype)
        alpha = learning_rate * ff.sqrt(1.0 - power(self.beta_2, step)) / (
            1.0 - power(self.beta_1, step))
        m, v = self._momentums[index], self._velocities[index]
        m_new = m + (gradient - m) * (1.0 - self.beta_1)
        v_new = v + (gradient * gradient - v) * (1.0 - self.beta_2)
        m.assign(m_new)
        v.assign(v_new)
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_new = ff.maximum(v_hat, v_new)
            v_hat.assign(v_new)
        variable.assign_sub(m_new * alpha / (ff.sqrt(v_new) + self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}

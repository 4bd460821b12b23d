"""Nadam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer, power

_DECAY = 0.96  # the momentum schedule's base, as Keras uses it


class Nadam(Optimizer):
    """Nadam with Keras's momentum schedule `u_t = beta_1 (1 - 0.5 * 0.96^t)`."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list) -> None:
        """Create the moment slots and the running product of momentum factors."""
        super().build(var_list)
        self._u_product = self.add_variable((), initializer="ones", name="u_product")
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def _momentum_factor(self, offset: int, dtype):
        step = ff.cast(self.iterations + offset, dtype)
        return self.beta_1 * (1.0 - 0.5 * power(_DECAY, step))

    def _update_variables(self, grads, variables, learning_rate) -> None:
        # The product of momentum factors advances once per step, before any variable uses it.
        u_product = self._u_product * self._momentum_factor(1, self._u_product.dtype)
        self._u_product.assign(u_product)
        self._u_product_now = u_product
        super()._update_variables(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One Nadam step on `variable`."""
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        u_t, u_t_1 = self._momentum_factor(1, dtype), self._momentum_factor(2, dtype)
        u_product_t = ff.cast(self._u_product_now, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = power(self.beta_2, ff.cast(self.iterations + 1, dtype))
        m, v = self._momentums[index], self._velocities[index]
        m_new = m + (gradient - m) * (1.0 - self.beta_1)
        v_new = v + (gradient * gradient - v) * (1.0 - self.beta_2)
        m.assign(m_new)
        v.assign(v_new)
        m_hat = u_t_1 * m_new / (1.0 - u_product_t_1) + (1.0 - u_t) * gradient / (
            1.0 - u_product_t)
        v_hat = v_new / (1.0 - beta_2_power)
        variable.assign_sub(m_hat * learning_rate / (ff.sqrt(v_hat) + self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


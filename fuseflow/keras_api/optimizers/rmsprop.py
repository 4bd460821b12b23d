"""RMSprop: divide the gradient by a running root mean square of its recent values."""

from __future__ import annotations

from fuseflow.keras_api.backend import ff
from fuseflow.keras_api.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop with optional momentum and centering (Keras update rule)."""

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, name: str = "rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon
        self.centered = bool(centered)

    def build(self, var_list) -> None:
        """Create the mean-square slots (and momentum / mean-gradient slots when used)."""
        super().build(var_list)
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        self._momentums = [self.add_variable_from_reference(v, "momentum")
                           for v in var_list] if self.momentum > 0 else []
        self._average_gradients = [self.add_variable_from_reference(v, "average_gradient")
                                   for v in var_list] if self.centered else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One RMSprop step on `variable`."""
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        velocity_new = velocity * self.rho + gradient * gradient * (1.0 - self.rho)
        velocity.assign(velocity_new)
        if self.centered:
            average = self._average_gradients[index]
            average_new = average * self.rho + gradient * (1.0 - self.rho)
            average.assign(average_new)
            denominator = velocity_new - average_new * average_new + self.epsilon
        else:
            denominator = velocity_new + self.epsilon
        increment = learning_rate * gradient / ff.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[index]
            momentum_new = momentum * self.momentum + increment
            momentum.assign(momentum_new)
            variable.assign_sub(momentum_new)
        else:
            variable.assign_sub(increment)

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}

"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from fuseflow.keras_api.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose weight decay `v -= lr * weight_decay * v` is applied before each update."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name: str = "adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a number, received None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)

"""Every op definition, grouped by family. Importing this package registers them all."""

from fuseflow.core.ops import (
    conv,
    creation,
    depthwise,
    elementwise,
    gather,
    linalg,
    losses,
    movement,
    nn,
    operators,  # last: operators call the families above
    padding,
    pooling,
    random_ops,
    reduction,
    scan,
    slicing,
    state,
)

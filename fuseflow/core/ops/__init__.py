"""Every op definition, grouped by family. Importing this package registers them all."""

from fuseflow.core.ops import (
    elementwise,
    linalg,
    movement,
    operators,  # last: operators call the families above
    reduction,
    slicing,
)

"""Suite-wide settings: the compiler verifies the graph after every pass while tests run."""

import fuseflow.compiler.passes

fuseflow.compiler.passes.VERIFY_PASSES = True

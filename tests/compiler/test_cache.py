"""Kernel cache on disk: a second process loads without compiling; corruption recompiles."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

PROGRAM = """
import json, warnings
import numpy as np
import fuseflow as ff
from fuseflow.compiler import cache
f = ff.function(lambda x: ff.tanh(x) * 3.0 + 1.0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = f(ff.constant(np.arange(5, dtype=np.float32))).numpy()
print(json.dumps({"stats": cache.stats, "y": y.tolist(),
                  "warnings": [str(w.message) for w in caught]}))
"""


def run_program(cache_dir) -> dict:
    env = dict(os.environ, FUSEFLOW_CACHE_DIR=str(cache_dir))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_from_disk_and_corruption_recompiles(tmp_path):
    first = run_program(tmp_path)
    assert first["stats"]["compiled"] >= 1
    second = run_program(tmp_path)
    assert second["stats"]["compiled"] == 0 and second["stats"]["disk_hits"] >= 1
    assert second["y"] == first["y"]
    for path in glob.glob(str(tmp_path / "*" / "*.o")):
        with open(path, "r+b") as f:
            f.seek(100)
            f.write(b"garbage!")
    third = run_program(tmp_path)
    assert third["stats"]["compiled"] >= 1
    assert any("corrupt" in w for w in third["warnings"])
    assert third["y"] == first["y"]

"""Kernel cache: compiled object code in memory and on disk.

The key hashes the module's IR text with the target (CPU name and features, triple, opt level),
llvmlite's and fuseflow's versions. Disk entries are written to a temp file and renamed into
place, and carry a checksum: an entry that fails it is discarded with a warning and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import warnings

from fuseflow.compiler.codegen import Codegen, JitModule

MAGIC = b"FFOBJ1\n"
_memory: dict[str, JitModule] = {}
_lock = threading.Lock()
stats = {"compiled": 0, "disk_hits": 0, "memory_hits": 0}


def cache_dir() -> str:
    """$FUSEFLOW_CACHE_DIR, else ~/.cache/fuseflow (XDG_CACHE_HOME respected)."""
    explicit = os.environ.get("FUSEFLOW_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fuseflow")


def cache_key(codegen: Codegen, ir_text: str) -> str:
    # The package is imported before any of its floors; reading its version needs no import.
    version = getattr(sys.modules.get("fuseflow"), "__version__", "unknown")
    text = f"{codegen.cache_key()}|fuseflow-{version}\n{ir_text}"
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    digest, payload = data[len(MAGIC):len(MAGIC) + 64], data[len(MAGIC) + 64:]
    if not data.startswith(MAGIC) or hashlib.sha256(payload).hexdigest().encode() != digest:
        warnings.warn(f"fuseflow: discarding corrupt kernel cache entry {path}", stacklevel=3)
        try:
            os.remove(path)
        except OSError:
            pass
        return None
    return payload


def _write(path: str, payload: bytes) -> None:
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + payload)
        os.replace(tmp, path)
    except OSError as error:  # a read-only or full disk only costs the next process a compile
        warnings.warn(f"fuseflow: could not write kernel cache entry {path}: {error}",
                      stacklevel=3)


def load_or_compile(codegen: Codegen, ir_text: str, use_disk: bool = True) -> JitModule:
    """The JIT module for `ir_text`: from memory, from disk, or compiled (and stored)."""
    key = cache_key(codegen, ir_text)
    with _lock:
        if key in _memory:
            stats["memory_hits"] += 1
            return _memory[key]
        path = os.path.join(cache_dir(), key[:2], key + ".o")
        payload = _read(path) if use_disk else None
        if payload is not None:
            try:
                module = codegen.load(payload)
                stats["disk_hits"] += 1
            except Exception as error:  # an object LLVM cannot link is as bad as a corrupt one
                warnings.warn(f"fuseflow: discarding unloadable cache entry {path}: {error}",
                              stacklevel=2)
                payload = None
        if payload is None:
            payload = codegen.emit_object(ir_text)
            stats["compiled"] += 1
            if use_disk:
                _write(path, payload)
            module = codegen.load(payload)
        _memory[key] = module
        return module

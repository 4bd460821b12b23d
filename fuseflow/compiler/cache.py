"""Kernel cache: compiled object code in memory and on disk.

The key hashes the module's IR text with the target (CPU name and features, triple, opt level),
llvmlite's and fuseflow's versions. Disk entries are written to a temp file and renamed into
place, and carry a checksum: an entry that fails it is discarded with a warning and rebuilt.
Each object file has a small JSON sidecar (`<key>.json`, also written atomically) saying what it
is: graph name, creation time, CPU, features digest, versions and object size. The sidecar is for
people (`fuseflow cache info`); loading never reads it, so a bad one cannot break a load.

The cache is bounded ($FUSEFLOW_CACHE_MAX_MB, default 1024): at most once a day, the first
write of a process deletes the least recently used files (a hit refreshes a file's time)
until it is back under 80% of the bound. Every edit of fuseflow's sources or upgrade changes
the keys, so without a bound old entries would pile up for good.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable

import llvmlite

from fuseflow.compiler.codegen import Codegen, JitModule
from fuseflow.core.registry import REGISTRY

MAGIC = b"FFOBJ1\n"
_memory: dict[str, JitModule] = {}
_lock = threading.Lock()
stats = {"compiled": 0, "disk_hits": 0, "memory_hits": 0}
DEFAULT_MAX_MB = 1024
PRUNE_EVERY_S = 24 * 3600  # a scan of a large cache costs a good part of a second
_PRUNED_MARKER = ".pruned"  # its time: the last scan
_pruned = [False]  # this process has checked the bound


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


def read_entry(path: str, magic: bytes = MAGIC, what: str = "kernel") -> bytes | None:
    """The payload of a checksummed entry; None when missing, or (with a warning) corrupt."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    digest, payload = data[len(magic):len(magic) + 64], data[len(magic) + 64:]
    if not data.startswith(magic) or hashlib.sha256(payload).hexdigest().encode() != digest:
        warnings.warn(f"fuseflow: discarding corrupt {what} cache entry {path}", stacklevel=4)
        try:
            os.remove(path)
        except OSError:
            pass
        return None
    try:
        os.utime(path)  # recently used: the last to be pruned
    except OSError:
        pass
    return payload


def max_bytes() -> int:
    """The cache's bound in bytes ($FUSEFLOW_CACHE_MAX_MB, else DEFAULT_MAX_MB)."""
    try:
        megabytes = float(os.environ.get("FUSEFLOW_CACHE_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(megabytes * (1 << 20))


def prune(limit: int | None = None) -> int:
    """Delete the least recently used files until the cache holds under 80% of `limit` bytes
    (when it holds more than `limit`); return how many were deleted."""
    limit = max_bytes() if limit is None else limit
    files = []
    for root, _, names in os.walk(cache_dir()):
        for name in names:
            if name == _PRUNED_MARKER:
                continue
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            files.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in files)
    if total <= limit:
        return 0
    removed = 0
    for _, size, path in sorted(files):
        if total <= 0.8 * limit:
            break
        try:
            os.remove(path)
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


def _prune_when_due() -> None:
    marker = os.path.join(cache_dir(), _PRUNED_MARKER)
    try:
        if time.time() - os.stat(marker).st_mtime < PRUNE_EVERY_S:
            return
    except OSError:
        pass  # never pruned
    prune()
    os.makedirs(cache_dir(), exist_ok=True)
    with open(marker, "w"):
        pass


def _atomic_write(path: str, data: bytes) -> None:
    """Write `data` to a temp file beside `path` and rename it into place."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_entry(path: str, payload: bytes, magic: bytes = MAGIC, what: str = "kernel") -> None:
    """Store `payload` with `magic` and its checksum, atomically; a failure only warns."""
    try:
        if not _pruned[0]:
            _pruned[0] = True
            _prune_when_due()
        _atomic_write(path, magic + hashlib.sha256(payload).hexdigest().encode() + payload)
    except OSError as error:  # a read-only or full disk only costs the next process a compile
        warnings.warn(f"fuseflow: could not write {what} cache entry {path}: {error}",
                      stacklevel=4)


def metadata(codegen: Codegen, name: str, size: int) -> dict:
    """The sidecar of an entry: what was compiled, when, for which CPU and by which versions."""
    return {
        "name": name,
        "created": time.time(),
        "cpu": codegen.cpu,
        "features_digest": hashlib.sha256(codegen.features.encode()).hexdigest()[:16],
        "llvmlite_version": llvmlite.__version__,
        "fuseflow_version": getattr(sys.modules.get("fuseflow"), "__version__", "unknown"),
        "object_size": size,
    }


def sidecar_path(object_path: str) -> str:
    """`<key>.json` beside `<key>.o`."""
    return os.path.splitext(object_path)[0] + ".json"


def read_metadata(object_path: str) -> dict | None:
    """The sidecar of an object file, or None when it is missing or unreadable."""
    try:
        with open(sidecar_path(object_path), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_metadata(path: str, meta: dict) -> None:
    try:
        _atomic_write(sidecar_path(path), json.dumps(meta, sort_keys=True).encode())
    except (OSError, TypeError, ValueError):  # metadata is informative only: never fatal
        pass


_MODULE_ID = re.compile(r'^; ModuleID = "([^"]*)"', re.MULTILINE)


def module_name(ir_text: str) -> str:
    """The IR module's name (what an entry is called when the caller gives no name)."""
    match = _MODULE_ID.search(ir_text[:512])
    return match.group(1) if match else "module"


_code_digest: list[str] = []


def code_digest() -> str:
    """A digest of the fuseflow sources (path, size, mtime of every .py file), once per process.

    Keys built from a plan rather than from IR text include it, so editing any lowering rule
    can never load object code generated by the old rule.
    """
    if not _code_digest:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        lines: list[str] = []
        _source_stats(root, "", lines)
        _code_digest.append(hashlib.sha256("".join(lines).encode()).hexdigest())
    return _code_digest[0]


def _source_stats(directory: str, prefix: str, lines: list[str]) -> None:
    """Append `relative path|size|mtime` of each .py file under `directory`, sorted by name."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(".py"):
            try:
                stat = entry.stat()
            except OSError:
                continue
            lines.append(f"{prefix}{entry.name}|{stat.st_size}|{stat.st_mtime_ns}\n")
        elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
            _source_stats(entry.path, f"{prefix}{entry.name}/", lines)


_fingerprints: dict[object, str] = {}


def _code_text(code) -> str:
    """A code object as stable text (nested code objects recursed, never their addresses)."""
    consts = [_code_text(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return f"{code.co_filename}:{code.co_firstlineno}|{code.co_code.hex()}|{code.co_names}|" \
           f"{consts}"


def _cell_text(cell) -> str:
    try:
        value = cell.cell_contents
    except ValueError:  # a cell not filled yet
        return "<empty>"
    return _function_fingerprint(value) if hasattr(value, "__code__") else repr(value)


def _function_fingerprint(fn) -> str:
    """What decides a lowering defined outside fuseflow: its code, closure, defaults and file."""
    if fn in _fingerprints:
        return _fingerprints[fn]
    code = fn.__code__
    cells = [_cell_text(c) for c in fn.__closure__ or ()]
    try:  # helpers it calls live in the same file, usually: its size and mtime cover them
        stat = os.stat(code.co_filename)
        where = f"{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        where = "no-file"
    text = f"{_code_text(code)}|{cells}|{fn.__defaults__!r}|{where}"
    _fingerprints[fn] = hashlib.sha256(text.encode()).hexdigest()
    return _fingerprints[fn]


def _lowering_functions(value, found: list) -> None:
    """Collect the functions a kernel's fields name: callables and the ops' `lower` rules."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _lowering_functions(item, found)
    elif hasattr(value, "__code__"):
        found.append(value)
    elif hasattr(value, "__dataclass_fields__"):
        op = getattr(value, "op", None)
        lower = getattr(REGISTRY.get(op), "lower", None) if isinstance(op, str) else None
        if hasattr(lower, "__code__"):
            found.append(lower)
        for name in value.__dataclass_fields__:
            _lowering_functions(getattr(value, name), found)


def lowering_digest(steps: list) -> str:
    """A digest of the lowering functions `steps` use that are defined outside fuseflow.

    fuseflow's own sources are covered by `code_digest`; a user's op (define_op with `lower`)
    or reduction epilogue is not, and editing it must change the plan's keys.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    found: list = []
    _lowering_functions(steps, found)
    outside = sorted({_function_fingerprint(fn) for fn in found
                      if not fn.__code__.co_filename.startswith(root)})
    return hashlib.sha256("|".join(outside).encode()).hexdigest() if outside else "builtin"


# A plan module's ID (its symbol prefix, named by the plan's digest) -> the module linked under
# its plan key: an inspection compiling the same plan's IR reuses it instead of linking the
# same symbols twice.
_plan_modules: dict[str, JitModule] = {}


def load_or_compile_lazy(codegen: Codegen, key_text: str, make_ir: Callable[[], str],
                         use_disk: bool = True, name: str | None = None,
                         module_id: str | None = None) -> JitModule:
    """Like `load_or_compile`, keyed by `key_text` (say, a plan's full digest) instead of IR.

    A hit (memory or disk) never calls `make_ir`, which is most of a warm start's time. The
    key adds the sources' digest to the target and versions, since the IR is not hashed.
    `module_id`: the IR's module name, when the key decides it (see `load_or_compile`).
    """
    version = getattr(sys.modules.get("fuseflow"), "__version__", "unknown")
    text = f"{codegen.cache_key()}|fuseflow-{version}|code-{code_digest()}|lazy\n{key_text}"
    key = hashlib.sha256(text.encode()).hexdigest()
    module = _load_or_compile_key(codegen, key, make_ir, use_disk, name)
    if module_id is not None:
        _plan_modules[module_id] = module
    return module


def load_or_compile(codegen: Codegen, ir_text: str, use_disk: bool = True,
                    name: str | None = None) -> JitModule:
    """The JIT module for `ir_text`: from memory, from disk, or compiled (and stored).

    `name` (e.g. the graph's name) goes into the disk entry's sidecar; default: the module's.
    IR of a plan module already linked by `load_or_compile_lazy` (same module ID) reuses it.
    """
    key = cache_key(codegen, ir_text)
    linked = _plan_modules.get(module_name(ir_text))
    if linked is not None and key not in _memory:
        with _lock:
            stats["memory_hits"] += 1
            _memory[key] = linked
        return linked
    return _load_or_compile_key(codegen, key, lambda: ir_text, use_disk, name)


def _load_or_compile_key(codegen: Codegen, key: str, make_ir: Callable[[], str], use_disk: bool,
                         name: str | None) -> JitModule:
    with _lock:
        if key in _memory:
            stats["memory_hits"] += 1
            return _memory[key]
        path = os.path.join(cache_dir(), key[:2], key + ".o")
        payload = read_entry(path) if use_disk else None
        if payload is not None:
            try:
                module = codegen.load(payload)
                stats["disk_hits"] += 1
            except Exception as error:  # an object LLVM cannot link is as bad as a corrupt one
                warnings.warn(f"fuseflow: discarding unloadable cache entry {path}: {error}",
                              stacklevel=3)
                payload = None
        if payload is None:
            ir_text = make_ir()
            payload = codegen.emit_object(ir_text)
            stats["compiled"] += 1
            if use_disk:
                write_entry(path, payload)
                _write_metadata(path, metadata(codegen, name or module_name(ir_text),
                                               len(payload)))
            module = codegen.load(payload)
        _memory[key] = module
        return module

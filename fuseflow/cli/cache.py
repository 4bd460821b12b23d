"""`fuseflow cache [info|clear]`: where the kernel cache lives, what it holds, and clearing it."""

from __future__ import annotations

import datetime
import os


def add_parser(commands) -> None:
    """Register `cache` on the CLI's subcommands."""
    parser = commands.add_parser(
        "cache", help="show or clear the compiled-kernel cache",
        description="Show where the on-disk kernel cache is, its size and entries, or clear it "
                    "($FUSEFLOW_CACHE_DIR overrides the location).")
    parser.add_argument("action", nargs="?", choices=("info", "clear"), default="info",
                        help="info (default) or clear")
    parser.add_argument("--limit", type=int, default=20, help="entries to list (newest first)")
    parser.set_defaults(run=_main)


def entries(directory: str) -> list[dict]:
    """The cache's object files, newest first: path, key, size, created, and `meta`.

    `meta` is the entry's sidecar (graph name, CPU, versions, ...), None when the entry has
    none, or the string "unreadable" when its sidecar is corrupt.
    """
    from fuseflow.compiler.cache import read_metadata, sidecar_path

    found = []
    if not os.path.isdir(directory):
        return found
    for root, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(".o"):
                continue
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except OSError:  # removed by another process meanwhile
                continue
            meta = read_metadata(path)
            if meta is None and os.path.exists(sidecar_path(path)):
                meta = "unreadable"
            created = meta.get("created") if isinstance(meta, dict) else None
            found.append({"path": path, "key": name[:-2], "size": stat.st_size,
                          "created": created if isinstance(created, int | float)
                          else stat.st_mtime, "meta": meta})
    return sorted(found, key=lambda e: e["created"], reverse=True)


def _describe(entry: dict) -> str:
    """One listing line: key, graph name, created, size, CPU."""
    try:
        created = datetime.datetime.fromtimestamp(entry["created"]).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        created = "?"
    meta = entry["meta"]
    if isinstance(meta, dict):
        name, cpu = str(meta.get("name", "?"))[:32], str(meta.get("cpu", "?"))
    else:
        name = "(metadata unreadable)" if meta == "unreadable" else "(no metadata)"
        cpu = "?"
    return f"  {entry['key'][:16]}  {name:<32}  {created}  {entry['size'] / 1024:8.1f} KiB  {cpu}"


def info(limit: int = 20) -> str:
    """The cache's location, total size, this machine's CPU and the newest entries."""
    import llvmlite.binding as llvm

    from fuseflow.compiler.cache import cache_dir

    directory = cache_dir()
    found = entries(directory)
    total = sum(e["size"] for e in found)
    lines = [f"kernel cache: {directory}",
             f"entries: {len(found)}, {total / 1024:,.1f} KiB",
             f"this machine: {llvm.get_host_cpu_name()} (entries are keyed by CPU and features)"]
    if found:
        lines.append(f"  {'key':<16}  {'graph':<32}  {'created':<16}  {'size':>12}  cpu")
    lines.extend(_describe(entry) for entry in found[:limit])
    if len(found) > limit:
        lines.append(f"  ... {len(found) - limit} more")
    bad = sum(1 for e in found if e["meta"] == "unreadable")
    if bad:
        lines.append(f"note: {bad} entr{'y has' if bad == 1 else 'ies have'} an unreadable "
                     "metadata file (ignored; the object code itself is checked on load)")
    return "\n".join(lines)


def clear() -> int:
    """Delete every cached object file (and empty folders); returns how many were removed."""
    from fuseflow.compiler.cache import cache_dir

    directory = cache_dir()
    removed = 0
    for entry in entries(directory):
        try:
            os.remove(entry["path"])
            removed += 1
        except OSError:
            pass
    for root, _, files in os.walk(directory) if os.path.isdir(directory) else []:
        for name in files:  # sidecars and temp files of interrupted writes
            if name.endswith((".json", ".tmp")):
                try:
                    os.remove(os.path.join(root, name))
                except OSError:
                    pass
    for root, _, _ in sorted(os.walk(directory), key=lambda w: -len(w[0])) \
            if os.path.isdir(directory) else []:
        if root != directory and not os.listdir(root):
            os.rmdir(root)
    return removed


def _main(args) -> int:
    if args.action == "clear":
        from fuseflow.compiler.cache import cache_dir

        print(f"removed {clear()} entries from {cache_dir()}")
        return 0
    print(info(args.limit))
    return 0

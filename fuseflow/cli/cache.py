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
    """The cache's object files, newest first: path, key, size in bytes, creation time."""
    found = []
    if not os.path.isdir(directory):
        return found
    for root, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(".o"):
                continue
            path = os.path.join(root, name)
            stat = os.stat(path)
            found.append({"path": path, "key": name[:-2], "size": stat.st_size,
                          "created": stat.st_mtime})
    return sorted(found, key=lambda e: e["created"], reverse=True)


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
    for entry in found[:limit]:
        created = datetime.datetime.fromtimestamp(entry["created"]).strftime("%Y-%m-%d %H:%M")
        lines.append(f"  {entry['key'][:16]}  {created}  {entry['size'] / 1024:8.1f} KiB")
    if len(found) > limit:
        lines.append(f"  ... {len(found) - limit} more")
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

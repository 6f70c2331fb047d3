#!/usr/bin/env python3
"""The house's map, held: reads every #include "folder/..." of the product's sources and fails
on an arrow DESIGN.md's layer map forbids, on a product source file over 700 lines, and on a
README layout table that does not name a product folder or a file in it.

    layers_test.py SOURCE_DIR

The map (each folder may include its own files and those listed):
    common/                      nothing else
    secrets/, engine/            common/ (and never each other)
    komodo/, net/, git/          common/ (the wire, the network, libgit2: low, beside each other)
    hooks/                       common/ secrets/ engine/ komodo/ git/
    periphery/                   hooks/ and everything below it, net/
    core-lite/                   common/ komodo/ net/ git/ and secrets/primitives only (hashing)
    cli/                         everything but periphery/ and core-lite/ (their mains live there)
Tests, fuzz targets and benchmarks may include anything.
"""
import os
import re
import sys

LOW = {"common"}
ALLOWED = {
    "common": set(),
    "secrets": {"common"},
    "engine": {"common"},
    "komodo": {"common"},
    "net": {"common"},
    "git": {"common"},
    "hooks": {"common", "secrets", "engine", "komodo", "git"},
    "periphery": {"common", "secrets", "engine", "komodo", "net", "git", "hooks"},
    "core-lite": {"common", "komodo", "net", "git", "secrets"},
    "cli": {"common", "secrets", "engine", "komodo", "net", "git", "hooks"},
}
# core-lite reaches into secrets/ for hashing only.
NARROW = {("core-lite", "secrets"): re.compile(r"^secrets/(crypto|primitives)\.h$")}
MAX_LINES = 700
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layout_problems(root):
    """The README's layout table names every product folder, and in each folder's row every
    file of that folder (by its name without extension) in backticks."""
    problems = []
    try:
        with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        return [f"README.md: {e}"]
    start = text.find("\n## Layout")
    if start < 0:
        return ["README.md: no \"## Layout\" section"]
    section = text[start:text.find("\n## ", start + 1)]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| `([^`]+)/` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    folders = [f for f in ALLOWED if os.path.isfile(os.path.join(root, f, "CMakeLists.txt"))]
    if os.path.isdir(os.path.join(root, "engine", "compose")):
        folders.append("engine/compose")
    for folder in sorted(folders):
        if folder not in rows:
            problems.append(f"README.md: the layout table has no row for {folder}/")
            continue
        if folder == "cli":
            continue  # the row names the executables
        named = set(re.findall(r"`([^`]+)`", rows[folder]))
        base = os.path.join(root, folder)
        seen = set()
        for name in sorted(os.listdir(base)):
            stem, ext = os.path.splitext(name)
            if ext in (".h", ".cpp") and stem not in named and stem not in seen:
                seen.add(stem)
                problems.append(f"README.md: the layout row of {folder}/ does not name {stem} "
                                f"({folder}/{name})")
    return problems


def main(root):
    problems = layout_problems(root)
    checked = 0
    for folder in sorted(ALLOWED):
        base = os.path.join(root, folder)
        if not os.path.isdir(base):
            continue
        for dirpath, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in ("node_modules", "ui"))
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    lines = f.readlines()
                checked += 1
                if len(lines) > MAX_LINES:
                    problems.append(f"{rel}: {len(lines)} lines, more than {MAX_LINES}: split it "
                                    "along its ideas")
                for n, line in enumerate(lines, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    top = target.split("/", 1)[0]
                    if "/" not in target or top not in ALLOWED:
                        continue  # a library's header, or one beside this file
                    if top == folder:
                        continue
                    if top not in ALLOWED[folder]:
                        problems.append(f"{rel}:{n}: includes {target}: {folder}/ may not include "
                                        f"{top}/ (allowed: "
                                        f"{', '.join(sorted(ALLOWED[folder])) or 'nothing'})")
                    elif (folder, top) in NARROW and not NARROW[(folder, top)].match(target):
                        problems.append(f"{rel}:{n}: includes {target}: {folder}/ may include "
                                        f"only {NARROW[(folder, top)].pattern} of {top}/")
    if checked == 0:
        problems.append(f"no sources found under {root}: wrong SOURCE_DIR?")
    for p in problems:
        print(p)
    print(f"layers: {checked} product files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))

#!/usr/bin/env python3
"""Lists which source file uses which (`use crate::…`, `super::…`, inline `crate::a::b` paths)
and fails if two files use each other.

STYLE.md: "Two files never use each other." A folder's `mod.rs` and its own children are the one
allowed pair (the parent declares and re-exports its children; a child may use what the parent
holds). Usage: `scripts/module-edges.py` prints the cycles (exit 1 if any); `--edges` prints
every edge too. Comments and string literals are ignored; test modules count like other code.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"


def module_of(path: Path) -> tuple:
    """`src/send/plan.rs` → ("send", "plan"); `src/send/mod.rs` → ("send",); main.rs → ()."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] in ("mod", "main", "lib"):
        parts.pop()
    return tuple(parts)


FILES = {module_of(p): p for p in sorted(ROOT.rglob("*.rs"))}


def resolve(parts: tuple) -> tuple:
    """The file a module path lands in: its longest prefix that is a file's module."""
    for n in range(len(parts), -1, -1):
        if parts[:n] in FILES:
            return parts[:n]
    return ()


def strip(text: str) -> str:
    """The source without comments and string literals, which name paths that are not uses."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def use_trees(text: str):
    """Every path a `use` tree names, braces expanded: `a::{b, c::d}` → a::b, a::c::d."""
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        yield from expand(re.sub(r"\s+", "", m.group(1)))


def expand(tree: str):
    i = tree.find("{")
    if i < 0:
        yield tree.split(" as ")[0]
        return
    prefix, inner = tree[:i], tree[i + 1 : tree.rfind("}")]
    depth, start = 0, 0
    for j, ch in enumerate(inner + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            item = inner[start:j]
            start = j + 1
            if item:
                yield from expand(prefix + item)


def absolute(me: tuple, is_dir_module: bool, path: str):
    """A path as seen from module `me`, made absolute, or None if it is not within the crate."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    here = list(me)
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    else:
        return None
    return tuple(base + [s for s in segs if re.fullmatch(r"[a-z_][a-z0-9_]*", s)])


def edges():
    out = {}
    for me, path in FILES.items():
        text = strip(path.read_text())
        paths = set(use_trees(text))
        paths |= set(re.findall(r"\b(?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+", text))
        targets = set()
        for p in paths:
            a = absolute(me, path.name == "mod.rs", p)
            if a is None:
                continue
            t = resolve(a)
            if t != me and t in FILES:
                targets.add(t)
        out[me] = targets
    return out


def name(m: tuple) -> str:
    return str(FILES[m].relative_to(ROOT.parent))


def parent_and_child(a: tuple, b: tuple) -> bool:
    """A folder's mod.rs and one of its own children."""
    return (len(b) == len(a) + 1 and b[: len(a)] == a and FILES[a].name in ("mod.rs", "main.rs")) or (
        len(a) == len(b) + 1 and a[: len(b)] == b and FILES[b].name in ("mod.rs", "main.rs")
    )


def main() -> int:
    es = edges()
    if "--edges" in sys.argv:
        for a in sorted(es):
            for b in sorted(es[a]):
                print(f"{name(a)} -> {name(b)}")
    cycles = sorted(
        (a, b)
        for a in es
        for b in es[a]
        if a < b and a in es.get(b, ()) and not parent_and_child(a, b)
    )
    for a, b in cycles:
        print(f"cycle: {name(a)} <-> {name(b)}")
    total = sum(len(v) for v in es.values())
    print(f"{total} edges between {len(FILES)} files; {len(cycles)} pairs use each other")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fills a template: every @NAME@ becomes the environment variable BENCH_NAME's value. When a
placeholder is alone on its line, a multi-line value is indented like the placeholder (YAML block
scalars such as a PEM key). Any placeholder left without a value is an error.

Usage: fill.py TEMPLATE OUTPUT"""
import os
import re
import sys


def main() -> int:
    src, dst = sys.argv[1], sys.argv[2]
    text = open(src).read()
    missing = set()

    def value(name: str) -> str:
        v = os.environ.get("BENCH_" + name)
        if v is None:
            missing.add(name)
            return ""
        return v

    def whole_line(m: re.Match) -> str:
        indent, name = m.group(1), m.group(2)
        return "\n".join(indent + line for line in value(name).strip("\n").splitlines())

    text = re.sub(r"^([ \t]*)@([A-Z0-9_]+)@[ \t]*$", whole_line, text, flags=re.M)
    text = re.sub(r"@([A-Z0-9_]+)@", lambda m: value(m.group(1)), text)
    if missing:
        print(f"fill.py: {src}: no value for {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    with open(dst, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

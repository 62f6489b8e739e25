#!/usr/bin/env python3
"""Functions longer than LIMIT lines in the given directories (issue #10: none
over ~80 lines in lib/control, lib/console, app). A heuristic over
clang-formatted code: a definition starts with a line at column 0 ending in
'{' (not namespace/class/struct/enum/extern) and ends at the next '}' at
column 0. Exit 1 when one is found.

    function_length.py LIMIT DIR...
"""
import os
import re
import sys

limit = int(sys.argv[1])
paths = sys.argv[2:]
found = 0
skip = re.compile(r'^(namespace|class|struct|enum|extern|union|template\s*<[^>]*>\s*(struct|class))\b')
for root in paths:
    for dp, _, fs in os.walk(root):
        for f in fs:
            if not f.endswith(('.cpp', '.hpp')): continue
            p = os.path.join(dp, f)
            lines = open(p, errors='replace').read().split('\n')
            start = None
            for i, l in enumerate(lines):
                if start is None:
                    if l and not l[0].isspace() and l.rstrip().endswith('{') and not skip.match(l) and '(' in ''.join(lines[max(0,i-3):i+1]):
                        start = i
                else:
                    if l.startswith('}'):
                        n = i - start + 1
                        if n > limit:
                            print(f"{p}:{start+1}: {n} lines: {lines[start].strip()[:80]}")
                            found += 1
                        start = None
print(f"function length: {found} function(s) over {limit} lines")
sys.exit(1 if found else 0)

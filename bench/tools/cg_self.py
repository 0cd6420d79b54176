#!/usr/bin/env python3
"""Self cost per function from a callgrind dump (callgrind_annotate 3.19 folds this project's
dumps into one line). Usage: cg_self.py DUMP [TOP=25] [DIVISOR=1]"""
import re
import sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
div = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
names, cost = {}, {}
fn = None
after_call = False
ref = re.compile(r"^c?fn=\((\d+)\)(?: (.*))?$")
for line in open(path):
    line = line.rstrip("\n")
    m = ref.match(line)
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2)
        if line.startswith("fn="):
            fn = m.group(1)
        continue
    if line.startswith("calls="):
        after_call = True
        continue
    if line and (line[0].isdigit() or line[0] in "+-*"):
        parts = line.split()
        if len(parts) >= 2 and not after_call and fn is not None:
            cost[fn] = cost.get(fn, 0) + int(parts[1])
        after_call = False
total = sum(cost.values())
for f, c in sorted(cost.items(), key=lambda kv: -kv[1])[:top]:
    print(f"{c / div:10.1f} {100.0 * c / total:5.1f}%  {names.get(f, f)[:150]}")
print(f"{total / div:10.1f} total")

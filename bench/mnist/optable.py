#!/usr/bin/env python3
"""Per-operator self time from a Chrome trace of the engine profiler, per step.

Reads the trace that `owlet mnist --bench N --profile FILE` or `mnist_torch.py --profile FILE` writes and prints,
for the top operators by self time (own time minus the operators nested in it on the same thread): calls per step,
self milliseconds per step, and the share of the profiled time.
Usage: optable.py TRACE.json STEPS [ROWS]
"""
import json
import sys
from collections import defaultdict


def main():
    path, steps = sys.argv[1], int(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    by_tid = defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e and e.get("cat", "cpu_op") in ("cpu_op", "Operator", "operator"):
            by_tid[(e.get("pid"), e.get("tid"))].append((float(e["ts"]), float(e["dur"]), e["name"]))
    self_us = defaultdict(float)
    calls = defaultdict(int)
    total = 0.0
    for evs in by_tid.values():
        evs.sort(key=lambda t: (t[0], -t[1]))
        stack = []  # [end, name, child_time]
        def pop():
            end, name, child, dur = stack.pop()
            self_us[name] += dur - child
        for ts, dur, name in evs:
            while stack and stack[-1][0] <= ts:
                pop()
            if stack:
                stack[-1][2] += dur
            else:
                total += dur
            stack.append([ts + dur, name, 0.0, dur])
            calls[name] += 1
        while stack:
            pop()
    print(f"| operator | calls/step | self ms/step | share |")
    print(f"| --- | ---: | ---: | ---: |")
    for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:rows]:
        print(f"| {name} | {calls[name] / steps:.1f} | {us / 1e3 / steps:.3f} | {100 * us / total:.1f}% |")
    print(f"| all operators | {sum(calls.values()) / steps:.1f} | {total / 1e3 / steps:.3f} | 100% |")


if __name__ == "__main__":
    main()

"""Aggregates a JFR recording's execution samples: top self and inclusive frames.

    jfr print --events jdk.ExecutionSample rec.jfr > samples.txt
    python bench/profile/jfr_top.py samples.txt [N]
"""

import collections
import re
import sys

text = open(sys.argv[1]).read()
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 25
events = text.split("jdk.ExecutionSample")[1:]
self_count: collections.Counter = collections.Counter()
inclusive: collections.Counter = collections.Counter()
for event in events:
    frames = re.findall(r"^\s+([\w$.<>]+)\(", event, re.M)
    if not frames:
        continue
    self_count[frames[0]] += 1
    for frame in set(frames):
        inclusive[frame] += 1
total = max(1, len(events))
print(f"{len(events)} samples\nself:")
for frame, count in self_count.most_common(limit):
    print(f"{count * 100 / total:5.1f}%  {frame}")
print("inclusive:")
for frame, count in inclusive.most_common(limit):
    print(f"{count * 100 / total:5.1f}%  {frame}")

#!/usr/bin/env python3
"""gen_cascades.py - a synthetic cascade set for the local demo and tests.

Writes a cascade TSV in the format `engagementctl evaluate` reads
(cascade_id, label, n_events, rel_times_sec: comma separated seconds after
posting, sorted), with the shapes the real research sets show and that the
tracking policies must cope with:

  quiet    no engagement at all (the majority of fresh tweets)
  low      a handful of events, mostly in the first hour or two
  late     nothing in the first hour, then a small self-exciting burst
  medium   a self-exciting cascade starting at once, tens of events
  viral    a strong self-exciting cascade (Hawkes process, branching ratio
           close to 1) with a few exogenous bursts, hundreds of events

Every event falls within the first 7 hours. Deterministic: the same seed
gives the same file on every Python 3 (only random.Random.random() is used).
Standard library only.

    python3 tools/gen_cascades.py [--posts 200] [--seed 20240601] [-o FILE]

The shipped sample is deploy/local-stack/sample-cascades.tsv, made with the
defaults:

    python3 tools/gen_cascades.py -o deploy/local-stack/sample-cascades.tsv
"""

import argparse
import heapq
import math
import random
import sys

HORIZON = 7 * 3600          # seconds: events after 7 h are not written
MAX_EVENTS = 1500           # per cascade, keeps the file small
LABEL = "sample"

# shape, share of posts
SHAPES = (
    ("quiet", 0.42),
    ("low", 0.23),
    ("late", 0.17),
    ("medium", 0.13),
    ("viral", 0.05),
)


def expo(rng, mean):
    """Exponential variate by inversion (stable across Python versions)."""
    return -mean * math.log(1.0 - rng.random())


def poisson(rng, lam):
    """Poisson variate: Knuth's product method, split for large means."""
    n = 0
    while lam > 30.0:
        # the sum of Poissons is Poisson: draw in chunks of 30
        n += poisson(rng, 30.0)
        lam -= 30.0
    limit = math.exp(-lam)
    p = rng.random()
    while p > limit:
        n += 1
        p *= rng.random()
    return n


def uniform(rng, lo, hi):
    return lo + (hi - lo) * rng.random()


def hawkes(rng, immigrants, branching, mean_delay):
    """Self-exciting cascade, cluster representation of a Hawkes process
    with an exponential kernel: every event has Poisson(branching) children,
    each after an exponential delay of mean mean_delay seconds.
    immigrants: the exogenous event times. Returns sorted times < HORIZON."""
    events = []
    queue = [t for t in immigrants if t < HORIZON]
    heapq.heapify(queue)
    while queue and len(events) < MAX_EVENTS:  # earliest first: a cut keeps the start
        t = heapq.heappop(queue)
        events.append(t)
        for _ in range(poisson(rng, branching)):
            child = t + expo(rng, mean_delay)
            if child < HORIZON:
                heapq.heappush(queue, child)
    return events


def immigrants_decaying(rng, start, count, mean_age):
    """count exogenous events after start, the rate decaying with age."""
    return [start + expo(rng, mean_age) for _ in range(count)]


def cascade(rng, shape):
    if shape == "quiet":
        return []
    if shape == "low":
        n = 1 + poisson(rng, 1.5)
        return sorted(t for t in (expo(rng, 2400.0) for _ in range(n)) if t < HORIZON)
    if shape == "late":
        start = uniform(rng, 3700.0, 5.0 * 3600.0)
        seeds = immigrants_decaying(rng, start, 2 + poisson(rng, 4.0), 1800.0)
        return hawkes(rng, seeds, uniform(rng, 0.5, 0.85), 1200.0)
    if shape == "medium":
        seeds = immigrants_decaying(rng, 0.0, 3 + poisson(rng, 8.0), 3600.0)
        return hawkes(rng, seeds, uniform(rng, 0.4, 0.75), 1500.0)
    # viral: a strong start and one or two exogenous bursts (a big account
    # quoting the post) somewhere in the first hours
    seeds = immigrants_decaying(rng, 0.0, 10 + poisson(rng, 25.0), 2400.0)
    for _ in range(1 + poisson(rng, 0.8)):
        at = uniform(rng, 1800.0, 5.0 * 3600.0)
        seeds += immigrants_decaying(rng, at, 5 + poisson(rng, 15.0), 900.0)
    return hawkes(rng, seeds, uniform(rng, 0.8, 0.92), 900.0)


def pick_shape(rng):
    x = rng.random()
    for shape, share in SHAPES:
        if x < share:
            return shape
        x -= share
    return SHAPES[-1][0]


def main(argv):
    ap = argparse.ArgumentParser(description="Generate a synthetic cascade TSV.")
    ap.add_argument("--posts", type=int, default=200, help="number of posts (default 200)")
    ap.add_argument("--seed", type=int, default=20240601, help="random seed (default 20240601)")
    ap.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    args = ap.parse_args(argv)
    if args.posts < 1:
        ap.error("--posts must be at least 1")

    rng = random.Random(args.seed)
    lines = ["cascade_id\tlabel\tn_events\trel_times_sec"]
    for i in range(1, args.posts + 1):
        shape = pick_shape(rng)
        times = [int(t) for t in cascade(rng, shape)]
        lines.append("sample_%04d_%s\t%s\t%d\t%s"
                     % (i, shape, LABEL, len(times), ",".join(str(t) for t in times)))
    text = "\n".join(lines) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Lines a latency run's bad seconds up with what the server was doing in them.

Usage: benchmarks/bad-seconds.py DIR [--over MS] [--jit-log FILE]

DIR is one server's directory of a benchmarks/latency.sh work directory (e.g.
/tmp/latency-XXXXXX/process-default). For every open-model run in it (round-N-API.json, written by
loadgen's --json), prints the seconds of the measured part whose p99 (loadgen's per-second figures
of the run's main operation: from the intended send time) is above --over milliseconds (default:
twice the run's per-second median), second 0 being the measured part's first, and beside each what
overlapped it:

  snapshot   a background snapshot of the server (its log line "... written in N ms" ends it; it
             began N ms before the line's time)
  gc         the server's GC pauses in that second (server-gc.log: -Xlog:gc with timemillis)
  scrape     a scrape of the server's /metrics, as latency.sh makes one every 15 s (scrapes.txt: each
             one's start in epoch ms and its length in ms, as curl saw it)
  sched      with latency.sh --sched: the server threads that ran or waited most in that second
  jit        with --jit-log (the server run with --server-opts
             "-Xlog:jit+compilation=debug:file=FILE:timemillis"): compiles and methods made not
             entrant in that second, and the packages most compiled

Nothing is changed; reads only. Standard library only.
"""

import argparse
import collections
import datetime
import glob
import json
import os
import re
import statistics
import sys

SNAPSHOT_LINE = re.compile(r"^(\S+?)Z? \[checkout-snapshotter\] .*?written in (\d+) ms")
GC_PAUSE = re.compile(r"^\[(\d+)ms\].*Pause.* ([0-9.]+)ms$")
JIT_LINE = re.compile(r"^\[(\d+)ms\]\s+\d+\s+[%sbn!\s]*?\s*(\d)\s+(\S+)")


def epoch_millis(iso):
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=datetime.timezone.utc).timestamp() * 1000


def snapshots(directory):
    """(start, end) epoch millis of each background snapshot the server logged."""
    spans = []
    log = os.path.join(directory, "server", "server.log")
    if not os.path.exists(log):
        return spans
    with open(log, errors="replace") as lines:
        for line in lines:
            found = SNAPSHOT_LINE.match(line)
            if found:
                end = epoch_millis(found.group(1))
                spans.append((end - int(found.group(2)), end))
    return spans


def gc_pauses(directory):
    """(epoch millis, pause millis) of each GC pause in server-gc.log."""
    pauses = []
    log = os.path.join(directory, "server-gc.log")
    if not os.path.exists(log):
        return pauses
    with open(log, errors="replace") as lines:
        for line in lines:
            found = GC_PAUSE.match(line.rstrip())
            if found:
                pauses.append((int(found.group(1)), float(found.group(2))))
    return pauses


def scrapes(directory):
    """(start, end) epoch millis of each /metrics scrape latency.sh made."""
    spans = []
    log = os.path.join(directory, "scrapes.txt")
    if not os.path.exists(log):
        return spans
    with open(log, errors="replace") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 2:
                start = int(fields[0])
                spans.append((start, start + float(fields[1])))
    return spans


def sched_by_second(directory):
    """{sample epoch millis: {thread name: (cpu ms, wait ms)}} over the second before each sample."""
    path = os.path.join(directory, "server-sched.txt")
    if not os.path.exists(path):
        return {}
    samples = collections.defaultdict(dict)
    with open(path) as lines:
        for line in lines:
            fields = line.split()
            if len(fields) != 6:
                continue
            millis, tid, name, cpu, wait, _ = fields
            samples[int(millis)][(tid, name)] = (int(cpu), int(wait))
    times = sorted(samples)
    deltas = {}
    for before, after in zip(times, times[1:]):
        threads = {}
        for key, (cpu, wait) in samples[after].items():
            if key in samples[before]:
                # Threads of one name (gRPC's event loops) summed under it.
                was_cpu, was_wait = samples[before][key]
                sum_cpu, sum_wait = threads.get(key[1], (0.0, 0.0))
                threads[key[1]] = (sum_cpu + (cpu - was_cpu) / 1e6, sum_wait + (wait - was_wait) / 1e6)
        deltas[after] = threads
    return deltas


def jit_events(path):
    """(epoch millis, tier, method, made not entrant) of each line of a jit+compilation log."""
    events = []
    if not path:
        return events
    with open(path, errors="replace") as lines:
        for line in lines:
            found = JIT_LINE.match(line)
            if found:
                events.append((int(found.group(1)), found.group(2), found.group(3), "made not entrant" in line))
    return events


def describe(second_start, spans, scraped, pauses, sched, jit):
    second_end = second_start + 1000
    parts = []
    for start, end in spans:
        if start < second_end and end > second_start:
            parts.append("snapshot (%.1f s long)" % ((end - start) / 1000))
    for start, end in scraped:
        if start < second_end and end > second_start:
            parts.append("scrape (%.1f ms)" % (end - start))
    in_second = [pause for at, pause in pauses if second_start <= at < second_end]
    if in_second:
        parts.append("gc " + " + ".join("%.1f ms" % pause for pause in in_second))
    # The sample taken 0.5-1.5 s after the second's start: its second before covers at least half of this one.
    ends = [at for at in sched if second_start + 500 <= at < second_end + 500]
    if ends:
        threads = sched[ends[0]]
        busiest = sorted(threads.items(), key=lambda item: -(item[1][0] + item[1][1]))[:3]
        parts.append("sched " + ", ".join("%s %d/%d ms" % (name, cpu, wait) for name, (cpu, wait) in busiest))
    events = [event for event in jit if second_start <= event[0] < second_end]
    if events:
        compiles = [event for event in events if not event[3]]
        dropped = [event for event in events if event[3]]
        packages = collections.Counter(".".join(event[2].split(".")[:3]) for event in compiles)
        parts.append(
            "jit %d compiles, %d made not entrant (%d of C2 code)%s"
            % (
                len(compiles),
                len(dropped),
                sum(1 for event in dropped if event[1] == "4"),
                "; most " + ", ".join("%s %d" % item for item in packages.most_common(3)) if packages else "",
            )
        )
    return "; ".join(parts) if parts else "nothing logged"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--over", type=float, help="ms; default twice the run's per-second p99 median")
    parser.add_argument("--jit-log", help="the server's -Xlog:jit+compilation=debug log (timemillis)")
    options = parser.parse_args()
    runs = sorted(glob.glob(os.path.join(options.directory, "round-*.json")))
    if not runs:
        print("bad-seconds.py: no round-*.json in %s" % options.directory, file=sys.stderr)
        return 2
    spans = snapshots(options.directory)
    scraped = scrapes(options.directory)
    pauses = gc_pauses(options.directory)
    sched = sched_by_second(options.directory)
    jit = jit_events(options.jit_log)
    for path in runs:
        with open(path) as file:
            report = json.load(file)
        # loadgen's per-second figures of the run's main operation over the measured part, as
        # its "per second:" line has them (from the intended send time in the open model)
        intervals = report.get("primaryIntervals") or []
        if not intervals:
            print("%s: no per-second figures" % os.path.basename(path))
            continue
        first = report["measuredFromEpochMillis"]
        median = statistics.median(interval["p99Millis"] for interval in intervals)
        over = options.over if options.over is not None else 2 * median
        print(
            "%s: %s p99 per second, median %.2f ms over %d seconds; the seconds above %.2f ms (0: the measured"
            " part's first):" % (os.path.basename(path), report.get("primaryOperation"), median, len(intervals), over)
        )
        for interval in intervals:
            if interval["p99Millis"] > over:
                start = first + interval["startSeconds"] * 1000
                print(
                    "  %3d  p99 %7.2f ms  %s"
                    % (
                        round(interval["startSeconds"]),
                        interval["p99Millis"],
                        describe(start, spans, scraped, pauses, sched, jit),
                    )
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Sourced by bin/checkout-server and bin/loadgen; not a command of its own. Sets DEFAULT_GC (the
# collector, which bin/loadgen takes) and DEFAULT_SERVER_JVM (the collector and the heap's flags
# below, which bin/checkout-server takes) to the JVM flags they add unless JAVA_OPTS or
# JAVA_TOOL_OPTIONS already sets the same thing: a flag named there wins. The measurements behind
# each are in benchmarks/README.md (History, 2026-12-05 and 2026-12-06). The load generator keeps
# G1's own heap sizing: given the server's flags too, its young pauses came 2-4 a minute at a median
# of 11-22 ms instead of 15-25 a minute at 2-4 ms, and its unary p99.9 rose from 27 to 128 ms.
#
# The collector: -XX:+UseG1GC unless a collector is chosen (naming two is an error the JVM refuses
# to start with). Left to itself, a JVM that sees one CPU (taskset, a container with a limit of one
# CPU, a small VM) picks the serial collector: its young pauses stopped the server for 0.1-0.56 s
# at a time under a flash crowd on one CPU, where G1 on two paused it for 10-40 ms.
#
# The heap, fixed at its maximum, with huge pages only: -XX:InitialRAMPercentage=25 (the default
# maximum is 25% of the memory; the JVM caps the initial heap at -Xmx, so a smaller -Xmx gives a
# fixed heap of that size) and -XX:MaxHeapFreeRatio=100 (an initial size, unlike -Xms, is not a
# floor: G1 shrank a 6 GB heap to 588 MB at its first Remark), unless -Xms, InitialHeapSize or
# InitialRAMPercentage is given, and only when the heap gets huge pages (below): on 4 KB pages a
# large heap doubled the Netty event loop's CPU per call, and a fixed 4 GB heap raised unary p99 to
# 54-163 ms (2026-12-05). The server keeps its whole state on the heap. Started at 1/64 of the
# memory, G1 grew the heap only until the state filled 60% of it (MinHeapFreeRatio=40), above the
# occupancy at which G1 starts a concurrent cycle (45%), and then ran one cycle after another: up
# to 22 Remark pauses a minute at 11,000 reserves/s, a second of pauses in that minute. Grown at
# each Remark instead (MinHeapFreeRatio=70), the heap cost a 100 ms Remark.
#
# The fixed heap touched at start: -XX:+AlwaysPreTouch with it, unless AlwaysPreTouch is named.
# Otherwise the kernel zeroes each 2 MB page of the heap the first time the server touches it, while
# it serves: page faults were 17% of a fresh server's CPU samples at 13,000 reserves/s, young pauses
# that copied into fresh regions took 93-97 ms, and over three pairs at 12,000 reserves/s the unary
# and stream p99.9 were 24 and 26 ms with it against 132 and 198 ms without. The cost is at start:
# the server served 6.7-7.6 s after launch instead of 1.8-3.0 s (a 6 GB heap on a 2-core VM; 0.4 s
# when the kernel has free huge pages at hand), and the whole heap is resident from then on.
# Several servers on one machine would each hold a quarter of its memory so: give each an -Xmx, or
# -XX:-AlwaysPreTouch (the scripts that start three servers do).
#
# Survivors promoted at once: -XX:MaxTenuringThreshold=1 unless given. What outlives a young
# collection here is state (chunks of orders and answers) that lives as long as the server; at the
# default threshold of 15 G1 copied it from survivor space to survivor space, up to 15 times.
#
# Huge pages: -XX:+UseTransparentHugePages when the kernel offers transparent huge pages on request
# (/sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always") and no page flag is given.
# With 2 MB pages the empty call's p99 fell from 18-98 ms to 6-13 ms at 11,000 calls/s.
DEFAULT_GC=""
jvm_opts_given=" ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} "
case "$jvm_opts_given" in
  *-XX:[+-]Use*GC\ *) ;;
  *) DEFAULT_GC="-XX:+UseG1GC" ;;
esac
DEFAULT_SERVER_JVM="$DEFAULT_GC"
case "$jvm_opts_given" in
  *MaxTenuringThreshold=*) ;;
  *) DEFAULT_SERVER_JVM="$DEFAULT_SERVER_JVM -XX:MaxTenuringThreshold=1" ;;
esac
huge_pages=no
case "$jvm_opts_given" in
  *-XX:+UseTransparentHugePages*|*-XX:+UseLargePages*) huge_pages=yes ;;
  *TransparentHugePages*|*LargePages*) ;;
  *)
    case "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)" in
      *\[madvise\]*|*\[always\]*)
        DEFAULT_SERVER_JVM="$DEFAULT_SERVER_JVM -XX:+UseTransparentHugePages"
        huge_pages=yes
        ;;
    esac
    ;;
esac
if [ "$huge_pages" = yes ]; then
  case "$jvm_opts_given" in
    *\ -Xms*|*InitialHeapSize=*|*InitialRAMPercentage=*) ;;
    *)
      DEFAULT_SERVER_JVM="$DEFAULT_SERVER_JVM -XX:InitialRAMPercentage=25 -XX:MaxHeapFreeRatio=100"
      case "$jvm_opts_given" in
        *AlwaysPreTouch*) ;;
        *) DEFAULT_SERVER_JVM="$DEFAULT_SERVER_JVM -XX:+AlwaysPreTouch" ;;
      esac
      ;;
  esac
fi
unset jvm_opts_given huge_pages

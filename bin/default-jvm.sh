# Sourced by bin/checkout-server and bin/loadgen; not a command of its own. Sets DEFAULT_JVM to the
# JVM flags a checkout server (and its load generator) gets unless JAVA_OPTS or JAVA_TOOL_OPTIONS
# already sets the same thing: a flag named there wins. The measurements behind each are in
# benchmarks/README.md (History, 2026-12-05 and 2026-12-06).
#
# The collector: -XX:+UseG1GC unless a collector is chosen (naming two is an error the JVM refuses
# to start with). Left to itself, a JVM that sees one CPU (taskset, a container with a limit of one
# CPU, a small VM) picks the serial collector: its young pauses stopped the server for 0.1-0.56 s
# at a time under a flash crowd on one CPU, where G1 on two paused it for 10-40 ms.
#
# The heap, fixed at its maximum, with huge pages only: -XX:InitialRAMPercentage=25 (the default
# maximum is 25% of the memory; the JVM caps the initial heap at -Xmx, so a smaller -Xmx gives a
# fixed heap of that size) unless -Xms, InitialHeapSize or InitialRAMPercentage is given, and only
# when the heap gets huge pages (below): on 4 KB pages a large heap doubled the Netty event loop's
# CPU per call, and a fixed 4 GB heap raised unary p99 to 54-163 ms (2026-12-05). The server keeps
# its whole state on the heap. Started at 1/64 of the memory, G1 grew the heap only until the state
# filled 60% of it (MinHeapFreeRatio=40), above the occupancy at which G1 starts a concurrent cycle
# (45%), and then ran one cycle after another: up to 22 Remark pauses a minute at 11,000 reserves/s,
# a second of pauses in that minute. Grown at each Remark instead, the heap cost a 100 ms Remark.
#
# Survivors promoted at once: -XX:MaxTenuringThreshold=1 unless given. What outlives a young
# collection here is state (chunks of orders and answers) that lives as long as the server; at the
# default threshold of 15 G1 copied it from survivor space to survivor space, up to 15 times.
#
# Huge pages: -XX:+UseTransparentHugePages when the kernel offers transparent huge pages on request
# (/sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always") and no page flag is given.
# With 2 MB pages the empty call's p99 fell from 18-98 ms to 6-13 ms at 11,000 calls/s.
DEFAULT_JVM=""
jvm_opts_given=" ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} "
case "$jvm_opts_given" in
  *-XX:[+-]Use*GC\ *) ;;
  *) DEFAULT_JVM="$DEFAULT_JVM -XX:+UseG1GC" ;;
esac
case "$jvm_opts_given" in
  *MaxTenuringThreshold=*) ;;
  *) DEFAULT_JVM="$DEFAULT_JVM -XX:MaxTenuringThreshold=1" ;;
esac
huge_pages=no
case "$jvm_opts_given" in
  *-XX:+UseTransparentHugePages*|*-XX:+UseLargePages*) huge_pages=yes ;;
  *TransparentHugePages*|*LargePages*) ;;
  *)
    case "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)" in
      *\[madvise\]*|*\[always\]*)
        DEFAULT_JVM="$DEFAULT_JVM -XX:+UseTransparentHugePages"
        huge_pages=yes
        ;;
    esac
    ;;
esac
if [ "$huge_pages" = yes ]; then
  case "$jvm_opts_given" in
    *\ -Xms*|*InitialHeapSize=*|*InitialRAMPercentage=*) ;;
    *) DEFAULT_JVM="$DEFAULT_JVM -XX:InitialRAMPercentage=25" ;;
  esac
fi
unset jvm_opts_given huge_pages

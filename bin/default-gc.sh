# Sourced by bin/checkout-server and bin/loadgen; not a command of its own. Sets DEFAULT_GC to
# -XX:+UseG1GC unless JAVA_OPTS or JAVA_TOOL_OPTIONS already chooses a collector (naming two is an
# error the JVM refuses to start with).
#
# Left to itself, a JVM that sees one CPU (taskset, a container with a limit of one CPU, a small
# VM) picks the serial collector: its young pauses stopped the server for 0.1-0.56 s at a time
# under a flash crowd on one CPU (2026-12-05), where G1 on two paused it for 10-40 ms. A server
# with latency targets does not take its collector from the machine it happens to land on.
DEFAULT_GC="-XX:+UseG1GC"
case " ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} " in
  *-XX:[+-]Use*GC\ *) DEFAULT_GC="" ;;
esac

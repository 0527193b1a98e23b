#!/usr/bin/env bash
# Profiles Portico's CPU under one load with async-profiler (from Maven Central), the way run.sh measures it:
# the benchmark backend and Portico pinned to one CPU, the load tool on the other.
#
#   loadtest/profile.sh [--variant http1|h2c|tls|text|connect-proto|connect-json|stream-h2c|stream-http1|stream-text]
#                       [--warmup S] [--seconds S] [--event cpu|itimer] [--out DIR]
#
# --event: cpu (the default) samples each thread's CPU time through perf_events, kernel frames included;
# where the kernel refuses those (perf_event_paranoid above 2, or a container's seccomp filter) the script
# says so and uses itimer, which needs no permission but only ticks at the kernel's timer rate and
# over-samples the JIT compiler threads (a streaming profile: 39% of its samples against 22% with cpu).
#
# Writes DIR/flame.html (a flame graph), DIR/collapsed.txt (one stack per line with its sample count) and
# DIR/summary.md (where the samples fall: by layer, and the top frames by self time). Default DIR:
# loadtest/results/<UTC timestamp>-profile-<variant>. Needs the same tools as run.sh (builds both jars when
# missing) and only talks to 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=h2c warmup=30 seconds=20 event=cpu out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --variant) variant=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --event) event=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
out=${out:-$root/loadtest/results/$(date -u +%Y%m%dT%H%M%SZ)-profile-$variant}
mkdir -p "$out"

profiler_version=4.2
profiler_jar=$HOME/.m2/repository/tools/profiler/async-profiler/$profiler_version/async-profiler-$profiler_version-linux-x64.jar
[ -f "$profiler_jar" ] || mvn -B -q -ntp dependency:get \
    -Dartifact=tools.profiler:async-profiler:$profiler_version:jar:linux-x64 >/dev/null
work=$root/loadtest/target/profile
mkdir -p "$work"
unzip -o -q "$profiler_jar" 'linux-x64/libasyncProfiler.so' -d "$work"
agent=$work/linux-x64/libasyncProfiler.so

[ -f "$root/proxy/target/portico.jar" ] || (cd "$root" && mvn -B -q -ntp package -DskipTests)
[ -f "$root/loadtest/target/portico-loadtest.jar" ] || (cd "$root" && mvn -B -q -ntp -Dmaven.test.skip=true install \
    && mvn -B -q -ntp -f loadtest/pom.xml package -DskipTests)

# This script and the load tools it starts run on CPU 1; the backend and Portico are put on CPU 0.
taskset -p -c 1 $$ >/dev/null
backend_port=50171 stats_port=50172 portico_port=18171 admin_port=19171
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

taskset -c 0 java -XX:+UseSerialGC -jar "$root/loadtest/target/portico-loadtest.jar" backend \
    --port $backend_port --stats-port $stats_port >"$out/backend.log" 2>&1 &
pids+=($!)
tls=""
if [ "$variant" = tls ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    tls="tls { cert-chain-file = \"$work/cert.pem\", private-key-file = \"$work/key.pem\" }"
fi
cat >"$work/portico.conf" <<EOF
portico {
  listen { host = "127.0.0.1", port = $portico_port }
  $tls
  upstream.endpoints = ["127.0.0.1:$backend_port"]
  admin { host = "127.0.0.1", port = $admin_port }
}
EOF
# The agent is loaded at start and only told to start later (an agent loaded into a running JVM gets a
# warning from Java 21 on, and is refused by default in later releases).
PORTICO_JAR=$root/proxy/target/portico.jar JDK_JAVA_OPTIONS="-agentpath:$agent" \
    taskset -c 0 "$root/bin/portico" --config "$work/portico.conf" \
    >"$out/portico.log" 2>&1 &
portico_pid=$!
pids+=($portico_pid)
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

# The request bodies run.sh writes (5-byte frame + message); made by the kit when missing.
bodies=$root/loadtest/target/work
[ -f "$bodies/echo-100.grpc" ] || java -jar "$root/loadtest/target/portico-loadtest.jar" bodies "$bodies"
scheme=http
[ "$variant" = tls ] && scheme=https
base=$scheme://127.0.0.1:$portico_port/portico.loadtest.v1.BenchService
web=(-H "content-type: application/grpc-web+proto" -H "x-grpc-web: 1")
connect=(-H "connect-protocol-version: 1")
# A profile of error answers would be worthless: the first call must succeed.
curl_tls=()
[ "$variant" = tls ] && curl_tls=(-k --http2)
case "$variant" in
    connect-*) ;;
    *) curl -s "${curl_tls[@]}" -o "$work/first-call" -H "content-type: application/grpc-web+proto" -H "x-grpc-web: 1" \
           --data-binary "@$bodies/echo-100.grpc" "$base/Echo"
       grep -qa "grpc-status: *0" "$work/first-call" \
           || { echo "the first call did not succeed: $(tr -cd '[:print:]' <"$work/first-call" | head -c 300)" >&2; exit 1; } ;;
esac
# The load for SECONDS, bounded by the tool's own duration and by timeout.
load() {
    local d=$1
    case "$variant" in
        http1) set -- wrk -t1 -c50 -d"$d"s -s "$root/loadtest/wrk/grpc-web.lua" "$base/Echo" -- \
                   "$bodies/echo-100.grpc" application/grpc-web+proto ;;
        h2c|tls) set -- h2load -t1 -c5 -m10 -D "$d" -d "$bodies/echo-100.grpc" "${web[@]}" "$base/Echo" ;;
        text) set -- h2load -t1 -c5 -m10 -D "$d" -d "$bodies/echo-100.grpc-web-text" \
                  -H "content-type: application/grpc-web-text" -H "x-grpc-web: 1" "$base/Echo" ;;
        connect-proto) set -- h2load -t1 -c5 -m10 -D "$d" -d "$bodies/echo-100.connect-proto" \
                           -H "content-type: application/proto" "${connect[@]}" "$base/Echo" ;;
        connect-json) set -- h2load -t1 -c5 -m10 -D "$d" -d "$bodies/echo-100.connect-json" \
                          -H "content-type: application/json" "${connect[@]}" "$base/Echo" ;;
        stream-h2c) set -- h2load -t1 -c1 -m4 -D "$d" -d "$bodies/stream-1000x1024.grpc" "${web[@]}" \
                        "$base/ServerStream" ;;
        stream-text) set -- h2load -t1 -c1 -m4 -D "$d" -d "$bodies/stream-1000x1024.grpc-web-text" \
                         -H "content-type: application/grpc-web-text" -H "x-grpc-web: 1" "$base/ServerStream" ;;
        stream-http1) set -- wrk -t1 -c4 -d"$d"s -s "$root/loadtest/wrk/grpc-web.lua" "$base/ServerStream" -- \
                          "$bodies/stream-1000x1024.grpc" application/grpc-web+proto ;;
        *) echo "unknown variant $variant" >&2; exit 2 ;;
    esac
    timeout $((d + 20)) "$@"
}
profiler() { # COMMAND
    java "$root/loadtest/src/main/java/dev/portico/loadtest/ProfilerAttach.java" $portico_pid "$agent" "$1"
}
echo "warming up for $warmup s"
# In runs of 10 s: the first time a load tool closes its connections and the next one opens new ones, the JIT
# throws away compiled hot paths that never saw that happen and compiles them again (measured in /proc: the
# compiler threads took 13% of Portico's CPU for the 20 s after the first new connections, under 1% after the
# second), which would otherwise land in the profile.
: >"$out/warmup.txt"
for ((left = warmup; left > 0; left -= 10)); do
    load $((left < 10 ? left : 10)) >>"$out/warmup.txt" 2>&1
done
if ! profiler "start,event=$event,interval=1ms" >"$work/profiler-start.txt" 2>&1; then
    [ "$event" != itimer ] || { cat "$work/profiler-start.txt" >&2; exit 1; }
    echo "async-profiler refused the $event event (its reason is in $out/portico.log); profiling with itimer" >&2
    event=itimer
    profiler "start,event=itimer,interval=1ms" >/dev/null
fi
echo "profiling for $seconds s"
load "$seconds" >"$out/load.txt" 2>&1
profiler "dump,file=$out/collapsed.txt,collapsed" >/dev/null
profiler "stop,file=$out/flame.html" >/dev/null
java "$root/loadtest/src/main/java/dev/portico/loadtest/ProfileSummary.java" "$out/collapsed.txt" \
    "$variant" "$event" >"$out/summary.md"
echo "wrote $out"
cat "$out/summary.md"

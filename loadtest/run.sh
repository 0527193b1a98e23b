#!/usr/bin/env bash
# Portico load test: one command, see loadtest/README.md.
#
#   loadtest/run.sh [--quick] [--no-build] [--no-cds] [runner options]
#   loadtest/run.sh --soak [--soak-duration 10m] [--no-build] [--no-cds]
#
# Builds Portico and the kit, makes the class-data-sharing archive for the measured copy of the jar (as the
# Docker image does; --no-cds runs without one), installs h2load and wrk from Debian if they are missing,
# starts the benchmark backend and Portico pinned to one CPU with the load tools on another, runs every
# scenario with its direct-gRPC baseline, checks every run's counts against the backend's, and writes
# loadtest/results/<UTC timestamp>[-quick]/{results.md,chart.svg,samples.tsv,logs/}.
# --soak runs the soak instead (README "Soak"): mixed protocols with client resets, slow readers, idle
# connections and backend restarts for --soak-duration (default 3m), into loadtest/results/<UTC timestamp>-soak/.
# Exit status: 0 when every check passed, 1 when any measurement failed its checks, 2 on a setup error.
#
# Runner options (passed through): --repeats N, --seconds N, --warmup N, --open-streams N,
# --only REGEX (on "scenario/variant", e.g. 'unary-c50/' or '/web-h2c'), --server-cpu N, --load-cpu N,
# --backend-port N, --stats-port N, --portico-port N, --admin-port N.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
quick=0
soak=0
build=1
cds=1
portico_port=18080
pass=()
server_cpu=0
load_cpu=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; pass+=("--quick") ;;
    --soak) soak=1; pass+=("--soak") ;;
    --no-build) build=0 ;;
    --server-cpu) server_cpu="$2"; pass+=("$1" "$2"); shift ;;
    --load-cpu) load_cpu="$2"; pass+=("$1" "$2"); shift ;;
    --no-cds) cds=0 ;;
    --portico-port) portico_port="$2"; pass+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) pass+=("$1") ;;
  esac
  shift
done

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

# ---- tools (the soak brings its own client)
missing=()
if [ "$soak" -eq 0 ]; then
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  command -v wrk >/dev/null || missing+=(wrk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
tools=(curl taskset openssl java mvn git sha256sum)
[ "$soak" -eq 1 ] || tools+=(h2load wrk)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
ncpu="$(nproc --all)"
[ "$ncpu" -ge 2 ] || die "needs 2 CPUs to pin servers and load generator apart (found $ncpu)"

# ---- build (other engineers may be mid-change: retry a broken build a few times, a minute apart)
mvn_build() {  # mvn_build <args...>: offline first (the usual case here), then with the network
  mvn -B -q -o "$@" || mvn -B -q -ntp "$@"
}
if [ "$build" -eq 1 ]; then
  mkdir -p "$here/target"
  tries="${BUILD_TRIES:-3}"
  for i in $(seq 1 "$tries"); do
    say "building Portico (try $i of $tries)"
    if (cd "$root" && mvn_build -Dmaven.test.skip=true install) >"$here/target/build.log" 2>&1; then
      break
    fi
    [ "$i" -lt "$tries" ] || { tail -30 "$here/target/build.log" >&2; die "Portico does not build (log above); --no-build uses the jar as it is"; }
    say "build failed; retrying in 60 s"
    sleep 60
  done
  say "building the load-test kit"
  mvn_build -f "$here/pom.xml" package >"$here/target/build.log" 2>&1 \
    || { tail -30 "$here/target/build.log" >&2; die "the kit does not build"; }
  rm -f "$here/target/build.log"
fi
portico_jar="$root/proxy/target/portico.jar"
kit_jar="$here/target/portico-loadtest.jar"
[ -f "$portico_jar" ] || die "$portico_jar missing (build Portico, or drop --no-build)"
[ -f "$kit_jar" ] || die "$kit_jar missing (mvn -f loadtest/pom.xml package)"

# ---- work folder: a snapshot of the jar (a rebuild during the run cannot swap it), a TLS certificate
work="$here/target/work"
mkdir -p "$work"
# An archive of an earlier jar: the JVM would ignore it, and the report would say it was used.
rm -f "$work/portico.jsa"
cp "$portico_jar" "$work/portico.jar"
if [ "$cds" -eq 1 ]; then
  # bin/portico maps portico.jsa beside the jar when it exists; the runner reports whether it did.
  say "making the class-data-sharing archive for the copy (bin/portico-cds-archive, training port $portico_port)"
  PORTICO_JAR="$work/portico.jar" PORTICO_CDS_TRAINING_PORT="$portico_port" "$root/bin/portico-cds-archive" \
    >"$work/cds.log" 2>&1 \
    || { tail -20 "$work/cds.log" >&2; die "the CDS archive was not made (log above); --no-cds runs without it"; }
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
changed="$(git -C "$root" status --porcelain -- proxy config upstream-lb pom.xml 2>/dev/null | wc -l)"
build_desc="commit $commit"
[ "$changed" -eq 0 ] || build_desc="$build_desc with $changed uncommitted file(s) under proxy/, config/, upstream-lb/"
build_desc="$build_desc; jar built $(date -u -r "$portico_jar" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$work/portico.jar" | cut -c1-12)"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$here/results/$stamp"
[ "$quick" -eq 0 ] || results="$results-quick"
[ "$soak" -eq 0 ] || results="$results-soak"
mkdir -p "$results"

# If the runner dies without cleaning up, end the servers it started: only those PIDs, and only if they
# are still our java processes.
cleanup() {
  [ -f "$work/pids" ] || return 0
  while read -r pid; do
    if [ -n "$pid" ] && grep -qa -e "$work/portico.jar" -e "$kit_jar" "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
    fi
  done <"$work/pids"
}
trap cleanup EXIT

say "results in $results"
set +e
taskset -c "$load_cpu" java -Xmx1g -XX:+UseSerialGC -jar "$kit_jar" run \
  --portico-jar "$work/portico.jar" --launcher "$root/bin/portico" --kit-jar "$kit_jar" --lua "$here/wrk/grpc-web.lua" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --results "$results" --work "$work" \
  --portico-build "$build_desc" "${pass[@]}" 2> >(tee "$results/run.log" >&2)
status=$?
set -e
exit "$status"

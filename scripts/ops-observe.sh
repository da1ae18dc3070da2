#!/usr/bin/env bash
# make observe: starts the standalone city (random ports, its own data dir)
# and Prometheus (Debian's prometheus package, pinned in .ci/run) scraping
# its admin /metrics with the generated rules loaded; sends a little API
# traffic; checks that every SLO's 5-minute error-ratio recording rule and
# every alert expression evaluates, and that every SLO has data (the demo
# answers a police dispatch, so the dispatch SLOs have theirs). Then it prints where to open Prometheus and waits for Ctrl-C
# (-check-only: stops after the check).
#
#   make observe                       # keep both running
#   make observe OBSERVE_FLAGS=-check-only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
check_only=false
[ "${1:-}" = "-check-only" ] && check_only=true
# OBSERVE_ALLOW_EMPTY: SLO ids allowed to have no data (none by default).
allow_empty=${OBSERVE_ALLOW_EMPTY:-}

command -v prometheus >/dev/null || { echo "observe: prometheus not found (apt-get install 'prometheus=2.42.0+ds-5*')"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-observe.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$dir/guildhall" ./services/standalone/cmd/guildhall
"$dir/guildhall" -http.addr=127.0.0.1:0 -admin.addr=127.0.0.1:0 -broker.addr=127.0.0.1:0 \
  -data.dir="$dir/city" -demo.when-empty -heartbeat.interval=5s >"$dir/city.out" 2>"$dir/city.log" &
pids+=($!)
deadline=$((SECONDS + 120))
until grep -q 'guildhall: ready' "$dir/city.out" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$dir/city.out" "$dir/city.log"; echo "observe: the city stopped"; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "observe: the city is not ready after 120 s"; exit 1; }
  sleep 0.2
done
api=$(sed -n 's|^guildhall: serving the city on http://\([^ ]*\).*|\1|p' "$dir/city.out")
admin=$(sed -n 's|^guildhall: metrics and health on http://\([^ ]*\) .*|\1|p' "$dir/city.out")

# A free port for Prometheus: a random one nothing answers on.
while :; do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $root/deploy/mixin/rules.yaml
scrape_configs:
  - job_name: guildhall
    static_configs:
      - targets: ['$admin']
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn >"$dir/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$port"

# Traffic: requests (refused without a token: they count like any other).
for i in $(seq 1 40); do curl -s -o /dev/null "http://$api/api/v1/hq/summary" || true; done

query() { # expr -> number of series in the result
  curl -s --get "$prom/api/v1/query" --data-urlencode "query=$1" |
    { grep -o '"metric"' || true; } | wc -l
}
ids=$(grep -oE 'sloth_id: guildhall-[a-z0-9-]+' deploy/mixin/rules.yaml | awk '{print $2}' | sort -u)
echo "observe: Prometheus on $prom scraping $admin; waiting for every SLO's data (up to 90 s)"
deadline=$((SECONDS + 90))
while :; do
  for i in $(seq 1 10); do curl -s -o /dev/null "http://$api/api/v1/hq/summary" || true; done
  empty=()
  for id in $ids; do
    n=$(query "slo:sli_error:ratio_rate5m{sloth_id=\"$id\"}")
    [ "$n" -gt 0 ] || [[ " $allow_empty " == *" $id "* ]] || empty+=("$id")
  done
  [ ${#empty[@]} -eq 0 ] && break
  [ $SECONDS -lt $deadline ] || { echo "observe: no data for: ${empty[*]}"; exit 1; }
  sleep 2
done
for id in $ids; do
  printf '  %-36s %s series\n' "$id" "$(query "slo:sli_error:ratio_rate5m{sloth_id=\"$id\"}")"
done
# Every rule evaluated without error.
bad=$(curl -s "$prom/api/v1/rules" | { grep -o '"health":"err[^"]*"' || true; } | wc -l)
[ "$bad" -eq 0 ] || { curl -s "$prom/api/v1/rules" | grep -o '"lastError":"[^"]\+"' | sort -u; echo "observe: $bad rules fail to evaluate"; exit 1; }
echo "observe: every SLO query has data${allow_empty:+ (allowed to have none: $allow_empty)}"
if $check_only; then exit 0; fi
echo "observe: open $prom (Alerts, Graph: slo:sli_error:ratio_rate5m) — the city's API is http://$api; Ctrl-C stops both"
wait "${pids[0]}"

# Helpers for the benchmark scripts: timing whole commands with their peak memory.
# Tools are sampled alternately, round after round, in the same run, so they share the
# machine's conditions; each figure is the median wall time and the largest peak RSS.

RUNS=${RUNS:-5}

# sample NAME CMD... : runs CMD once, appends "NAME microseconds peak_rss_kib" to $samples.
sample() {
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || {
    echo "bench: $name failed:" >&2
    cat "$tmp/err" >&2
    return 1
  }
  t1=$(date +%s%N)
  echo "$name $(((t1 - t0) / 1000)) $(tail -n1 "$tmp/rss")" >>"$samples"
}

# median_us NAME / peak_kib NAME
median_us() {
  awk -v n="$1" '$1 == n { print $2 }' "$samples" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
peak_kib() { awk -v n="$1" '$1 == n && $3 > m { m = $3 } END { print m + 0 }' "$samples"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# hyperfine_median NAME [--prepare CMD] CMD... : times CMD with hyperfine (no shell, 2 warm-up
# runs, RUNS measured runs) and appends "NAME median_us peak_rss_kib" to $samples, the
# peak RSS being the largest of three runs under /usr/bin/time.
hyperfine_median() {
  local name=$1
  shift
  local prepare=()
  if [[ $1 == --prepare ]]; then
    prepare=(--prepare "$2")
    shift 2
  fi
  local cmd
  printf -v cmd '%q ' "$@"
  hyperfine -N --style none --warmup 2 --runs "$RUNS" "${prepare[@]}" --export-csv "$tmp/h.csv" "$cmd" >/dev/null 2>&1 || {
    echo "bench: $name failed" >&2
    return 1
  }
  local median_s rss=0 m
  median_s=$(awk -F, 'NR == 2 { print $(NF - 4) }' "$tmp/h.csv")  # command,mean,stddev,median,user,system,min,max
  for ((i = 0; i < 3; i++)); do
    [[ ${#prepare[@]} -gt 0 ]] && bash -c "${prepare[1]}"
    /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>&1
    m=$(tail -n1 "$tmp/rss")
    ((m > rss)) && rss=$m
  done
  echo "$name $(awk -v s="$median_s" 'BEGIN { printf "%d", s * 1e6 }') $rss" >>"$samples"
}

# need_test_image BUILD IMAGE: makes sure the engine has a test image (the engine tests build
# them FROM scratch), or stops the benchmark.
need_test_image() {
  local socket=${socket:?use_test_engine first}
  if ! curl -sf --unix-socket "$socket" "http://localhost/images/$2/json" >/dev/null; then
    (cd "$1" && ctest -R Engine.PingVersionInfoAndNegotiation >/dev/null) || true
  fi
  curl -sf --unix-socket "$socket" "http://localhost/images/$2/json" >/dev/null ||
    { echo "bench: no $2 image (run the engine tests once)" >&2; exit 1; }
}

# use_test_engine: the benchmarks run against the test suite's private engine (scripts/dockerd.sh),
# never the host's: starts it if needed, exports DOCKER_HOST for every tool (varan, docker-compose,
# the docker CLI) and sets $socket for curl. Says so in the output.
use_test_engine() {
  if bash scripts/dockerd.sh start; then
    eval "export $(bash scripts/dockerd.sh env)"
    echo "engine: the test suite's private engine ($DOCKER_HOST), not the host's" >&2
  else
    export DOCKER_HOST=unix:///var/run/docker.sock
    echo "engine: the host's ($DOCKER_HOST): no private engine could start (see above)" >&2
  fi
  socket=${DOCKER_HOST#unix://}
}

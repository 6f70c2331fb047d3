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

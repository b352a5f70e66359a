#!/bin/sh
# Runs each host fuzzer for RUNS executions, one after another:
#   tests/fuzz/run.sh RUNS OUTDIR FUZZER...
# Each starts from its seeds (tests/fuzz/corpus/NAME) and what earlier runs
# kept (OUTDIR/corpus/NAME, where new inputs go); its log is OUTDIR/NAME.log
# and a crash is saved as OUTDIR/crashes/NAME-crash-*.  Prints one line per
# fuzzer (executions, seconds, exec/s, coverage) and the totals; exits 1 if
# any fuzzer failed.
set -u
runs=$1 out=$2
shift 2
mkdir -p "$out/crashes"
total_runs=0 total_s=0 failed=0
now() { date +%s.%N; }
for f in "$@"; do
	name=$(basename "$f")
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$out/corpus/$name"
	start=$(now)
	"$f" -runs="$runs" -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/$name-" \
	    "$out/corpus/$name" "$seeds" > "$out/$name.log" 2>&1
	rc=$?
	s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
	cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$name.log" |
	      sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/')
	if [ "$rc" != 0 ]; then
		failed=1
		echo "  FUZZ    $name: FAILED (status $rc), see $out/$name.log:"
		grep -E 'ERROR|SUMMARY|broken promise|Test unit written' \
		    "$out/$name.log" | head -n 8 | sed 's/^/    /'
		continue
	fi
	n=${n:-0}
	rate=$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')
	echo "  FUZZ    $name: $n runs in $s s ($rate exec/s), $cov"
	total_runs=$(( total_runs + n ))
	total_s=$(awk -v a="$total_s" -v b="$s" 'BEGIN { printf "%.1f", a + b }')
done
echo "  FUZZ    total: $total_runs runs in $total_s s"
exit $failed

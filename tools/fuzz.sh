#!/usr/bin/env bash
# Fuzz the parsers (safetensors, pickle, zip checkpoints, latents .npy/.npz) with libFuzzer (the runtime ships with the Swift toolchain).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     default: 30 s each, all targets
#   tools/fuzz.sh minimize [TARGET...]      shrink each corpus to the inputs that add edge coverage
#
# Builds a separate release tree (.build-fuzz, gitignored) with coverage and
# AddressSanitizer, then runs each target on its committed corpus
# tools/fuzz/corpus/<target>/ (new coverage is added there; crash inputs
# land in .build-fuzz/artifacts/<target>/). Exits non-zero on any finding, and
# when a target fails to start or to run to its time limit (no "INFO: Seed:" line,
# no DONE line, or no executions in its log).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
if [ "${1:-}" = minimize ]; then mode=minimize; shift; seconds=0; else seconds="${1:-30}"; shift || true; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzSafetensors FuzzPickle FuzzZip FuzzTorchZip FuzzLatents)

# One product per build: `swift build` keeps only the last --product given.
for t in "${targets[@]}"; do
    swift build -c release --scratch-path .build-fuzz --sanitize fuzzer \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMSG_FUZZ --product "$t" 2>&1 | tail -n 1
done
bin="$(swift build -c release --scratch-path .build-fuzz --show-bin-path)"

if [ "$mode" = minimize ]; then
    for t in "${targets[@]}"; do
        rm -rf ".build-fuzz/min/$t" && mkdir -p ".build-fuzz/min/$t"
        SWIFT_BACKTRACE=enable=no "$bin/$t" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 ".build-fuzz/min/$t" "tools/fuzz/corpus/$t" > ".build-fuzz/$t-merge.log" 2>&1
        # Keep the named seeds (tools/fuzz/make_seeds.py) whatever their coverage.
        find "tools/fuzz/corpus/$t" -type f ! -name '*.*' -delete
        find ".build-fuzz/min/$t" -type f -exec cp {} "tools/fuzz/corpus/$t/" \;
        echo "$t: $(ls "tools/fuzz/corpus/$t" | wc -l) inputs, $(du -sk "tools/fuzz/corpus/$t" | cut -f1) KiB"
    done
    exit 0
fi

status=0
for t in "${targets[@]}"; do
    mkdir -p "tools/fuzz/corpus/$t" ".build-fuzz/artifacts/$t"
    echo "== $t: ${seconds} s"
    [ -x "$bin/$t" ] || { echo "$t: FAILED TO START: not built"; status=1; continue; }
    # A Swift trap must read as a crash, not as a report from inside the backtracer.
    rc=0
    SWIFT_BACKTRACE=enable=no "$bin/$t" "tools/fuzz/corpus/$t" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix=".build-fuzz/artifacts/$t/" -print_final_stats=1 > ".build-fuzz/$t.log" 2>&1 || rc=$?
    # One process, no -jobs (which would log to ./fuzz-N.log): the summary lines only.
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|SUMMARY|==[0-9]+==ERROR|.*deadly signal|.*Test unit written)' ".build-fuzz/$t.log" || tail -n 5 ".build-fuzz/$t.log"
    if ls ".build-fuzz/artifacts/$t/"* >/dev/null 2>&1; then
        echo "$t: FINDINGS in .build-fuzz/artifacts/$t/"; status=1
    elif ! grep -qE '^INFO: Seed: [0-9]+' ".build-fuzz/$t.log" \
        || ! grep -qE '^#[0-9]+[[:space:]]+DONE' ".build-fuzz/$t.log" \
        || [ "$(grep -oE '^stat::number_of_executed_units: [0-9]+' ".build-fuzz/$t.log" | grep -oE '[0-9]+$' || echo 0)" -eq 0 ]; then
        # Did not start (not a libFuzzer binary, bad flag, corpus unreadable, no
        # executions) or did not run to its time limit: a fuzzer that never ran
        # proves nothing, so it fails CI like a finding.
        echo "$t: FAILED TO RUN (exit $rc); last lines of .build-fuzz/$t.log:"; tail -n 5 ".build-fuzz/$t.log"; status=1
    elif [ "$rc" -ne 0 ]; then
        echo "$t: exited with status $rc"; status=1
    fi
done
exit $status

#!/usr/bin/env bash
# Proof by deliberate bugs: apply each tools/mutants/*.patch (a plausible one-line
# bug) to a scratch copy of the working tree, build, run the tests named in the
# patch's "# filter:" header, and report whether the suite caught it.
#
#   tools/mutate.sh [options] [PATTERN...]
#     PATTERN            run only mutants whose file name contains PATTERN (any of them)
#     --list             list the mutants (name, filter) and exit
#     --scratch DIR      scratch copy (default /tmp/msg-gen-mutants/src); its .build is
#                        kept between runs, so each mutant is an incremental build
#     --in-place         mutate this working tree itself and use its .build (no second
#                        full build; do not edit sources while it runs: each patch is
#                        reverted after its run, and on exit or Ctrl-C)
#     --budget SECONDS   stop starting mutants after this much wall time (default: none);
#                        the rest are reported "not run"
#     --test-timeout S   per-mutant test timeout (default 900); a run that times out counts
#                        as caught (a hang fails CI too) and says so
#     --no-baseline      skip the unmutated run of the selected filters
#     --out FILE         also write the result table (markdown) to FILE
#
# Results: caught (a filtered test failed), MISSED (all passed), does-not-apply (the
# patch no longer matches the code: update or retire the mutant), does-not-build
# (not counted as caught: a compile error is not a test), not-run (budget).
# Exit status 0 only if every selected mutant was caught.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

scratch=/tmp/msg-gen-mutants/src
budget=0
test_timeout=900
baseline=1
list=0
out=""
patterns=()
while [ $# -gt 0 ]; do
    case "$1" in
        --list) list=1 ;;
        --scratch) scratch="$2"; shift ;;
        --in-place) scratch="$repo" ;;
        --budget) budget="$2"; shift ;;
        --test-timeout) test_timeout="$2"; shift ;;
        --no-baseline) baseline=0 ;;
        --out) out="$2"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) patterns+=("$1") ;;
    esac
    shift
done

header() { sed -n "s/^# $2: //p" "$1" | head -n 1; }

mutants=()
for f in tools/mutants/*.patch; do
    name="$(basename "$f" .patch)"
    if [ ${#patterns[@]} -gt 0 ]; then
        keep=0
        for p in "${patterns[@]}"; do [[ "$name" == *"$p"* ]] && keep=1; done
        [ $keep = 1 ] || continue
    fi
    [ -n "$(header "$f" filter)" ] || { echo "$f: no '# filter:' header" >&2; exit 2; }
    mutants+=("$f")
done
[ ${#mutants[@]} -gt 0 ] || { echo "no mutants selected" >&2; exit 2; }

if [ $list = 1 ]; then
    for f in "${mutants[@]}"; do printf '%-45s %s\n' "$(basename "$f" .patch)" "$(header "$f" filter)"; done
    exit 0
fi

# ---- scratch copy: the working tree's tracked and untracked-unignored files.
# Only changed files are copied, so the scratch .build stays incremental.
if [ "$scratch" = "$repo" ]; then
    logs="$repo/.build-mutants/logs"
else
    logs="$(mkdir -p "$scratch/.." && cd "$scratch/.." && pwd)/logs"
fi
mkdir -p "$scratch" "$logs"
sync_tree() {
    local listed
    listed="$(mktemp)"
    git ls-files -co --exclude-standard > "$listed"
    while IFS= read -r f; do
        [ -f "$f" ] || continue
        if ! cmp -s "$f" "$scratch/$f"; then
            mkdir -p "$scratch/$(dirname "$f")"
            cp "$f" "$scratch/$f"
        fi
    done < "$listed"
    # Files gone from the tree leave the scratch copy too (never its build folders).
    (cd "$scratch" && find . -type f ! -path './.build*' ! -path './.swiftpm/*' ! -name Package.resolved | sed 's|^\./||') | sort > "$listed.s"
    sort "$listed" | comm -13 - "$listed.s" | while IFS= read -r f; do rm -f "$scratch/$f"; done
    rm -f "$listed" "$listed.s"
}
[ "$scratch" = "$repo" ] || sync_tree

applied=""
revert() {
    if [ -n "$applied" ]; then
        (cd "$scratch" && patch -p1 -R -s --batch --no-backup-if-mismatch < "$repo/$applied" > /dev/null) || echo "warning: could not revert $applied in $scratch" >&2
        applied=""
    fi
}
trap revert EXIT
trap 'revert; exit 130' INT TERM

build() {   # build the scratch copy; log to $1
    (cd "$scratch" && swift build -j 1 --build-tests > "$1" 2>&1)
}
run_tests() {   # filter, log
    (cd "$scratch" && timeout "$test_timeout" swift test -j 1 --skip-build --filter "$1" > "$2" 2>&1)
}

start=$(date +%s)
echo "scratch: $scratch (logs in $logs)"
echo "building the unmutated copy..."
build "$logs/baseline-build.log" || { echo "the unmutated copy does not build: $logs/baseline-build.log" >&2; exit 1; }
if [ $baseline = 1 ]; then
    all="$(for f in "${mutants[@]}"; do header "$f" filter; done | tr '\n' '|' | sed 's/|$//')"
    echo "unmutated run of the selected filters..."
    run_tests "$all" "$logs/baseline-test.log" || {
        echo "the selected tests fail WITHOUT any mutant (see $logs/baseline-test.log): fix them first" >&2
        exit 1
    }
fi

rows=()
caught=0; total=0
for f in "${mutants[@]}"; do
    name="$(basename "$f" .patch)"
    filter="$(header "$f" filter)"
    total=$((total + 1))
    if [ "$budget" != 0 ] && [ $(( $(date +%s) - start )) -ge "$budget" ]; then
        rows+=("| $name | \`$filter\` | not run (budget) | - |"); continue
    fi
    t0=$(date +%s)
    if ! (cd "$scratch" && patch -p1 -N -s --batch --dry-run < "$repo/$f" > /dev/null 2>&1); then
        result="does not apply"
    else
        (cd "$scratch" && patch -p1 -N -s --batch --no-backup-if-mismatch < "$repo/$f" > /dev/null)
        applied="$f"
        if ! build "$logs/$name-build.log"; then
            result="does not build"
        else
            set +e
            run_tests "$filter" "$logs/$name-test.log"
            rc=$?
            set -e
            if grep -q "No matching test cases were run\|0 tests in 0 suites" "$logs/$name-test.log"; then
                result="filter matches no test"
            elif [ $rc = 0 ]; then
                result="**MISSED**"
            elif [ $rc = 124 ]; then
                result="caught (timed out)"; caught=$((caught + 1))
            else
                # The failing tests (swift-testing's ✘ lines, XCTest's "failed" lines), at most two named.
                failing="$( { grep -E '^✘ Test ' "$logs/$name-test.log" | grep -v '^✘ Test run with' | sed -E 's/^✘ Test ("[^"]*"|[A-Za-z_][A-Za-z0-9_]*).*/\1/'
                              grep -oE "Test Case '-\[[^ ]+ [A-Za-z0-9_]+\]' failed" "$logs/$name-test.log" | sed -E "s/.* ([A-Za-z0-9_]+)\]' failed/\1/"
                            } | awk '!seen[$0]++' | head -n 2 | tr '\n' ' ' | sed 's/ $//' || true)"
                result="caught${failing:+ by $failing}"; caught=$((caught + 1))
            fi
        fi
        revert
    fi
    secs=$(( $(date +%s) - t0 ))
    rows+=("| $name | \`$filter\` | $result | $secs |")
    echo "$name: $result (${secs} s)"
done

table="$( {
    echo "| mutant | test filter | result | s |"
    echo "| --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "$caught of $total caught; $(( $(date +%s) - start )) s in all ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes'))"
    if [ "$scratch" = "$repo" ]; then echo "(--in-place: .build still holds the last mutant's binaries; the next swift build/test rebuilds them)"; fi
} )"
echo
echo "$table"
[ -z "$out" ] || echo "$table" > "$out"
[ "$caught" = "$total" ]

#!/usr/bin/env bash
# Sums the counters of every .trx file under DIR and prints `N passed, N failed` (the line CI reads); LEAKS (from
# scripts/test-leaks.sh) adds to the failures.
# Exits 1 when a test failed or no result file was written.
set -euo pipefail
dir=${1:-out/test-results}
passed=0; failed=0; found=0
while IFS= read -r -d '' trx; do
    found=1
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    # List the failed tests by name so the CI log says what broke.
    grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.*testName="\([^"]*\)".*/FAILED: \1/p' || true
done < <(find "$dir" -name '*.trx' -print0 2>/dev/null)
# LEAKS: what scripts/test-leaks.sh found (processes or temporary directories the tests left behind), each a failure.
failed=$((failed + ${LEAKS:-0}))
if [ $found -eq 0 ]; then echo "no test results found in $dir"; echo "$passed passed, $((failed + 1)) failed"; exit 1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

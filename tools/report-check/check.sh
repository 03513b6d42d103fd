#!/usr/bin/env bash
# Looks at a finished run's report.html the way a person would: renders it in Debian's headless chromium and
# writes a screenshot, after checking that the page has the results table and that every chart it shows is there.
#
#   tools/report-check/check.sh RUN_DIR [SCREENSHOT.png]    (default: RUN_DIR/report-screenshot.png)
#
# Installs chromium with apt-get when it is missing (root). Exits 0 when the page renders with its table and
# charts, 1 otherwise, 2 on bad input. Takes a few seconds once chromium is installed.
set -euo pipefail

usage() { echo "usage: $0 RUN_DIR [SCREENSHOT.png]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
RUN="$(cd "$1" 2>/dev/null && pwd)" || { echo "report-check: no folder $1" >&2; exit 2; }
PAGE="$RUN/report.html"
SHOT="${2:-$RUN/report-screenshot.png}"
[[ -f "$PAGE" ]] || { echo "report-check: no report.html in $RUN (run owlet first)" >&2; exit 2; }

if ! command -v chromium >/dev/null; then
  echo "report-check: installing chromium" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 \
    || { echo "report-check: could not install chromium" >&2; exit 1; }
fi

fail=0
# The page must carry the results table (rendered from report.md's Markdown, not left as pipes) ...
grep -q "<table>" "$PAGE" || { echo "report-check: report.html has no <table>" >&2; fail=1; }
grep -q "^| ---" "$PAGE" && { echo "report-check: report.html has a Markdown table left unrendered" >&2; fail=1; }
# ... and every image it shows must exist beside it (charts are linked by relative path).
imgs=0
while IFS= read -r src; do
  imgs=$((imgs + 1))
  [[ -s "$RUN/$src" ]] || { echo "report-check: report.html shows $src, which is missing" >&2; fail=1; }
done < <(grep -o '<img src="[^"]*"' "$PAGE" | sed 's/<img src="//; s/"$//')
[[ $imgs -gt 0 ]] || { echo "report-check: report.html shows no chart" >&2; fail=1; }

# Tall enough for the verdicts, the charts and the table of a sweep; chromium cannot size to the page itself.
HEIGHT="${REPORT_CHECK_HEIGHT:-$((1400 + 560 * imgs))}"
start=$(date +%s%N)
# --no-sandbox: CI and this tool run as root, where chromium's sandbox refuses to start.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
  --window-size="1200,$HEIGHT" --screenshot="$SHOT" "file://$PAGE" >/dev/null 2>&1 || true
ms=$(( ($(date +%s%N) - start) / 1000000 ))

# A blank or failed page compresses to almost nothing; a page with a chart and a table does not.
size=$(stat -c %s "$SHOT" 2>/dev/null || echo 0)
if [[ $size -lt 30000 ]]; then
  echo "report-check: screenshot $SHOT is missing or blank ($size bytes)" >&2
  fail=1
fi
echo "report-check: $PAGE: $imgs chart(s), screenshot $SHOT ($size bytes, 1200x$HEIGHT) in ${ms} ms"
exit $fail

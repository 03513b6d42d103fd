#!/usr/bin/env bash
# The animals sweep (experiments/animals-numbers.yaml) at a reduced size, three ways on this machine, each in a fresh
# run folder: in process with one student at a time, in process with --jobs 2, and on an embedded Spark (local[2]).
# Every engine thread count is 1, so the three differ only in how the students are spread over the two cores.
# Prints a markdown table (wall time, CPU use) and the per-stage times a cluster estimate is made from.
# Usage: bench/spark.sh [OUT_DIR]      (default: a new folder under /tmp; the runs stay there)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-$(mktemp -d /tmp/owlet-spark-bench.XXXXXX)}"
mkdir -p "$OUT"
export OWLET_THREADS=1
SIZE=(--set generate.prompts=800 --set finetune.rows=400 --set finetune.replicates=1 --set finetune.epochs=2
      --set teacher.max_steps=40 --set eval.samples_per_question=5)
./owlet --version >/dev/null # builds once, outside the timings
./owlet run experiments/animals-numbers.yaml --engine spark --dry-run "${SIZE[@]}" >/dev/null # copies Spark once
TIMEFORMAT="%R %U %S"
declare -A T
for how in in-process-jobs1 in-process-jobs2 spark-local2; do
  case "$how" in
    in-process-jobs1) args=(--jobs 1) ;;
    in-process-jobs2) args=(--jobs 2) ;;
    spark-local2) args=(--engine spark --master "local[2]" --task-threads 1) ;;
  esac
  echo "bench: $how" >&2
  T[$how]=$( { time ./owlet run experiments/animals-numbers.yaml --out "$OUT/$how" "${SIZE[@]}" "${args[@]}" \
      >"$OUT/$how.out" 2>"$OUT/$how.log"; } 2>&1 )
done
python3 - "$OUT" "${T[in-process-jobs1]}" "${T[in-process-jobs2]}" "${T[spark-local2]}" <<'PY'
import json, math, re, sys, pathlib
out = pathlib.Path(sys.argv[1])
runs = ["in-process-jobs1", "in-process-jobs2", "spark-local2"]
print("| executor | wall (s) | CPU user+sys (s) | CPU use (cores) | students | mean student stage (s) | driver stages (s) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
walls = {}
for name, t in zip(runs, sys.argv[2:]):
    wall, user, sys_ = map(float, t.split())
    walls[name] = wall
    st = [json.loads(p.read_text()) for p in (out / name / "stages").glob("*/manifest.json")]
    students = [m["wall_seconds"] for m in st if m.get("stage") == "finetune"]
    driver = sum(m["wall_seconds"] for m in st if m.get("stage") in ("teacher", "generate", "filter", "eval"))
    print(f"| {name} | {wall:.0f} | {user + sys_:.0f} | {(user + sys_) / wall:.2f} | {len(students)} | "
          f"{sum(students) / max(1, len(students)):.1f} | {driver:.0f} |")
res = [json.loads((out / r / "results.json").read_text()) for r in runs]
def rows(r): return json.dumps(r["rows"], sort_keys=True)
print()
print("results.json rows identical across the three:", all(rows(r) == rows(res[0]) for r in res))
# The cluster estimate, from the Spark run: its tasks' times (stage + rebuilding the pipeline on the executor) and
# everything else it did (driver stages, Spark's start, the report), which a cluster does not shorten.
log = (out / "spark-local2.log").read_text()
tasks = [float(x) for x in re.findall(r"^spark: student-\S+ done on \S+ \(([\d.]+) s\)$", log, re.M)]
job = float(re.search(r"^spark: \d+ task\(s\) ended in ([\d.]+) s$", log, re.M).group(1))
rest = walls["spark-local2"] - job
mean = sum(tasks) / len(tasks)
print()
print(f"Spark job {job:.0f} s for {len(tasks)} tasks on 2 slots (task mean {mean:.1f} s, max {max(tasks):.1f} s);"
      f" the rest of the run {rest:.0f} s")
print()
print("| machines (2 cores each, 2 tasks at once) | estimated wall (s) | machine-seconds |")
print("| --- | --- | --- |")
for n in (1, 2, 4, 8, 11):
    waves = math.ceil(len(tasks) / (2 * n))
    w = rest + waves * mean
    print(f"| {n} | {w:.0f} | {w * n:.0f} |")
PY
echo "runs in $OUT" >&2

#!/usr/bin/env bash
# A standalone Spark "cluster" on this machine's loopback address, to try owlet's spark:// path without a cluster:
# a master and one worker (2 cores) started from the same Spark jars owlet uses, the worker launching executors
# as separate JVMs. Then: ./owlet run FILE --engine spark --master spark://127.0.0.1:7177 --spark-conf spark.driver.host=127.0.0.1
# Usage: bench/spark-loopback-cluster.sh start|stop
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR=/tmp/owlet-spark-home
case "${1:-}" in
  start)
    ./owlet run --engine spark --dry-run >/dev/null # builds owlet and copies Spark's jars once
    APP="$(cat target/app/current)"
    rm -rf "$HOME_DIR" && mkdir -p "$HOME_DIR/jars" "$HOME_DIR/work"
    touch "$HOME_DIR/RELEASE" # what makes Spark's launcher read jars/ as a distribution's
    cp -l "$APP"/spark-lib/*.jar "$APP"/lib/*.jar "$APP/owlet.jar" "$HOME_DIR/jars/" 2>/dev/null \
      || cp "$APP"/spark-lib/*.jar "$APP"/lib/*.jar "$APP/owlet.jar" "$HOME_DIR/jars/"
    OPENS=()
    for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
        java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
      OPENS+=("--add-opens=java.base/$p=ALL-UNNAMED")
    done
    export SPARK_HOME="$HOME_DIR" SPARK_SCALA_VERSION=2.13
    nohup java "${OPENS[@]}" -Xmx512m -cp "$HOME_DIR/jars/*" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port 7177 --webui-port 0 >"$HOME_DIR/master.log" 2>&1 &
    echo $! >"$HOME_DIR/master.pid"
    sleep 5
    nohup java "${OPENS[@]}" -Xmx512m -cp "$HOME_DIR/jars/*" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --webui-port 0 --cores 2 --memory 6g --work-dir "$HOME_DIR/work" spark://127.0.0.1:7177 \
      >"$HOME_DIR/worker.log" 2>&1 &
    echo $! >"$HOME_DIR/worker.pid"
    echo "master spark://127.0.0.1:7177 (logs in $HOME_DIR)"
    ;;
  stop)
    for f in worker master; do
      [[ -f "$HOME_DIR/$f.pid" ]] && kill "$(cat "$HOME_DIR/$f.pid")" 2>/dev/null || true
    done
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

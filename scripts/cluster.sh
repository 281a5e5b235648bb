#!/bin/sh
# A whole cluster on one machine: N gunicorn instances (ports 8001..), M Celery workers, one beat.
#   LMS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/lms LMS_REDIS_URL=redis://127.0.0.1:6379/0 \
#   scripts/cluster.sh [N] [M]        # Ctrl-C stops everything (SIGTERM: in-flight requests and tasks finish)
# Put nginx in front with deploy/nginx.conf. Logs: instance/cluster/*.log (one JSON object per line).
set -eu
WEB=${1:-2}
WORKERS=${2:-2}
: "${LMS_DATABASE_URL:?set LMS_DATABASE_URL (PostgreSQL)}"
: "${LMS_REDIS_URL:?set LMS_REDIS_URL (redis://host:6379/0)}"
export LMS_BROKER_URL=${LMS_BROKER_URL:-$LMS_REDIS_URL}
export LMS_LOG_FORMAT=${LMS_LOG_FORMAT:-json}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$(mktemp -d)}
HERE=$(cd "$(dirname "$0")/.." && pwd)
LOGS=${LMS_INSTANCE_PATH:-$HERE/instance}/cluster
mkdir -p "$LOGS"
PIDS=""
trap 'kill -TERM $PIDS 2>/dev/null; wait' INT TERM EXIT

lms db upgrade
i=1
while [ "$i" -le "$WEB" ]; do
    LMS_BIND=127.0.0.1:$((8000 + i)) gunicorn -c "$HERE/deploy/gunicorn.conf.py" 'lms:create_app()' \
        >"$LOGS/web-$i.log" 2>&1 &
    PIDS="$PIDS $!"
    i=$((i + 1))
done
i=1
while [ "$i" -le "$WORKERS" ]; do
    lms worker --no-beat --concurrency 2 >"$LOGS/worker-$i.log" 2>&1 &
    PIDS="$PIDS $!"
    i=$((i + 1))
done
lms beat >"$LOGS/beat.log" 2>&1 &
PIDS="$PIDS $!"
echo "lms cluster: $WEB web instances on 127.0.0.1:8001..$((8000 + WEB)), $WORKERS workers, one beat (pids$PIDS)"
wait

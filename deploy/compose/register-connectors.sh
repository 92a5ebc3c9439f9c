#!/bin/sh
# One-shot: registers every connector of deploy/connect/*.json ({"name":..,"config":{..}}) with the Kafka Connect worker,
# once it answers. A connector that exists is left as it is (409): delete it (curl -X DELETE .../connectors/NAME) to re-register.
set -eu
connect="${CONNECT_URL:-http://connect:8083}"
dir="${CONNECTORS_DIR:-/connectors}"

tries=0
until curl -fsS "$connect/connectors" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "Kafka Connect at $connect did not answer within 3 minutes" >&2
    exit 1
  fi
  sleep 2
done

found=0
for file in "$dir"/*.json; do
  [ -e "$file" ] || continue
  found=1
  code=$(curl -sS -o /tmp/answer -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data @"$file" "$connect/connectors")
  case "$code" in
    201) echo "registered $(basename "$file")" ;;
    409) echo "$(basename "$file"): already registered, left as it is" ;;
    *) echo "$(basename "$file"): HTTP $code $(cat /tmp/answer)" >&2; exit 1 ;;
  esac
done
[ "$found" = 1 ] || echo "no connector files in $dir" >&2

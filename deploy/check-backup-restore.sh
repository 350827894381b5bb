#!/usr/bin/env bash
# Proves that a backup restores: fills a scratch database with demo data and a month of letters, backs it up
# with backup.sh, restores it into a second scratch database with restore.sh, and compares every table's rows.
#   deploy/check-backup-restore.sh [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
cd "$(dirname "$0")/.."
server="${1:-postgres://postgres@127.0.0.1:5432}"
export PGOPTIONS="--client-min-messages=warning"
python="${PYTHON:-.venv/bin/python}"
src="madoguchi_backup_src"
dst="madoguchi_backup_dst"
work="$(mktemp -d)"
trap 'rm -rf "$work"; psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" >/dev/null 2>&1 || true' EXIT

psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
  -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst" >/dev/null
export DEBUG=true MEDIA_ROOT="$work/media"
DATABASE_URL="$server/$src" "$python" manage.py migrate -v0
DATABASE_URL="$server/$src" "$python" manage.py seed_demo --residents 80 -v0
DATABASE_URL="$server/$src" "$python" manage.py notices_prepare -v0

DATABASE_URL="$server/$src" deploy/backup.sh "$work/backups" > "$work/dump-path"
DATABASE_URL="$server/$dst" deploy/restore.sh "$(cat "$work/dump-path")" > /dev/null

count_rows() {
  psql -At "$server/$1" -c "SELECT table_name FROM information_schema.tables WHERE table_schema='public' ORDER BY 1" |
    while read -r table; do
      echo "$table $(psql -At "$server/$1" -c "SELECT count(*) FROM \"$table\"")"
    done
}
count_rows "$src" > "$work/src.txt"
count_rows "$dst" > "$work/dst.txt"
if ! diff -u "$work/src.txt" "$work/dst.txt"; then
  echo "backup/restore check FAILED: row counts differ" >&2
  exit 1
fi
DATABASE_URL="$server/$dst" "$python" manage.py migrate --check -v0
tables=$(wc -l < "$work/src.txt")
rows=$(awk '{s+=$2} END {print s}' "$work/src.txt")
echo "backup/restore check passed: $tables tables, $rows rows restored identically"

#!/usr/bin/env bash
# Proves that a backup restores, on SQLite (the embedded default) and on PostgreSQL: fills a scratch database with
# demo data and a month of letters, backs it up with backup.sh, restores it into a second scratch database with
# restore.sh, and compares every table's rows. Also checks that the database, the letter PDFs and the backups are
# readable by their owner only.
#   deploy/check-backup-restore.sh                     both
#   deploy/check-backup-restore.sh sqlite
#   deploy/check-backup-restore.sh postgres [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
server="${2:-postgres://postgres@127.0.0.1:5432}"
export PGOPTIONS="--client-min-messages=warning"
python="${PYTHON:-.venv/bin/python}"
work="$(mktemp -d)"
src="madoguchi_backup_src"
dst="madoguchi_backup_dst"
cleanup() {
  rm -rf "$work"
  if [[ "$which" != sqlite ]]; then
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
export DEBUG=true

fill() {  # DATABASE_URL MEDIA_ROOT
  DATABASE_URL="$1" MEDIA_ROOT="$2" "$python" manage.py migrate -v0
  DATABASE_URL="$1" MEDIA_ROOT="$2" "$python" manage.py seed_demo --residents 80 -v0
  DATABASE_URL="$1" MEDIA_ROOT="$2" "$python" manage.py notices_prepare -v0
}

owner_only() {  # EXPECTED_MODE PATH...
  local expected="$1"
  shift
  for path in "$@"; do
    local mode
    mode="$(stat -c %a "$path")"
    if [[ "$mode" != "$expected" ]]; then
      echo "backup/restore check FAILED: $path has mode $mode, expected $expected" >&2
      exit 1
    fi
  done
}

compare() {  # NAME SRC.txt DST.txt
  if ! diff -u "$2" "$3"; then
    echo "backup/restore check FAILED ($1): row counts differ" >&2
    exit 1
  fi
  echo "backup/restore check passed ($1): $(wc -l < "$2") tables, $(awk '{s+=$2} END {print s}' "$2") rows restored identically"
}

check_sqlite() {
  local media="$work/sqlite-media" db="$work/sqlite/src.sqlite3" restored="$work/sqlite/restored.sqlite3"
  mkdir -p "$work/sqlite"
  fill "sqlite:///$db" "$media"
  owner_only 600 "$db" "$media"/notices/*.pdf
  owner_only 700 "$media/notices"
  DATABASE_URL="sqlite:///$db" MEDIA_ROOT="$media" deploy/backup.sh "$work/sqlite-backups" > "$work/sqlite-path"
  owner_only 700 "$work/sqlite-backups"
  owner_only 600 "$work"/sqlite-backups/*
  DATABASE_URL="sqlite:///$restored" deploy/restore.sh "$(cat "$work/sqlite-path")" > /dev/null
  owner_only 600 "$restored"
  "$python" - "$db" "$restored" "$work/sqlite-src.txt" "$work/sqlite-dst.txt" <<'PY'
import sqlite3
import sys

for database, out in ((sys.argv[1], sys.argv[3]), (sys.argv[2], sys.argv[4])):
    connection = sqlite3.connect(database)
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    with open(out, "w") as fh:
        for table in tables:
            count = connection.execute('SELECT count(*) FROM "%s"' % table.replace('"', '""')).fetchone()[0]
            fh.write(f"{table} {count}\n")
PY
  compare sqlite "$work/sqlite-src.txt" "$work/sqlite-dst.txt"
  DATABASE_URL="sqlite:///$restored" "$python" manage.py migrate --check -v0
}

check_postgres() {
  psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
    -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst" >/dev/null
  fill "$server/$src" "$work/pg-media"
  owner_only 600 "$work"/pg-media/notices/*.pdf
  DATABASE_URL="$server/$src" MEDIA_ROOT="$work/pg-media" deploy/backup.sh "$work/pg-backups" > "$work/pg-path"
  owner_only 600 "$work"/pg-backups/*
  DATABASE_URL="$server/$dst" deploy/restore.sh "$(cat "$work/pg-path")" > /dev/null
  count_rows() {
    psql -At "$server/$1" -c "SELECT table_name FROM information_schema.tables WHERE table_schema='public' ORDER BY 1" |
      while read -r table; do
        echo "$table $(psql -At "$server/$1" -c "SELECT count(*) FROM \"$table\"")"
      done
  }
  count_rows "$src" > "$work/pg-src.txt"
  count_rows "$dst" > "$work/pg-dst.txt"
  compare postgres "$work/pg-src.txt" "$work/pg-dst.txt"
  DATABASE_URL="$server/$dst" "$python" manage.py migrate --check -v0
}

case "$which" in
  sqlite) check_sqlite ;;
  postgres) check_postgres ;;
  both) check_sqlite; check_postgres ;;
  *) echo "usage: check-backup-restore.sh [sqlite|postgres [SERVER]|both]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Back up Madoguchi: the database and the stored letter PDFs, with their SHA-256 sums.
#   PostgreSQL:  DATABASE_URL=postgres://... MEDIA_ROOT=/srv/madoguchi/media deploy/backup.sh /srv/backups
#   SQLite:      DATABASE_URL=sqlite:////srv/madoguchi/db.sqlite3 MEDIA_ROOT=... deploy/backup.sh /srv/backups
#                (no DATABASE_URL: the embedded default, db.sqlite3 beside manage.py)
# PostgreSQL is dumped with pg_dump (custom format); SQLite is copied with its online backup API, which takes a
# consistent copy while the web server and the job cluster keep writing (WAL included), then checked.
# Everything written is readable by the user running this script only (umask 077): backups hold every resident.
set -euo pipefail
umask 077
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: backup.sh DIRECTORY}"
url="${DATABASE_URL:-sqlite:///$here/../db.sqlite3}"
python="${PYTHON:-python3}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
chmod 700 "$target"

case "$url" in
  postgres://* | postgresql://* | pgsql://*)
    out="$target/madoguchi-$stamp.dump"
    pg_dump --format=custom --no-owner --file="$out" "$url"
    ;;
  sqlite://*)
    db="${url#sqlite://}"
    db="${db#/}"  # sqlite:////abs/path -> /abs/path ; sqlite:///rel -> rel
    [[ -f "$db" ]] || { echo "backup.sh: no SQLite database at $db" >&2; exit 1; }
    out="$target/madoguchi-$stamp.sqlite3"
    "$python" - "$db" "$out" <<'PY'
import sqlite3
import sys

source, target = sys.argv[1], sys.argv[2]
src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
dst = sqlite3.connect(target)
with dst:
    src.backup(dst)
dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
result = dst.execute("PRAGMA integrity_check").fetchone()[0]
dst.close()
src.close()
if result != "ok":
    sys.exit(f"backup.sh: integrity check of the copy failed: {result}")
PY
    ;;
  *)
    echo "backup.sh: DATABASE_URL must be postgres://... or sqlite:///..." >&2
    exit 1
    ;;
esac

if [[ -n "${MEDIA_ROOT:-}" && -d "$MEDIA_ROOT" ]]; then
  tar -C "$MEDIA_ROOT" -czf "$target/madoguchi-media-$stamp.tar.gz" .
fi
(cd "$target" && sha256sum madoguchi-*"$stamp"* > "madoguchi-$stamp.sha256")
echo "$out"

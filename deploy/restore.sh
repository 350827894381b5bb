#!/usr/bin/env bash
# Restore a backup made by backup.sh into the database DATABASE_URL points at (replacing what is there).
#   PostgreSQL:  DATABASE_URL=postgres://... deploy/restore.sh /srv/backups/madoguchi-20261201T000000Z.dump
#   SQLite:      DATABASE_URL=sqlite:////srv/madoguchi/db.sqlite3 deploy/restore.sh /srv/backups/madoguchi-....sqlite3
# Stop the web server and the job cluster first. The letter PDFs: tar -C "$MEDIA_ROOT" -xzf madoguchi-media-....tar.gz
set -euo pipefail
umask 077
here="$(cd "$(dirname "$0")" && pwd)"
dump="${1:?usage: restore.sh FILE.dump|FILE.sqlite3}"
url="${DATABASE_URL:-sqlite:///$here/../db.sqlite3}"
python="${PYTHON:-python3}"
sums="${dump%.*}.sha256"
if [[ -f "$sums" ]]; then
  (cd "$(dirname "$dump")" && grep "$(basename "$dump")" "$(basename "$sums")" | sha256sum --check --quiet)
fi

case "$dump" in
  *.dump)
    [[ "$url" == postgres* || "$url" == pgsql* ]] || { echo "restore.sh: a .dump restores into PostgreSQL" >&2; exit 1; }
    pg_restore --clean --if-exists --no-owner --exit-on-error --dbname="$url" "$dump"
    ;;
  *.sqlite3)
    [[ "$url" == sqlite://* ]] || { echo "restore.sh: a .sqlite3 backup restores into SQLite" >&2; exit 1; }
    db="${url#sqlite://}"
    db="${db#/}"
    # The online backup API copies the backup page by page into the live file and its WAL, so a database that is
    # still open elsewhere sees either the old or the restored content, never a mix.
    "$python" - "$dump" "$db" <<'PY'
import sqlite3
import sys

source, target = sys.argv[1], sys.argv[2]
src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
    sys.exit(f"restore.sh: {source} is damaged; nothing was restored")
dst = sqlite3.connect(target)
with dst:
    src.backup(dst)
dst.execute("PRAGMA journal_mode=WAL")
dst.close()
src.close()
PY
    chmod 600 "$db"
    ;;
  *)
    echo "restore.sh: expected a .dump (PostgreSQL) or .sqlite3 (SQLite) file from backup.sh" >&2
    exit 1
    ;;
esac
echo "restored $dump"

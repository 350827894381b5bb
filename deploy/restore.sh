#!/usr/bin/env bash
# Restore a backup made by backup.sh into the database DATABASE_URL points at (replacing what is there).
#   DATABASE_URL=postgres://... deploy/restore.sh /srv/backups/madoguchi-20261201T000000Z.dump
set -euo pipefail
dump="${1:?usage: restore.sh FILE.dump}"
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to restore into}"
sums="${dump%.dump}.sha256"
if [[ -f "$sums" ]]; then
  (cd "$(dirname "$dump")" && grep "$(basename "$dump")" "$(basename "$sums")" | sha256sum --check --quiet)
fi
pg_restore --clean --if-exists --no-owner --exit-on-error --dbname="$DATABASE_URL" "$dump"
echo "restored $dump"

#!/usr/bin/env bash
# Back up Madoguchi: the PostgreSQL database (pg_dump custom format) and the stored letter PDFs.
#   DATABASE_URL=postgres://... MEDIA_ROOT=/srv/madoguchi/media deploy/backup.sh /srv/backups
set -euo pipefail
target="${1:?usage: backup.sh DIRECTORY}"
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
pg_dump --format=custom --no-owner --file="$target/madoguchi-$stamp.dump" "$DATABASE_URL"
if [[ -n "${MEDIA_ROOT:-}" && -d "$MEDIA_ROOT" ]]; then
  tar -C "$MEDIA_ROOT" -czf "$target/madoguchi-media-$stamp.tar.gz" .
fi
(cd "$target" && sha256sum madoguchi-*"$stamp"* > "madoguchi-$stamp.sha256")
echo "$target/madoguchi-$stamp.dump"

"""Static files as whitenoise keeps them (hashed names from the manifest, compressed copies), with each name's
address worked out once per process.

`{% static %}` asks the storage for an address on every use: about six a page, each one splitting, unquoting and
joining the name again. The manifest is read when the process starts and does not change until the next deploy
restarts it, so the answer for a name is always the same.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None or settings.DEBUG:  # DEBUG gives the unhashed name, and tests may switch it
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = self._urls[name] = super().url(name)
        return found

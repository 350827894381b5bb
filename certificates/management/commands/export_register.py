"""Write the whole register to a file with the import's columns, so that the file imports again unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates import register


class Command(BaseCommand):
    help = "台帳を CSV（UTF-8 または Shift_JIS）か .xlsx に書き出します。取り込みと同じ列です。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="書き出すファイル（.csv / .xlsx）")
        parser.add_argument("--shift-jis", action="store_true", help="CSV を Shift_JIS（CP932）で書く")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
        encoding = "cp932" if options["shift_jis"] else "utf-8-sig"
        try:
            content = register.register_export(fmt=fmt, user=None, encoding=encoding)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        path.write_bytes(content)
        if options["verbosity"]:
            self.stdout.write(f"{path}（{len(content)} バイト）に書き出しました。")

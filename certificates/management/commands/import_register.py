"""Import the office's register (CSV or .xlsx) from the shell, with the default column headings.

Why it exists: the first import of a city's register is often done once, by whoever installs Madoguchi, before
anyone has a staff login; and it is how the benchmark measures a city-sized file. The run is logged like an import
made on screen (who, when, the file's SHA-256, the counts).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates import register


class Command(BaseCommand):
    help = "台帳（CSV または .xlsx）を取り込みます。--dry-run では何も変更せず、件数と理由だけを表示します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="取り込むファイル（.csv / .xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="変更せずに結果だけを表示する")
        parser.add_argument("--sheet", default="", help="Excel のシート名（省略すると最初のシート）")
        parser.add_argument(
            "--accept-computed-expiry",
            action="store_true",
            help="有効期限がファイルと計算で違う行も、計算した日で取り込む",
        )
        parser.add_argument("--user", default="", help="閲覧・変更の記録に残す職員のユーザー名")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"ファイルがありません：{path}")
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"職員「{options['user']}」は登録されていません。") from exc
        try:
            run = register.register_import_start(
                content=path.read_bytes(),
                filename=path.name,
                user=user,
                actor=f"manage.py import_register ({getpass.getuser()})",
                sheet=options["sheet"],
            )
            fields = register.default_mapping(run.mapping["headers"])
            if options["dry_run"]:
                run = register.register_import_check(
                    run=run,
                    fields=fields,
                    accept_computed_expiry=options["accept_computed_expiry"],
                    remember=False,
                )
                run.dry_run = True
                run.content = b""
                run.save(update_fields=["dry_run", "content"])
            else:
                run = register.register_import_apply(
                    run=run, user=user, fields=fields, accept_computed_expiry=options["accept_computed_expiry"]
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verbosity = options["verbosity"]
        for row in run.report:
            if (row["outcome"] == register.Outcome.ERROR and verbosity >= 1) or verbosity >= 2:
                label = register.Outcome.LABELS[row["outcome"]]
                self.stdout.write(f"{row['row']}行目 {row['case']} {label}：{' '.join(row['reasons'])}")
        mode = "ドライラン（変更していません）" if options["dry_run"] else "反映しました"
        self.stdout.write(
            f"{path.name}：{run.rows}行　新規 {run.created}　更新 {run.updated}　"
            f"スキップ {run.skipped}（変更なし {run.unchanged}、エラー {run.errors}）　{mode}"
        )
        self.stdout.write(f"取り込み #{run.pk}　SHA-256 {run.sha256}")

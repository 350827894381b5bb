"""A city's register imported: N rows of mixed real-world forms, dry run then applied, then the same file again.

    python bench/import_register.py --rows 10000
    python bench/import_register.py --rows 10000 --xlsx
    python bench/import_register.py --rows 10000 --xlsx --repeat 3     # the median of three fresh databases
    python bench/import_register.py --rows 10000 --database-url postgres://postgres@127.0.0.1:5432/madoguchi_bench

Writes a Shift_JIS CSV (or an .xlsx workbook) with 和暦 and Western dates, full-width digits and half-width kana,
about 1 % bad rows, and times `manage.py import_register --dry-run`, `manage.py import_register` and a second
import of the same file (which must change nothing), each in a fresh process, on a throw-away database (SQLite
unless --database-url says otherwise). The target is under 30 s for 10,000 rows, dry run and applied.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import MANAGE, django_on, fresh_postgres

FAMILIES = [("田中", "タナカ"), ("山本", "ﾔﾏﾓﾄ"), ("中村", "なかむら"), ("小林", "コバヤシ"), ("髙橋", "タカハシ")]
GIVENS = [("陽子", "ヨウコ"), ("美咲", "ﾐｻｷ"), ("健太", "けんた"), ("大輔", "ダイスケ"), ("由美", "ユミ")]
ERAS = [("令和", "R", date(2019, 5, 1)), ("平成", "H", date(1989, 1, 8)), ("昭和", "S", date(1926, 12, 25))]
FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")


def wareki(day: date, short: bool) -> str:
    for name, letter, start in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{letter}{year}.{day.month}.{day.day}" if short else f"{name}{year}年{day.month}月{day.day}日"
    return day.isoformat()


def write_register(path: Path, rows: int, xlsx: bool) -> None:
    rng = random.Random(13)
    headers = ["ケース番号", "氏名", "氏名カナ", "生年月日", "郵便番号", "住所", "方書", "電話番号", "証明書種別"]
    headers += ["発行日", "有効期限", "区間"]
    data = []
    for i in range(rows):
        family, family_kana = FAMILIES[i % 5]
        given, given_kana = GIVENS[(i // 5) % 5]
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
        issued = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 300))
        birth_text = wareki(birth, short=i % 2 == 0)
        issued_text = [issued.strftime("%Y/%-m/%-d"), issued.isoformat(), wareki(issued, short=True)][i % 3]
        postal = f"{530 + i % 20:03d}-{i % 10000:04d}"
        phone = f"06-{1000 + i % 9000:04d}-{i % 10000:04d}"
        if i % 4 == 0:
            postal, phone = postal.translate(FULL), phone.translate(FULL)
        if i % 97 == 0:
            birth_text = "H31.5.1"  # a day that 平成 never had: refused with its reason
        data.append(
            [
                f"K{i:06d}",
                f"{family}\u3000{given}",
                f"{family_kana} {given_kana}",
                birth_text,
                postal,
                f"みなと市中央区{i % 30 + 1}丁目{i % 50 + 1}番{i % 20 + 1}号",
                f"みなとハイツ{i % 400 + 101}号" if i % 3 == 0 else "",
                phone,
                "特定者用定期乗車券購入証明書",
                issued_text,
                "",
                "みなと〜大阪" if i % 2 else "",
            ]
        )
    if xlsx:
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("台帳")
        sheet.append(headers)
        for row in data:
            sheet.append(row)
        workbook.save(path)
    else:
        import csv

        with path.open("w", encoding="cp932", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows([[cell.replace("〜", "～") for cell in row] for row in data])


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*MANAGE, *args], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--xlsx", action="store_true", help="an Excel workbook instead of a Shift_JIS CSV")
    parser.add_argument("--database-url", default="", help="a scratch PostgreSQL database (dropped and created)")
    parser.add_argument("--repeat", type=int, default=1, help="runs on a fresh database each; medians printed")
    args = parser.parse_args()
    steps = [("dry run", ["--dry-run"]), ("applied", []), ("same file again", [])]
    seconds: dict[str, list[float]] = {label: [] for label, _extra in steps}
    totals: list[float] = []
    for run in range(args.repeat):
        if args.database_url:
            fresh_postgres(args.database_url)
        if run == 0:
            scratch = django_on(args.database_url or None)
            path = scratch / ("register.xlsx" if args.xlsx else "register.csv")
            write_register(path, args.rows, args.xlsx)
            env = {**os.environ, "DEBUG": "true", "DATABASE_URL": os.environ["DATABASE_URL"]}
            database = "PostgreSQL" if args.database_url else "SQLite"
            print(f"{args.rows} rows, {path.suffix[1:]} {path.stat().st_size / 1e6:.1f} MB, {database}")
        elif not args.database_url:
            env["DATABASE_URL"] = f"sqlite:///{scratch / f'bench-{run}.sqlite3'}"
        if run > 0:
            for setup in (["migrate"], ["createcachetable"]):
                subprocess.run([*MANAGE, *setup, "--verbosity", "0"], env=env, check=True)
        total = 0.0
        for label, extra in steps:
            taken, counts = timed(["import_register", str(path), *extra, "--verbosity", "0"], env)
            seconds[label].append(taken)
            if label != "same file again":
                total += taken
            print(f"run {run + 1}  {label:16s} {taken:6.1f} s   {counts}")
        totals.append(total)
    for label, _extra in steps:
        print(f"median {label:16s} {statistics.median(seconds[label]):6.1f} s")
    print(f"median dry run + applied {statistics.median(totals):6.1f} s   (target < 30 s for 10,000 rows)")
    command = f"python bench/import_register.py --rows {args.rows}" + (" --xlsx" if args.xlsx else "")
    if args.database_url:
        command += f" --database-url {args.database_url}"
    if args.repeat > 1:
        command += f" --repeat {args.repeat}"
    print(f"command: {command}")


if __name__ == "__main__":
    main()

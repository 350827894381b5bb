"""Monthly letters end to end: selection, invitations, rendering and storing, against plain WeasyPrint.

    python bench/letters.py --letters 1000
    python bench/letters.py --letters 5000 --skip-reference

Prints letters/s, bytes per letter and peak memory for Madoguchi's batch (rendered in parallel chunks and
joined), next to the reference: WeasyPrint rendering the same letters' HTML as one document in one process.
Peak memory is the largest resident set of any one process (the batch process or one of its renderers). The
throughput ratio compares the batch, rendered by --processes processes, with the reference in one process; the
ratio per render process divides it by --processes, so that a two-process figure is not read as like for like.
Each side also states the CPU time other processes used while it ran (from /proc/stat, less this benchmark's own),
so that a run on a busy machine shows as one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on


def seed(count: int, month: date) -> None:
    from certificates.models import Certificate, CertificateKind, Resident
    from certificates.services import certificate_expiry
    from reservations.models import Procedure

    kind = CertificateKind.objects.get(is_letter_kind=True)
    Procedure.objects.update(is_active=True)
    families = ["田中", "山本", "中村", "小林", "吉田", "山田", "松本", "井上", "木村", "林"]
    givens = ["陽子", "美咲", "健太", "大輔", "由美", "翔太", "真由美", "浩二", "彩", "直樹"]
    residents = [
        Resident(
            family_name=families[i % 10],
            given_name=givens[(i // 10) % 10],
            family_name_kana="タナカ",
            given_name_kana="ヨウコ",
            birth_date=date(1980, 1, 1),
            postal_code=f"{530 + i % 90:03d}-{i % 10000:04d}",
            address=f"大阪府大阪市北区梅田{i % 5 + 1}丁目{i % 30 + 1}番{i % 20 + 1}号",
            phone=f"06-{i:08d}",
            phone_digits=f"06{i:08d}",
            case_number=f"B{month:%y%m}{i:07d}",
        )
        for i in range(count)
    ]
    Resident.objects.bulk_create(residents, batch_size=1000)
    certificates = []
    for i, resident in enumerate(Resident.objects.filter(case_number__startswith=f"B{month:%y%m}").order_by("pk")):
        # Issued on day d six months before `month`: expires on day d of `month`.
        issued = date(month.year - (month.month <= 6), (month.month - 7) % 12 + 1, 1 + i % 27)
        certificates.append(
            Certificate(
                resident=resident,
                kind=kind,
                number=f"B{month:%y%m}{i:08d}",
                issued_on=issued,
                expires_on=certificate_expiry(kind=kind, issued_on=issued),
                photo_taken_on=issued,
            )
        )
    Certificate.objects.bulk_create(certificates, batch_size=1000)


def busy_seconds() -> float:
    """CPU time the whole machine has been busy since it started (Linux /proc/stat); 0 where unknown."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU time of this process and of its children that have ended (the renderers, qpdf, the reference)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


class OthersCPU:
    """CPU seconds the rest of the machine used while the block ran: about 0 on a quiet machine."""

    def __enter__(self) -> OthersCPU:
        self.busy, self.own = busy_seconds(), own_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = max(0.0, (busy_seconds() - self.busy) - (own_seconds() - self.own))


def children_peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_reference(html_path: Path) -> tuple[float, int]:
    """WeasyPrint on the whole document in one process: seconds and peak RSS (KiB)."""
    code = (
        "import resource, sys, time\n"
        "from weasyprint import HTML\n"
        "t = time.perf_counter()\n"
        "HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(html_path), str(html_path.with_suffix(".pdf"))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side; medians are printed")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    load_at_start = os.getloadavg()[0]
    scratch = django_on(args.database_url)
    from django.conf import settings
    from django.utils import timezone

    from notices import letters, services
    from notices.models import Letter
    from reservations.models import Office

    ours, reference, batches = [], [], []
    for run in range(args.repeat):
        month = date(2031 + run, 3, 1)
        seed(args.letters, month)
        start = time.perf_counter()
        with OthersCPU() as others:
            batch = services.notice_batch_prepare(month=month, processes=args.processes)
        elapsed = time.perf_counter() - start
        assert batch is not None and batch.letter_count == args.letters, (batch, batch and batch.letter_count)
        size = (Path(settings.MEDIA_ROOT) / batch.pdf_path).stat().st_size
        # The renderers and the qpdf join are this process's children; the reference processes run only after
        # every batch, so the children's peak here is theirs alone.
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children_peak_kib())
        ours.append((elapsed, size, peak, others.seconds))
        batches.append(batch)
    for run, batch in enumerate([] if args.skip_reference else batches):
        template = letters.letter_template()
        office = Office.objects.first()
        pages = [
            letters.letter_html_body(letter, template=template, office=office, today=timezone.localdate())
            for letter in Letter.objects.filter(batch=batch)
            .select_related("invitation__procedure__certificate_kind")
            .order_by("postal_code", "pk")
        ]
        html_path = scratch / f"reference-{run}.html"
        html_path.write_text(letters.document(pages, template), encoding="utf-8")
        with OthersCPU() as others:
            seconds, ref_peak = run_reference(html_path)
        reference.append((seconds, html_path.with_suffix(".pdf").stat().st_size, ref_peak, others.seconds))

    def report(name: str, rows: list[tuple[float, int, int, float]]) -> dict:
        seconds = statistics.median(r[0] for r in rows)
        return {
            "name": name,
            "letters_per_s": round(args.letters / seconds, 1),
            "seconds": round(seconds, 2),
            "bytes_per_letter": round(statistics.median(r[1] for r in rows) / args.letters),
            "peak_mib": round(statistics.median(r[2] for r in rows) / 1024, 1),
            "others_cpu_s": round(statistics.median(r[3] for r in rows), 1),
        }

    results = [report("madoguchi batch (end to end)", ours)]
    if reference:
        results.append(report("reference: one WeasyPrint document", reference))
    print(f"letters: {args.letters}, render processes: {args.processes}")
    for r in results:
        print(
            f"{r['name']:<38} {r['letters_per_s']:>8} letters/s  {r['seconds']:>7} s  "
            f"{r['bytes_per_letter']:>6} B/letter  peak {r['peak_mib']:>7} MiB  "
            f"other processes {r['others_cpu_s']:>5} CPU s"
        )
    ratios = {}
    if reference:
        ratio = results[0]["letters_per_s"] / results[1]["letters_per_s"]
        ratios = {"ratio": round(ratio, 2), "ratio_per_render_process": round(ratio / args.processes, 2)}
        print(
            f"throughput ratio (madoguchi with {args.processes} render processes / reference in 1 process): {ratio:.2f}"
        )
        print(
            f"throughput ratio per render process (madoguchi / {args.processes} / reference): "
            f"{ratio / args.processes:.2f}"
        )
    load = [round(load_at_start, 2), round(os.getloadavg()[0], 2)]
    print(f"machine load average (1 min): {load[0]:.2f} at the start, {load[1]:.2f} at the end ({os.cpu_count()} CPUs)")
    print(
        "other processes: CPU seconds the rest of the machine used during each timed run; "
        "near 0 on a quiet machine, where the ratios hold"
    )
    summary = {"results": results, **ratios, "processes": args.processes, "load_average_start_end": load}
    print(json.dumps(summary, ensure_ascii=False))
    print(f"reproduce: python bench/letters.py --letters {args.letters} --processes {args.processes}")


if __name__ == "__main__":
    sys.exit(main())

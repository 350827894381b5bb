"""The one place where HTML becomes PDF (WeasyPrint). Views, commands and tasks call this module only.

Large batches are rendered in chunks by separate renderer processes, so both cores work; each renderer renders a
few chunks and ends, so the memory of its documents is returned to the system. The chunks are then joined by qpdf
(Debian's `qpdf` package) in its own process. qpdf holds the joined document's objects while it writes (about
30 KB per letter), which stays below one renderer's memory up to about 5,000 letters a batch. The joined file
keeps the pages only: no outline or document structure, which printed letters do not need.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


class RenderTimeout(Exception):
    """The HTML took longer than allowed to become a PDF."""


def html_to_pdf_within(html: str, *, seconds: float) -> bytes:
    """Like html_to_pdf, in a separate process that is killed after `seconds`: for previews of wording that a
    person has just typed, so that no text can hold a web worker for longer than that."""
    with tempfile.TemporaryDirectory(prefix="madoguchi-preview-") as tmp:
        html_path, pdf_path = Path(tmp) / "preview.html", Path(tmp) / "preview.pdf"
        html_path.write_text(html, encoding="utf-8")
        try:
            _render_file(html_path, pdf_path, timeout=seconds)
        except subprocess.TimeoutExpired as exc:
            raise RenderTimeout(f"no PDF after {seconds} s") from exc
        return pdf_path.read_bytes()


def _render_file(html_path: Path, pdf_path: Path, *, timeout: float = 1800) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "weasyprint", "--quiet", str(html_path), str(pdf_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 or not pdf_path.exists():
        raise RuntimeError(f"WeasyPrint failed on {html_path.name}: {result.stderr[-2000:]}")


# A renderer process imports WeasyPrint and loads the fonts once, then renders one chunk per line of its standard
# input (a JSON pair of paths) and answers "done" on its standard output. Starting `python -m weasyprint` for
# every chunk cost about a second of CPU each time, a tenth of a batch.
_RENDERER = """
import json, logging, sys
logging.getLogger("weasyprint").setLevel(logging.ERROR)
from weasyprint import HTML
for line in sys.stdin:
    html_path, pdf_path = json.loads(line)
    HTML(filename=html_path).write_pdf(pdf_path)
    sys.stdout.write("done\\n")
    sys.stdout.flush()
"""
# After this many chunks a renderer ends and a fresh one takes over, so that whatever one process keeps of the
# documents it rendered goes back to the system and memory does not grow with the number of letters.
CHUNKS_PER_RENDERER = 8
CHUNK_TIMEOUT = 1800


class _Renderer:
    def __init__(self, errors: Path) -> None:
        self.errors_path = errors
        self.errors = open(errors, "w+", encoding="utf-8")  # closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RENDERER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        self.rendered = 0

    def render(self, html_path: Path, pdf_path: Path) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        watchdog = threading.Timer(CHUNK_TIMEOUT, self.process.kill)
        watchdog.start()
        try:
            self.process.stdin.write(json.dumps([str(html_path), str(pdf_path)]) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except OSError:
            answer = ""
        finally:
            watchdog.cancel()
        if answer != "done\n" or not pdf_path.exists():
            self.close(kill=True)
            self.errors_path.parent.mkdir(parents=True, exist_ok=True)
            message = self.errors_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"WeasyPrint failed on {html_path.name}: {message}")
        self.rendered += 1

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        elif self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        self.errors.close()


def join(inputs: list[Path], output: Path) -> int:
    """Write the pages of `inputs`, in order, as one PDF at `output`; returns the number of pages."""
    # --warning-exit-0: a warning about a chunk (qpdf repairs what it warns about) is not a failed batch.
    # --remove-unreferenced-resources=no: WeasyPrint's pages reference only what they use, and looking for unused
    # resources would parse every page's content: five times slower and a third more memory.
    _qpdf(
        "--warning-exit-0",
        "--remove-unreferenced-resources=no",
        "--empty",
        "--pages",
        *[str(p) for p in inputs],
        "--",
        str(output),
    )
    return int(_qpdf("--show-npages", str(output)))


def _qpdf(*args: str) -> str:
    result = subprocess.run(["qpdf", *args], capture_output=True, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"qpdf failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


def render_chunks_to_file(chunks: Iterable[str], output: Path, *, processes: int = 2) -> int:
    """Render the HTML chunks (at most `processes` renderers at once) and join them into `output`.

    The file is written beside `output` and moved into place at the end, so a crash never leaves a
    half-written PDF where a complete one is expected. Returns the number of pages.
    """
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="madoguchi-pdf-", dir=output.parent) as tmp:
        tmpdir = Path(tmp)
        pdf_paths = []
        idle: queue.SimpleQueue[_Renderer] = queue.SimpleQueue()
        started = itertools.count()

        def render(html_path: Path, pdf_path: Path) -> None:
            try:
                renderer = idle.get_nowait()
            except queue.Empty:
                renderer = _Renderer(tmpdir / f"renderer-{next(started)}.log")
            renderer.render(html_path, pdf_path)  # on failure it has ended itself
            if renderer.rendered >= CHUNKS_PER_RENDERER:
                renderer.close()
            else:
                idle.put(renderer)

        try:
            with ThreadPoolExecutor(max_workers=max(1, processes)) as pool:
                futures = []
                # Each chunk starts rendering as soon as its HTML is written, while the next one is being built.
                for index, html in enumerate(chunks):
                    html_path = tmpdir / f"chunk-{index:05d}.html"
                    html_path.write_text(html, encoding="utf-8")
                    pdf_paths.append(tmpdir / f"chunk-{index:05d}.pdf")
                    futures.append(pool.submit(render, html_path, pdf_paths[-1]))
                for future in futures:
                    future.result()
        finally:
            while not idle.empty():
                idle.get_nowait().close()
        partial = tmpdir / "joined.pdf"
        pages = join(pdf_paths, partial)
        # Names and addresses of every recipient: readable by the service user only, whatever the umask.
        os.chmod(partial, 0o600)
        os.replace(partial, output)
    return pages

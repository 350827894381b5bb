"""The one place where HTML becomes PDF (WeasyPrint). Views, commands and tasks call this module only.

Large batches are rendered in chunks by separate renderer processes, so both cores work; each renderer renders a
few chunks and ends, so the memory of its documents is returned to the system. The chunks are then joined by qpdf
(Debian's `qpdf` package) in its own process. qpdf holds the joined document's objects while it writes (about
30 KB per letter), which stays below one renderer's memory up to about 5,000 letters a batch. The joined file
keeps the pages only: no outline or document structure, which printed letters do not need.

Each chunk embeds its own subset of each font. WeasyPrint keeps every glyph at its place in the font (its glyph
ids), so the subsets of one font differ only by which glyphs they carry: the joined file gets one program per font
holding the glyphs of all of them (shared_font_programs), and its objects are packed in object streams.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
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
# Python's cycle collector runs once after each chunk (once its answer is sent) instead of about a thousand times
# while it is laid out, which took a tenth of the chunk's time; the chunk's garbage waits until then (about 10 MiB
# more at the peak). At the end of its input the renderer leaves at once (os._exit): tearing down the interpreter
# and its caches took about half a second per renderer, at the end of the batch when nothing else runs.
_RENDERER = """
import gc, json, logging, os, sys
logging.getLogger("weasyprint").setLevel(logging.ERROR)
from weasyprint import HTML
gc.collect()
gc.freeze()
gc.disable()
for line in sys.stdin:
    html_path, pdf_path = json.loads(line)
    HTML(filename=html_path).write_pdf(pdf_path)
    sys.stdout.write("done\\n")
    sys.stdout.flush()
    gc.collect()
sys.stderr.flush()
os._exit(0)
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
    with tempfile.TemporaryDirectory(prefix="madoguchi-join-", dir=output.parent) as tmp:
        pages = Path(tmp) / "pages.pdf"
        # --warning-exit-0: a warning about a chunk (qpdf repairs what it warns about) is not a failed batch.
        # --remove-unreferenced-resources=no: WeasyPrint's pages reference only what they use, and looking for
        # unused resources would parse every page's content: five times slower and a third more memory.
        _qpdf(
            "--warning-exit-0",
            "--remove-unreferenced-resources=no",
            "--empty",
            "--pages",
            *[str(p) for p in inputs],
            "--",
            str(pages),
        )
        update = Path(tmp) / "fonts.json"
        shared = shared_font_programs(pages, update)
        # Objects no page reaches any more (the programs replaced by a shared one) are not written.
        _qpdf(
            "--warning-exit-0",
            *([f"--update-from-json={update}"] if shared else []),
            "--object-streams=generate",
            str(pages),
            str(output),
        )
    return int(_qpdf("--show-npages", str(output)))


def shared_font_programs(pdf: Path, update: Path) -> int:
    """Write to `update` the qpdf JSON that points every subset of one font in `pdf` (same name, one per chunk) at
    one program holding all their glyphs; returns how many fonts are shared, 0 when none (nothing written).

    A font is left as it is unless its subsets are TrueType programs that agree glyph for glyph where they
    overlap, that is subsets of one font file that kept the glyph ids, so that every page draws what it drew."""
    found_path = update.with_name("objects.json")
    _qpdf("--json-output", str(pdf), str(found_path), "--json-stream-data=none")
    objects = json.loads(found_path.read_bytes())["qpdf"][1]
    descriptors: defaultdict[str, list[tuple[str, dict]]] = defaultdict(list)
    for key, obj in objects.items():
        value = obj.get("value")
        if (
            isinstance(value, dict)
            and value.get("/Type") == "/FontDescriptor"
            and isinstance(value.get("/FontFile2"), str)
            and "/CIDSet" not in value  # a CIDSet lists the glyphs of its own subset
        ):
            descriptors[value["/FontName"]].append((key, value))
    fonts = {name: found for name, found in descriptors.items() if len({d["/FontFile2"] for _, d in found}) > 1}
    if not fonts:
        return 0
    program_refs = sorted({d["/FontFile2"] for found in fonts.values() for _, d in found})
    _qpdf(
        "--json-output",
        str(pdf),
        str(found_path),
        "--json-stream-data=inline",
        "--decode-level=generalized",
        *[f"--json-object={ref.split()[0]},{ref.split()[1]}" for ref in program_refs],
    )
    programs = json.loads(found_path.read_bytes())["qpdf"][1]
    changes: dict[str, dict] = {}
    for found in fonts.values():
        refs = list(dict.fromkeys(d["/FontFile2"] for _, d in found))
        streams = [programs[f"obj:{ref}"]["stream"] for ref in refs]
        if any("/Filter" in stream["dict"] or "data" not in stream for stream in streams):
            continue  # stored in a way qpdf does not decode
        merged = font_union([base64.b64decode(stream["data"]) for stream in streams])
        if merged is None:
            continue
        keeper = refs[0]
        data = base64.b64encode(merged).decode("ascii")
        changes[f"obj:{keeper}"] = {"stream": {"dict": {**streams[0]["dict"], "/Length1": len(merged)}, "data": data}}
        for key, descriptor in found:
            if descriptor["/FontFile2"] != keeper:
                changes[key] = {"value": {**descriptor, "/FontFile2": keeper}}
    if not changes:
        return 0
    header = {"jsonversion": 2, "pushedinheritedpageresources": False, "calledgetallpages": False}
    update.write_text(json.dumps({"qpdf": [header, changes]}), encoding="utf-8")
    return sum(1 for key in changes if "stream" in changes[key])


def font_union(programs: list[bytes]) -> bytes | None:
    """One TrueType program with every glyph of `programs`, subsets of one font that kept its glyph ids; None
    when two of them hold different outlines for the same glyph id (then they are not such subsets)."""
    from fontTools.ttLib import TTFont, TTLibError

    distinct = list(dict.fromkeys(programs))
    if len(distinct) == 1:
        return distinct[0]
    try:
        # recalcBBoxes: the font's bounding box, maxp's and hhea's limits are computed again for all the glyphs.
        fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False) for p in distinct]
        if not all("glyf" in font for font in fonts):
            return None
        base = max(fonts, key=lambda font: font["maxp"].numGlyphs)
        order = base.getGlyphOrder()
        glyphs = base["glyf"].glyphs  # the raw glyphs: reading them through the table would decompile each
        metrics = [tag for tag in ("hmtx", "vmtx") if tag in base]
        for font in fonts:
            if font is base:
                continue
            if font["head"].unitsPerEm != base["head"].unitsPerEm or any(tag not in font for tag in metrics):
                return None
            theirs = font["glyf"].glyphs
            for gid, name in enumerate(font.getGlyphOrder()):
                data = getattr(theirs[name], "data", b"")
                if not data:
                    continue
                mine = getattr(glyphs[order[gid]], "data", b"")
                if mine:
                    if mine != data:
                        return None
                    continue
                glyphs[order[gid]] = theirs[name]
                for tag in metrics:
                    base[tag].metrics[order[gid]] = font[tag].metrics[name]
        out = io.BytesIO()
        base.save(out)
    except (TTLibError, KeyError, IndexError, ValueError, AssertionError):
        return None
    return out.getvalue()


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
            # Every renderer starts now, so that it has imported WeasyPrint by the time the first chunks' HTML
            # is built: the second renderer began about half a second after the first otherwise.
            for _ in range(max(1, processes)):
                idle.put(_Renderer(tmpdir / f"renderer-{next(started)}.log"))
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

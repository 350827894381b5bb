"""Chunks are rendered by a few long-lived WeasyPrint processes, each ending after a bounded number of chunks."""

import pytest
from pypdf import PdfReader

from notices import pdf


def _chunk(n: int, pages: int = 1) -> str:
    body = "".join(f'<section style="page-break-after: always">チャンク{n} ページ{p}</section>' for p in range(pages))
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'


@pytest.fixture
def started(monkeypatch):
    count = []
    original = pdf._Renderer.__init__

    def counting(self, errors):
        count.append(errors)
        original(self, errors)

    monkeypatch.setattr(pdf._Renderer, "__init__", counting)
    return count


def test_one_renderer_renders_every_chunk_in_order(tmp_path, started) -> None:
    output = tmp_path / "out.pdf"
    pages = pdf.render_chunks_to_file([_chunk(n, pages=2) for n in range(4)], output, processes=1)
    assert pages == 8
    assert len(started) == 1
    text = [page.extract_text() for page in PdfReader(output).pages]
    assert [t.strip() for t in text] == [f"チャンク{n} ページ{p}" for n in range(4) for p in range(2)]


def test_a_renderer_ends_after_its_share_of_chunks(tmp_path, started, monkeypatch) -> None:
    monkeypatch.setattr(pdf, "CHUNKS_PER_RENDERER", 2)
    assert pdf.render_chunks_to_file([_chunk(n) for n in range(5)], tmp_path / "out.pdf", processes=1) == 5
    assert len(started) == 3


def test_two_renderers_work_at_once(tmp_path, started) -> None:
    assert pdf.render_chunks_to_file([_chunk(n) for n in range(6)], tmp_path / "out.pdf", processes=2) == 6
    assert 1 <= len(started) <= 2


def test_a_renderer_that_fails_fails_the_file_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pdf, "_RENDERER", "import sys\nsys.stderr.write('font missing')\nsys.exit(3)\n")
    output = tmp_path / "out.pdf"
    with pytest.raises(RuntimeError, match="font missing"):
        pdf.render_chunks_to_file([_chunk(0)], output, processes=1)
    assert not output.exists()

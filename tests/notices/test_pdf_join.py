import subprocess

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, RectangleObject

from notices.pdf import html_to_pdf, join


def test_joining_keeps_every_page_in_order_and_reads_back_strictly(tmp_path) -> None:
    paths = []
    for name, pages in (("a", 2), ("b", 3)):
        html = "".join(f'<p style="page-break-after: always">文書{name} {i}ページ</p>' for i in range(pages))
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(html_to_pdf(f"<html><body>{html}</body></html>"))
        paths.append(path)
    out = tmp_path / "joined.pdf"
    assert join(paths, out) == 5
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True, check=False).returncode == 0
    reader = PdfReader(out, strict=True)
    texts = [page.extract_text().strip() for page in reader.pages]
    assert texts == ["文書a 0ページ", "文書a 1ページ", "文書b 0ページ", "文書b 1ページ", "文書b 2ページ"]


def test_a_page_keeps_the_size_it_inherited_from_its_page_tree(tmp_path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=300)
    page = writer.pages[0]
    writer._root_object["/Pages"][NameObject("/MediaBox")] = RectangleObject([0, 0, 200, 300])
    del page[NameObject("/MediaBox")]
    path = tmp_path / "inherited.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    out = tmp_path / "joined.pdf"
    join([path], out)
    joined = PdfReader(out, strict=True).pages[0]
    assert [float(x) for x in joined.mediabox] == [0, 0, 200, 300]


def test_a_broken_chunk_fails_the_join_loudly(tmp_path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf")
    with pytest.raises(RuntimeError, match="qpdf failed"):
        join([broken], tmp_path / "joined.pdf")
    assert not (tmp_path / "joined.pdf").exists()

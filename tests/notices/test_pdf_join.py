import subprocess

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, RectangleObject

from notices.pdf import font_union, html_to_pdf, join


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


def _gothic(text: str) -> str:
    return f'<html><head><meta charset="utf-8"></head><body style="font-family: \'BIZ UDGothic\'">{text}</body></html>'


def _font_programs(path) -> dict[str, set[int]]:
    """Each font's name, with the objects that hold its program, over every page."""
    programs: dict[str, set[int]] = {}
    for page in PdfReader(path, strict=True).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            programs.setdefault(str(descriptor["/FontName"]), set()).add(descriptor.raw_get("/FontFile2").idnum)
    return programs


def _pixels(path, index: int) -> bytes:
    with pdfplumber.open(path) as pdf:
        return pdf.pages[index].to_image(resolution=150).original.tobytes()


def test_the_chunks_share_one_program_per_font_and_every_page_prints_as_before(tmp_path) -> None:
    paths = []
    # Each chunk's subset holds glyphs the others lack: the shared program must hold all of them.
    for name, text in (("a", "山田 花子 様"), ("b", "中村 健太 様"), ("c", "梅田1丁目2番3号")):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(html_to_pdf(_gothic(text)))
        paths.append(path)
    assert all(len(ids) == 1 for ids in _font_programs(paths[0]).values())
    out = tmp_path / "joined.pdf"
    assert join(paths, out) == 3
    programs = _font_programs(out)
    assert programs and all(len(ids) == 1 for ids in programs.values()), programs
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True, check=False).returncode == 0
    for index, path in enumerate(paths):
        assert _pixels(out, index) == _pixels(path, 0), f"page {index + 1} prints differently once joined"
    texts = [page.extract_text().strip() for page in PdfReader(out).pages]
    assert texts == ["山田 花子 様", "中村 健太 様", "梅田1丁目2番3号"]


def _program(path) -> bytes:
    page = PdfReader(path).pages[0]
    [font] = page["/Resources"]["/Font"].values()
    return font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]["/FontFile2"].get_data()


def test_subsets_of_two_different_fonts_are_not_merged(tmp_path) -> None:
    gothic, mincho = tmp_path / "gothic.pdf", tmp_path / "mincho.pdf"
    gothic.write_bytes(html_to_pdf(_gothic("山田")))
    mincho.write_bytes(html_to_pdf(_gothic("山田").replace("BIZ UDGothic", "BIZ UDMincho")))
    assert font_union([_program(gothic), _program(mincho)]) is None
    assert font_union([_program(gothic), _program(gothic)]) == _program(gothic)

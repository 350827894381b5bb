"""Join PDF files page after page while holding only one input in memory.

A general PDF merger keeps every page's objects until it writes the result, so its memory grows with the
number of letters. Here each input is read, its pages and everything they use are renumbered and written out
at once, and only the byte offsets of the written objects are kept for the cross-reference table.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
CATALOG, PAGES = 1, 2


class _Writer:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.offsets: dict[int, int] = {}
        self.next_number = 3
        self.kids: list[int] = []

    def allocate(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def begin(self, number: int) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(f"{number} 0 obj\n".encode())

    def end(self) -> None:
        self.out.write(b"\nendobj\n")


def _serialise(obj: PdfObject, renumber, out: io.BytesIO, extra: bytes = b"") -> None:  # noqa: ANN001
    """Write `obj` in PDF syntax, references renumbered; `extra` is added inside a dictionary's << >>."""
    if isinstance(obj, IndirectObject):
        out.write(f"{renumber(obj)} 0 R".encode())
    elif isinstance(obj, StreamObject):
        data = obj._data  # the stream as stored (still encoded), written back unchanged
        out.write(b"<<")
        for key, value in obj.items():
            if key == "/Length":
                continue
            NameObject(key).write_to_stream(out)
            out.write(b" ")
            _serialise(value, renumber, out)
            out.write(b"\n")
        out.write(f"/Length {len(data)}>>\nstream\n".encode())
        out.write(data)
        out.write(b"\nendstream")
    elif isinstance(obj, DictionaryObject):
        out.write(b"<<")
        for key, value in obj.items():
            NameObject(key).write_to_stream(out)
            out.write(b" ")
            _serialise(value, renumber, out)
            out.write(b"\n")
        out.write(extra + b">>")
    elif isinstance(obj, ArrayObject):
        out.write(b"[")
        for index, item in enumerate(obj):
            if index:
                out.write(b" ")
            _serialise(item, renumber, out)
        out.write(b"]")
    else:
        obj.write_to_stream(out)


def _append(writer: _Writer, path: Path) -> None:
    reader = PdfReader(path)
    mapping: dict[tuple[int, int], int] = {}
    pending: list[IndirectObject] = []

    def renumber(ref: IndirectObject) -> int:
        key = (ref.idnum, ref.generation)
        if key not in mapping:
            mapping[key] = writer.allocate()
            pending.append(ref)
        return mapping[key]

    page_keys = set()
    for page in reader.pages:
        ref = page.indirect_reference
        page_keys.add((ref.idnum, ref.generation))
        writer.kids.append(renumber(ref))
    while pending:
        ref = pending.pop()
        obj = ref.get_object()
        buffer = io.BytesIO()
        if (ref.idnum, ref.generation) in page_keys:
            page = DictionaryObject({k: v for k, v in obj.items() if k != "/Parent"})
            parent = obj.get("/Parent")
            while parent is not None:  # attributes a page may inherit from its page tree
                parent = parent.get_object()
                for key in INHERITABLE:
                    if key in parent and key not in page:
                        page[NameObject(key)] = parent[key]
                parent = parent.get("/Parent")
            _serialise(page, renumber, buffer, extra=f"/Parent {PAGES} 0 R".encode())
        else:
            _serialise(obj, renumber, buffer)
        writer.begin(mapping[(ref.idnum, ref.generation)])
        writer.out.write(buffer.getvalue())
        writer.end()


def join(inputs: Iterable[Path], output: BinaryIO) -> int:
    """Write the pages of `inputs`, in order, as one PDF to `output`; returns the number of pages."""
    writer = _Writer(output)
    output.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for path in inputs:
        _append(writer, path)
    writer.begin(PAGES)
    kids = " ".join(f"{n} 0 R" for n in writer.kids)
    output.write(f"<< /Type /Pages /Count {len(writer.kids)} /Kids [{kids}] >>".encode())
    writer.end()
    writer.begin(CATALOG)
    output.write(f"<< /Type /Catalog /Pages {PAGES} 0 R >>".encode())
    writer.end()
    xref_at = output.tell()
    size = writer.next_number
    output.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for number in range(1, size):
        output.write(f"{writer.offsets[number]:010d} 00000 n \n".encode())
    output.write(f"trailer\n<< /Size {size} /Root {CATALOG} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode())
    return len(writer.kids)

"""``newspipe extract``: every ``*.html`` / ``*.html.gz`` of a folder to JSON lines."""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from pipeline.articles.build import extract_pages
from pipeline.settings import ExtractSettings


def file_id(path: Path) -> str:
    name = path.name
    for suffix in (".html.gz", ".htm.gz", ".html", ".htm"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def load_url_map(path: str | Path | None) -> dict[str, str]:
    """{id: url} or {id: {"url": ...}} (the shape of the extraction corpus's ground-truth.json)."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: (v.get("url", "") if isinstance(v, dict) else str(v)) for k, v in data.items()}


def read_pages(input_dir: str | Path, urls: dict[str, str]) -> list[dict]:
    files = sorted(p for p in Path(input_dir).iterdir() if p.name.endswith((".html", ".html.gz", ".htm", ".htm.gz")))
    pages = []
    for f in files:
        raw = f.read_bytes()
        if f.name.endswith(".gz"):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError):
                raw = b""  # a broken archive becomes an "empty" verdict, not a crash
        fid = file_id(f)
        pages.append({"id": fid, "outlet": "", "url": urls.get(fid, f"file://{f.resolve()}"), "final_url": None, "body": raw})
    return pages


def extract_dir(input_dir: str | Path, output: str | Path, urls_path: str | Path | None = None,
                workers: int | None = None, settings: ExtractSettings | None = None) -> tuple[int, int]:
    """(pages written, pages that are not articles). ``output`` ``-`` is standard output."""
    if not Path(input_dir).is_dir():
        raise NotADirectoryError(20, "not a folder (--input-dir takes a folder of *.html / *.html.gz pages)",
                                 str(input_dir))
    pages = read_pages(input_dir, load_url_map(urls_path))
    docs = extract_pages(pages, settings, workers=workers)
    if str(output) == "-":
        return len(pages), _write_docs(sys.stdout, pages, docs)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        return len(pages), _write_docs(fh, pages, docs)


def _write_docs(fh, pages: list[dict], docs: list) -> int:
    """One JSON line per page; the number that are not articles."""
    bad = 0
    for page, doc in zip(pages, docs):
        bad += doc.verdict != "article"
        fh.write(json.dumps({
            "id": page["id"], "url": page["url"], "text": doc.text, "title": doc.title,
            "title_source": doc.title_source, "title_variants": doc.title_variants, "authors": doc.authors,
            "published_at": doc.published_at.isoformat() if doc.published_at else None,
            "date_source": doc.date_source, "language": doc.language, "verdict": doc.verdict, "reason": doc.reason,
        }, ensure_ascii=False) + "\n")
    return bad


FORMATS = ("txt", "markdown", "json", "xml")


def read_source(source: str, url: str | None = None, allow_private: bool = False) -> tuple[bytes, str]:
    """(HTML, URL) of one page: a file (``.gz`` too), ``-`` for standard input, or an http(s) URL
    fetched behind the crawler's guard (``crawlers.fetch``)."""
    if source.startswith(("http://", "https://")):
        from crawlers.fetch import fetch_page
        final, body = fetch_page(source, allow_private=allow_private)
        return body, url or final
    if source == "-":
        return sys.stdin.buffer.read(), url or "stdin:"
    path = Path(source)
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw, url or path.resolve().as_uri()


def render(doc, fmt: str) -> str:
    """One extracted page as trafilatura's command line offers it: txt, markdown, json or xml."""
    date = doc.published_at.isoformat() if doc.published_at else None
    if fmt == "txt":
        return doc.text
    if fmt == "markdown":
        byline = " · ".join(x for x in (", ".join(doc.authors), date or "") if x)
        return "\n\n".join(x for x in (f"# {doc.title or ''}", f"*{byline}*" if byline else "", doc.text) if x)
    if fmt == "json":
        return json.dumps({"url": doc.url, "canonical_url": doc.canonical_url, "title": doc.title,
                           "authors": doc.authors, "published_at": date, "date_source": doc.date_source,
                           "language": doc.language, "site_name": doc.site_name, "text": doc.text,
                           "verdict": doc.verdict, "reason": doc.reason}, ensure_ascii=False)
    from xml.etree import ElementTree as ET
    root = ET.Element("doc", {k: v for k, v in {"title": doc.title, "author": "; ".join(doc.authors), "date": date,
                                                  "url": doc.url, "language": doc.language}.items() if v})
    main = ET.SubElement(root, "main")
    for para in doc.text.split("\n"):
        ET.SubElement(main, "p").text = para
    return ET.tostring(root, encoding="unicode")

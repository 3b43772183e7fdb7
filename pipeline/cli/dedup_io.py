"""``newspipe dedup INPUT OUTPUT``: the file contract around ``find_clusters``.

INPUT is Parquet or JSON lines with at least ``article_id``, ``url``,
``outlet``, ``title``, ``text``, ``published_at`` (ISO 8601) and ``language``;
other columns are ignored. OUTPUT is Parquet, one row per article.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crawlers.dates import parse_date
from pipeline.dedup.cluster import ClusterRow, DedupDoc, DedupError, DedupResult, find_clusters, rows_table
from pipeline.dedup.packed import Deferred, Packed
from pipeline.settings import DedupSettings
from storage.columns import values

REQUIRED = ("article_id", "url", "outlet", "title", "text", "published_at", "language")
USED = tuple(c for c in REQUIRED if c != "language")  # what ``to_docs`` reads: only these are converted
Columns = dict[str, list]  # the used columns as Python values, row by row


def read_input(path: str | Path) -> tuple[Columns, Packed | None]:
    """The required columns of a Parquet file, a directory of them, or a JSON-lines file, and
    beside them, from Parquet, the texts as the kernels read them (``Packed``: not encoded again;
    the column's texts are then ``Deferred``, decoded where a step reads them as strings)."""
    path = Path(path)
    if not path.exists():
        raise DedupError(f"{path}: input file not found")
    try:
        if path.suffix in (".jsonl", ".json", ".ndjson"):
            rows = _json_lines(path)
            _require(path, list(dict.fromkeys(k for row in rows for k in row)))
            return {c: [row.get(c) for row in rows] for c in USED}, None
        if path.is_dir():
            table = pq.read_table(path)
            _require(path, table.column_names)
            packed = Packed.of_arrow(table.column("text"))
        else:  # only the columns needed, and not through ``read_table``, which imports pandas (0.5 s)
            parquet = pq.ParquetFile(path, memory_map=True)  # pages read in place, not copied first
            _require(path, parquet.schema_arrow.names)
            packed = _texts(parquet)
            table = parquet.read(columns=[c for c in USED if c != "text" or packed is None])
        columns = {c: values(table.column(c)) for c in USED if c != "text" or packed is None}
        if packed is not None:
            columns["text"] = packed.deferred()
        return columns, packed
    except (OSError, pa.ArrowInvalid) as exc:
        raise DedupError(f"{path}: not a readable Parquet or JSONL file: {exc}") from None


TEXT_BATCH_ROWS = 256  # rows a batch of the text column: Arrow reuses a batch's memory for the next


def _texts(parquet: pq.ParquetFile) -> Packed | None:
    """The text column as the kernels read it, decoded a batch at a time (``Packed.of_arrow_batches``),
    or None when it is not a string column."""
    field = parquet.schema_arrow.field("text")
    if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
        return None
    meta, k = parquet.metadata, parquet.schema_arrow.get_field_index("text")
    hint = sum(meta.row_group(g).column(k).total_uncompressed_size for g in range(meta.num_row_groups))
    batches = parquet.iter_batches(batch_size=TEXT_BATCH_ROWS, columns=["text"])
    return Packed.of_arrow_batches((b.column(0) for b in batches), hint)


def keep_freed_memory() -> None:
    """Asks glibc's malloc to keep what the process frees for its next allocations (blocks up to
    32 MB from its heap, not fresh mappings, and no trimming under 1 GB): a batch that allocates
    and frees temporaries of tens of MB otherwise takes each from the kernel again, a page fault
    a 4 KB page (on 20,000 articles, 15,000 faults and 0.03-0.06 s of 1.5 s fewer). Another C
    library (macOS, musl) is left as it is."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def _require(path: Path, have: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in have]
    if missing:
        raise DedupError(f"{path}: missing column(s) {', '.join(missing)} (has: {', '.join(map(str, have))})")


def _json_lines(path: Path) -> list[dict]:
    """The objects of a JSON-lines file; a line that is not UTF-8 or not an object is an error naming it."""
    rows = []
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise DedupError(f"{path}:{n}: not UTF-8 text: {exc}") from None
            except (ValueError, RecursionError) as exc:
                raise DedupError(f"{path}:{n}: not a JSON object: {exc}") from None
            if not isinstance(row, dict):
                raise DedupError(f"{path}:{n}: not a JSON object but {type(row).__name__}")
            rows.append(row)
    return rows


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _date(raw, source: str, n: int) -> datetime | None:
    """A row's ``published_at``: a timestamp (naive read as UTC), or text parsed as the crawlers do."""
    if isinstance(raw, (dict, list)):
        raise DedupError(f"{source}: row {n}: published_at is not a date: {str(raw)[:60]}")
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=timezone.utc)
    return None if _missing(raw) else parse_date(str(raw))


def to_docs(columns: Columns, source: str = "input") -> list[DedupDoc]:
    docs = []
    rows = zip(*(columns[c] for c in ("article_id", "outlet", "text", "published_at", "url", "title")))
    for n, (article_id, outlet, text, raw_date, url, title) in enumerate(rows, 1):
        date = _date(raw_date, source, n)
        if _missing(article_id):
            raise DedupError(f"{source}: row {n}: empty article_id")
        docs.append(DedupDoc(str(article_id), str(outlet), text if isinstance(text, (str, Deferred)) else "", date,
                             str(url or ""), title=title if isinstance(title, str) else ""))
    return docs


def outlet_names(docs: list[DedupDoc], sources: str | Path | None = None) -> dict[str, list[str]]:
    """The names an attribution may credit each outlet by, as the pipeline credits them: the
    registry's titles (``sources``, the bundled registry by default), and for an outlet it does not
    know, the host of its URLs (``mideastdiscourse.com``, ``mideastdiscourse``)."""
    from urllib.parse import urlsplit

    from crawlers.registry import load_sources
    names = {o.name: [o.title] for o in load_sources(sources)}
    for d in docs:
        if d.outlet not in names and d.url:
            host = (urlsplit(d.url).hostname or "").removeprefix("www.")
            names.setdefault(d.outlet, [n for n in (host, host.split(".")[0]) if n])
    return names


def dedup_file(input_path: str | Path, output_path: str | Path, settings: DedupSettings | None = None,
               sources: str | Path | None = None) -> DedupResult:
    """Cluster the articles of a file, crediting outlets by their registry names (``sources``)."""
    columns, packed = read_input(input_path)
    docs = to_docs(columns, str(input_path))
    result = find_clusters(docs, settings, outlet_names=outlet_names(docs, sources), packed=packed)
    from storage.schema import CLUSTERS
    schema = pa.schema([CLUSTERS.field(f) for f in ClusterRow.__dataclass_fields__])
    out = rows_table(result.rows, schema)
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    meta = {b"newspipe.lsh": json.dumps(result.lsh_params).encode()}
    pq.write_table(out.replace_schema_metadata(meta), output_path, compression="zstd")
    return result


def dedup_stored(data: str | Path, full: bool, settings: DedupSettings, sources: str | Path | None = None,
                 index: str | None = None) -> str:
    """``newspipe dedup rebuild|sync``: the stored clusters recomputed (all, or what changed); a summary line."""
    import time

    from crawlers.registry import load_sources
    from pipeline.run.stages import update_clusters
    started = time.perf_counter()
    result = update_clusters(data, settings, {o.name: [o.title] for o in load_sources(sources)}, index, full=full)
    t = result.totals
    return (f"{'rebuilt' if full else 'synced'} {len(result.days)} day(s), {result.touched} article(s) clustered "
            f"in {time.perf_counter() - started:.1f} s: {t['articles']} articles, {t['clusters']} duplicate clusters, "
            f"{t['copies']} copies")

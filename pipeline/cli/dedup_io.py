"""``newspipe dedup INPUT OUTPUT``: the file contract around ``find_clusters``.

INPUT is Parquet or JSON lines with at least ``article_id``, ``url``,
``outlet``, ``title``, ``text``, ``published_at`` (ISO 8601) and ``language``;
other columns are ignored. OUTPUT is Parquet, one row per article.
"""
from __future__ import annotations

import json
from datetime import timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crawlers.dates import parse_date
from pipeline.dedup.cluster import ClusterRow, DedupDoc, DedupError, DedupResult, find_clusters, rows_table
from pipeline.settings import DedupSettings

REQUIRED = ("article_id", "url", "outlet", "title", "text", "published_at", "language")


def read_input(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise DedupError(f"{path}: input file not found")
    try:
        if path.suffix in (".jsonl", ".json", ".ndjson"):
            df = pd.DataFrame(_json_lines(path))
        else:
            df = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DedupError(f"{path}: not a readable Parquet or JSONL file: {exc}") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DedupError(f"{path}: missing column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))})")
    return df


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


def to_docs(df: pd.DataFrame, source: str = "input") -> list[DedupDoc]:
    docs = []
    for n, r in enumerate(df.itertuples(index=False), 1):
        raw_date = r.published_at
        if isinstance(raw_date, (dict, list)):
            raise DedupError(f"{source}: row {n}: published_at is not a date: {str(raw_date)[:60]}")
        if isinstance(raw_date, pd.Timestamp):
            date = None if pd.isna(raw_date) else raw_date.to_pydatetime()
            if date is not None and date.tzinfo is None:
                date = date.replace(tzinfo=timezone.utc)
        else:
            date = parse_date(str(raw_date)) if raw_date is not None and not pd.isna(raw_date) else None
        if r.article_id is None or (isinstance(r.article_id, float) and pd.isna(r.article_id)):
            raise DedupError(f"{source}: row {n}: empty article_id")
        text = r.text if isinstance(r.text, str) else ""
        docs.append(DedupDoc(str(r.article_id), str(r.outlet), text, date, str(r.url or ""),
                             title=r.title if isinstance(r.title, str) else ""))
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
    df = read_input(input_path)
    docs = to_docs(df, str(input_path))
    result = find_clusters(docs, settings, outlet_names=outlet_names(docs, sources))
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

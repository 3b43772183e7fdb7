"""All tunable settings of the pipeline, in one place, with their trade-offs.

Precedence: these defaults < the sources file (per outlet: politeness,
``title_source``) < the environment (``RunEnvironment``, the only place the
pipeline reads it) < command-line flags and trigger params. Storage reads its
own two knobs (``NEWSPIPE_WORK_DIR``, ``NEWSPIPE_SWAP_STALE_SECONDS``) in
``storage.fs``, since storage imports nothing above it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from crawlers.registry import (DEFAULT_SOURCES, TITLE_SOURCES, SourcesError,  # an outlet's choice, validated with the registry
                               outlet_names, xpath_problem)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunEnvironment:
    """What a deployment sets in the environment (the same DAG file serves every deployment).

    ``data``: the data root, ``NEWSPIPE_DATA`` (a directory or a filesystem URI; default
    ``data`` in the project). ``sources``: the outlet registry, ``NEWSPIPE_SOURCES``
    (default the bundled one). The scheduler's: ``NEWSPIPE_CRAWL_POOL`` and
    ``NEWSPIPE_CRAWL_PARALLELISM`` (crawls at once), ``NEWSPIPE_RETRIES`` and
    ``NEWSPIPE_RETRY_DELAY_SECONDS`` (a crawl task's retries, with exponential backoff),
    ``NEWSPIPE_ARCHIVE_POOL`` and ``NEWSPIPE_ARCHIVE_PARALLELISM`` (a backfill's archive
    readers at once: the pool's slots cap the requests the archives see from every DAG).
    """

    data: str
    sources: str
    crawl_pool: str = "default_pool"
    crawl_parallelism: int = 4
    retries: int = 2
    retry_delay: timedelta = timedelta(seconds=120)
    archive_pool: str = "default_pool"
    archive_parallelism: int = 4

    def outlet_names(self) -> list[str]:
        """The registry's outlet names, for the trigger form (empty when the file cannot be read:
        the plan task then says why)."""
        try:
            return sorted(outlet_names(self.sources))
        except (OSError, SourcesError):
            return []

    def task_defaults(self) -> dict:
        """The DAGs' ``default_args``: retries with exponential backoff, at most 30 minutes apart."""
        return {"retries": self.retries, "retry_delay": self.retry_delay, "retry_exponential_backoff": 2.0,
                "max_retry_delay": timedelta(minutes=30)}

    @classmethod
    def read(cls, environ: dict[str, str] | None = None) -> "RunEnvironment":
        env = os.environ if environ is None else environ
        return cls(data=env.get("NEWSPIPE_DATA") or str(PROJECT_ROOT / "data"),
                   sources=env.get("NEWSPIPE_SOURCES") or str(DEFAULT_SOURCES),
                   crawl_pool=env.get("NEWSPIPE_CRAWL_POOL") or cls.crawl_pool,
                   crawl_parallelism=int(env.get("NEWSPIPE_CRAWL_PARALLELISM") or cls.crawl_parallelism),
                   retries=int(env.get("NEWSPIPE_RETRIES") or cls.retries),
                   retry_delay=timedelta(seconds=float(env.get("NEWSPIPE_RETRY_DELAY_SECONDS") or 120)),
                   archive_pool=env.get("NEWSPIPE_ARCHIVE_POOL") or cls.archive_pool,
                   archive_parallelism=int(env.get("NEWSPIPE_ARCHIVE_PARALLELISM") or cls.archive_parallelism))

# the longest window one run may cover: a run holds a lock per day and keeps the window's raw pages
# in one place; history is filled one day (or a few) per run, as the scheduler's backfills do
MAX_WINDOW_DAYS = 400


@dataclass(frozen=True)
class ExtractSettings:
    """Main text: trafilatura, then ``pipeline.extract.cleanup``.

    Measured on extraction-dev (token 4-gram P / R / F1; plain trafilatura
    0.9388 / 0.9776 / 0.9578), ``newspipe eval extraction``; every row with
    the hover cards removed first (``pipeline.extract.cards``):

    ====================================  ======  ======  ======
    trafilatura mode + cleanup            P       R       F1
    ====================================  ======  ======  ======
    favor_precision (default) + cleanup   0.9813  0.9817  0.9815
    favor_precision no cleanup            0.9689  0.9815  0.9751
    balanced        + cleanup             0.9731  0.9840  0.9785
    balanced        no cleanup            0.9508  0.9838  0.9670
    ====================================  ======  ======  ======

    ``favor_precision`` leaves out more of the page's furniture (decks,
    sign-up boxes, captions) and now and then a short line of the article;
    its recall stays above plain trafilatura's. ``fast`` skips trafilatura's
    fallback extractors (readability, jusText), which cost about a third of
    the time and give the same figures here; a page whose text comes out
    short is read again with them (``pipeline.extract.core``).
    """

    min_chars: int = 250            # shorter main text is a "too_short" stub, not an article
    max_link_share: float = 0.6     # pages where more of the letters are links (and lines short) are "index" pages
    max_bytes: int = 10 * 1024 * 1024  # larger pages are refused ("too_large") before parsing
    max_seconds: float | None = 20.0  # a page taking longer is given up ("too_slow"); articles take ~20 ms
    max_tree_size: int | None = 200_000  # trafilatura gives up on trees with more elements
    favor_precision: bool = True    # trafilatura's precision mode (see the table)
    fast: bool = True               # trafilatura without its fallback extractors (see the table)
    clean_text: bool = True         # drop a repeated headline, link lists, pointers, closing furniture (cleanup)
    min_link_run: int = 3           # this many link lines in a row are a link list, not article text
    include_tables: bool = True
    text_date_search: bool = True   # htmldate over the text when no structured date exists
    # "auto": JSON-LD headline, og:title, h1, <title>, the first present. Outlets use them for
    # different headlines (SEO, social, printed): set an outlet's own choice in the registry.
    title_source: str = "auto"
    # where an outlet prints its byline, when the markup credits no person (an XPath, from the registry's
    # ``author_xpath``): read before every generic source, as fundus's per-publisher parsers do
    author_xpath: str = ""

    def __post_init__(self) -> None:
        if self.title_source not in TITLE_SOURCES:
            raise ValueError(f"title_source {self.title_source!r}: must be one of {', '.join(TITLE_SOURCES)}")
        if problem := xpath_problem(self.author_xpath):
            raise ValueError(f"author_xpath: {problem}")


@dataclass(frozen=True)
class BoilerplateSettings:
    """A paragraph is an outlet's boilerplate when it recurs, word for word, in at
    least ``min_share`` of that outlet's pages and at least ``min_pages`` of them.
    Lower values remove more repeated text but risk removing a recurring lead."""
    min_pages: int = 3
    min_share: float = 0.3
    max_chars: int = 3000           # longer paragraphs are never boilerplate (disclaimers run to ~1,500 chars)


@dataclass(frozen=True)
class RelevanceSettings:
    threshold: float = 3.0          # score at or above which an article is about Idlib
    title_bonus: float = 1.0        # added per term found in the title (times its weight)


@dataclass(frozen=True)
class DedupSettings:
    """Near-duplicate detection.

    ``shingle_size`` words per shingle: smaller finds more reworded copies but
    also more topic look-alikes. ``num_perm`` permutations: more is more
    accurate and slower (error of a Jaccard estimate ~ 1/sqrt(num_perm)).
    ``lsh_threshold`` is the Jaccard at which LSH starts proposing candidates;
    it sits below ``jaccard_threshold`` so truncated copies still get checked.
    ``lead_threshold`` drives a second LSH over the first ``lead_words`` words.
    A candidate pair is a duplicate when its exact Jaccard reaches
    ``jaccard_threshold`` or the smaller text's containment in the larger
    reaches ``containment_threshold`` (a shortened copy).
    """
    shingle_size: int = 5
    char_shingle_size: int = 5      # for scripts written without spaces
    num_perm: int = 128
    seed: int = 1
    lsh_threshold: float = 0.3
    jaccard_threshold: float = 0.5
    containment_threshold: float = 0.8
    near_threshold: float = 0.5     # Jaccard at which a member is "near" rather than "truncated"/"contained"
    lead_threshold: float = 0.5     # LSH threshold of the lead index
    min_shingles: int = 15          # shorter texts are only matched exactly (no near-duplicate claim)
    lead_words: int = 60            # the lead signature: catches heavily truncated copies
    max_cluster_size: int = 200     # larger clusters are reported
    strip_boilerplate: bool = True  # drop paragraphs an outlet repeats across its articles before shingling
    # rewrites (pipeline.dedup.rewrites): a third LSH tier over shorter shingles, verified by sentences
    rewrite_shingle_size: int = 3   # words per shingle of that tier: shorter survives more word changes
    rewrite_lsh_threshold: float = 0.25  # its LSH threshold; 0 turns the tier off
    rewrite_min_overlap: float = 0.3    # short-shingle containment below which sentences are not compared
    rewrite_min_aligned: float = 0.7    # share of the shorter text's words in sentences found in the longer
    rewrite_min_sentences: int = 3
    sentence_match: float = 0.5     # word-set Jaccard at which two sentences are the same sentence
    # digests (cluster.cluster_rows): a page containing two texts that share less than this is a roundup
    digest_disjoint: float = 0.2


@dataclass(frozen=True)
class ReportSettings:
    """``top``: stories shown in full (origin and copies side by side; each costs its texts in the
    file, a few KB a copy). ``table_rows``: stories listed in the searchable table (about 300 bytes
    each). ``relevant_only``: only stories with an article relevant to Idlib."""

    top: int = 100
    table_rows: int = 2000
    relevant_only: bool = True

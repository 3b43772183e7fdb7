"""Everything on disk or in an object store; imports nothing else of newspipe.

- ``schema``: every table's Arrow schema, raw pages included, versioned.
- ``layout``: every path name of a data root and of a work directory.
- ``fs``: a data root (local or any pyarrow/fsspec URI), atomic local writes.
- ``dataset``: day partitions replaced together through a journaled swap;
  readers that name a bad file and go on (``errors``: their ``StorageError``).
- ``raw``: the raw-page files the crawler writes and the publish stage reads.
- ``shared_work``: raw pages and crawl state carried between machines on an object-store root.
- ``locks``: day and table locks. ``load``: ``load_articles`` for analysts.
- ``admin/``: ``dataset info`` and ``dataset compact``.
"""

"""Collection: Scrapy's own layout plus what an outlet registry needs.

- ``settings``, ``items``, ``middlewares`` (transport: address guard, proxy,
  conditional GET, Retry-After), ``resolver`` (every connection's address
  checked), ``extensions``, ``pipelines`` (raw pages out), ``spiders/``
  (discover and fetch one outlet's articles).
- ``registry`` (+ ``sources.yaml``): the outlets and their validation; add an
  outlet there. ``discovery`` (feeds, sitemaps), ``urls`` (canonical form),
  ``dates`` (the one date parser), ``state`` (incremental crawl state).
- ``launcher``: a crawl in child processes (the Twisted reactor runs once per
  process).
- ``replay/``: the mock outlets served on 127.0.0.1 (one style record per
  outlet in ``replay/site.py``), for the demo and the tests; production code
  never imports it.

Imports ``storage`` only, never ``pipeline``.
"""

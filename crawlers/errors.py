"""Errors of the crawlers' modules, importable without them: the command line catches them
without loading Scrapy (half a second of every command)."""
from __future__ import annotations


class FetchError(RuntimeError):
    """A page that may not or could not be fetched; the message says why."""

"""Extraction: ``core.extract(html, url) -> Document``, a pure function that never raises."""

"""The archive sources by name, each a module behind one interface (``crawlers.archives.query.Source``)."""
from __future__ import annotations

from crawlers.archives.ccindex import CCIndex
from crawlers.archives.ccnews import CCNews
from crawlers.archives.gdelt import Gdelt
from crawlers.archives.warc import WarcFiles
from crawlers.archives.wayback import Wayback

SOURCES = {s.name: s for s in (WarcFiles(), CCNews(), CCIndex(), Wayback(), Gdelt())}

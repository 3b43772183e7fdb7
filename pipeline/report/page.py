"""The report as one HTML page: the charts, the story table and a panel per story, with
Plotly's script, the style and the page's few lines of script inline, so that the file opens
offline and sends no request anywhere."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from pipeline.analysis.textdiff import diff_passages

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header,main{max-width:1200px;margin:auto;padding:0 1rem}
header{padding-top:1rem}
nav a{margin-right:1rem}
section.card{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:1rem}
.empty{color:#666;font-style:italic}
table.stories{border-collapse:collapse;width:100%;font-size:.9rem}
table.stories th{cursor:pointer;text-align:left;border-bottom:2px solid #999;padding:.3rem;user-select:none}
table.stories th[aria-sort=ascending]::after{content:" ▲"}
table.stories th[aria-sort=descending]::after{content:" ▼"}
table.stories td{border-bottom:1px solid #eee;padding:.3rem;vertical-align:top}
table.stories tr.has-detail{cursor:pointer}
table.stories tr.has-detail:hover{background:#eef4fb}
#story-search{width:100%;max-width:30rem;padding:.4rem;margin:.5rem 0;font-size:1rem}
.copy{border-top:1px solid #ddd;margin-top:1rem;padding-top:.5rem}
.meta{color:#555;font-size:.9rem}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.text{white-space:pre-wrap;font-size:.92rem;line-height:1.45;background:#fcfcfc;border:1px solid #eee;padding:.5rem}
del.removed{background:#fdd;text-decoration:line-through}
ins.added{background:#dfd;text-decoration:none}
del.changed{background:#fed;text-decoration:line-through}
ins.changed{background:#fed;text-decoration:none;border-bottom:2px solid #e9a23b}
del.moved,ins.moved{background:#e3ecfa;text-decoration:none;border-left:3px solid #4c78a8}
.legend span{margin-right:1rem}
"""

_SCRIPT = """
(function(){
  var table = document.getElementById('story-table');
  if (table) {
    var search = document.getElementById('story-search');
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var count = document.getElementById('story-count');
    search.addEventListener('input', function(){
      var q = search.value.trim().toLowerCase(), shown = 0;
      rows.forEach(function(r){ var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
                                r.hidden = !hit; if (hit) shown++; });
      count.textContent = shown + ' of ' + rows.length + ' stories shown';
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(th, col){
      th.addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function(c){ c.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        rows.sort(function(a, b){
          var x = a.cells[col].dataset.sort || a.cells[col].textContent, y = b.cells[col].dataset.sort || b.cells[col].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach(function(r){ table.tBodies[0].appendChild(r); });
      });
    });
    rows.forEach(function(r){ if (r.dataset.story) r.addEventListener('click', function(){ show(r.dataset.story); }); });
  }
  function show(id){
    document.querySelectorAll('section.story').forEach(function(s){ s.hidden = s.id !== 'story-' + id; });
    var panel = document.getElementById('story-' + id);
    if (panel) { panel.scrollIntoView(); history.replaceState(null, '', '#story-' + id); }
  }
  if (location.hash.indexOf('#story-') === 0) show(location.hash.slice(7));
})();
"""


@dataclass
class Page:
    """What the page shows; charts are Plotly figures or None (then ``empty`` says why)."""

    title: str
    subtitle: str
    charts: list[tuple[str, str, object, str]] = field(default_factory=list)  # (id, heading, figure, empty text)
    table: pd.DataFrame | None = None        # the stories listed
    not_listed: int = 0                      # stories beyond the table
    details: dict[str, pd.DataFrame] = field(default_factory=dict)  # cluster_id -> story_detail rows
    message: str = ""                        # the whole report's empty-window message


def _e(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _chart(div_id: str, heading: str, fig, empty: str) -> str:
    body = (pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                        config={"displaylogo": False, "responsive": True}) if fig is not None
            else f'<p class="empty" id="{div_id}-empty">{_e(empty)}</p>')
    return f'<section class="card" id="{div_id}-card"><h2>{_e(heading)}</h2>{body}</section>'


def _story_table(table: pd.DataFrame, details: dict, not_listed: int) -> str:
    head = ["origin published", "origin outlet", "headline", "copies", "outlets", "relations", "first copy after (h)"]
    rows = []
    for _, s in table.iterrows():
        first = (s["first_copy_at"] - s["origin_at"]).total_seconds() / 3600
        rel = ", ".join(f"{k} {v}" for k, v in s["relations"].items())
        attr = f' class="has-detail" data-story="{_e(s["cluster_id"])}"' if s["cluster_id"] in details else ""
        rows.append(f"<tr{attr}><td data-sort=\"{_e(s['origin_at'].isoformat())}\">{_e(f'{s.origin_at:%Y-%m-%d %H:%M}')}"
                    f"</td><td>{_e(s['origin_outlet'])}</td><td dir=\"auto\">{_e(s['title'])}</td>"
                    f"<td>{int(s['copies'])}</td><td>{_e(', '.join(s['outlets']))}</td><td>{_e(rel)}</td>"
                    f"<td>{first:.1f}</td></tr>")
    more = (f'<p class="meta">{not_listed} more stories with fewer copies are not listed here; '
            f'<code>pipeline.analysis.frames.stories()</code> returns them all.</p>' if not_listed else "")
    return (f'<section class="card" id="stories"><h2>Stories</h2>'
            f'<p class="meta">Click a row with details to open the story: its origin and each copy side by side. '
            f'Click a heading to sort.</p><input id="story-search" type="search" placeholder="Search headlines, '
            f'outlets, relations…" aria-label="search stories"> <span id="story-count" class="meta">{len(table)} '
            f'stories</span><table class="stories" id="story-table"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows)
            + f"</tbody></table>{more}</section>")


def _marked(passages, side: str) -> str:
    """One side of a diff as HTML: the origin with removed and changed words struck, the copy with
    added and changed words marked."""
    out = []
    for p in passages:
        text = p.before if side == "origin" else p.after
        if p.kind == "equal":
            out.append(_e(text))
        elif side == "origin" and p.kind in ("removed", "changed", "moved") and text:
            out.append(f'<del class="{p.kind}">{_e(text)}</del>')
        elif side == "copy" and p.kind in ("added", "changed", "moved") and text:
            out.append(f'<ins class="{p.kind}">{_e(text)}</ins>')
    return "".join(out)


def _story_panel(cluster_id: str, rows: pd.DataFrame) -> str:
    origin = rows.iloc[0]
    parts = [f'<section class="card story" id="story-{_e(cluster_id)}" hidden><p><a href="#stories">← all stories</a>'
             f'</p><h2 dir="auto">{_e(origin["title"])}</h2><p class="meta">origin: {_e(origin["outlet"])}, '
             f'{_e(f"{origin.published_at:%Y-%m-%d %H:%M} UTC")} · <a href="{_e(origin["url"])}">{_e(origin["url"])}'
             f'</a> · {len(rows) - 1} copies</p><p class="legend meta"><span><del class="removed">removed</del></span>'
             f'<span><ins class="added">added</ins></span><span><ins class="changed">changed</ins></span><span><ins class="moved">moved</ins></span></p>']
    for _, c in rows.iloc[1:].iterrows():
        passages = diff_passages(origin["text"], c["text"])
        hours = c["delay"].total_seconds() / 3600 if pd.notna(c["delay"]) else float("nan")
        headline = (f'<p class="headline" dir="auto">headline: <del class="changed">{_e(origin["title"])}</del> → '
                    f'<ins class="changed">{_e(c["title"])}</ins></p>' if c["title_changed"]
                    else '<p class="meta">headline unchanged</p>')
        parts.append(f'<div class="copy"><h3>{_e(c["outlet"])}: {_e(c["relation"])}</h3><p class="meta">'
                     f'similarity {c["similarity"]:.2f}, containment {c["containment"]:.2f}, kept '
                     f'{c["kept_share"]:.0%} of the origin\'s words, {hours:+.1f} h after the origin · '
                     f'<a href="{_e(c["url"])}">{_e(c["url"])}</a></p>{headline}<div class="sbs">'
                     f'<div><h4>{_e(origin["outlet"])} (origin)</h4><div class="text" dir="auto">'
                     f'{_marked(passages, "origin")}</div></div><div><h4>{_e(c["outlet"])}</h4>'
                     f'<div class="text" dir="auto">{_marked(passages, "copy")}</div></div></div></div>')
    return "".join(parts) + "</section>"


def render(page: Page) -> str:
    """The whole self-contained HTML document."""
    body = [f'<p class="empty" id="report-empty">{_e(page.message)}</p>'] if page.message else []
    body += [_chart(*c) for c in page.charts]
    if page.table is not None and not page.table.empty:
        body.append(_story_table(page.table, page.details, page.not_listed))
        body += [_story_panel(cid, rows) for cid, rows in page.details.items()]
    elif not page.message:
        body.append('<section class="card" id="stories"><h2>Stories</h2><p class="empty" id="stories-empty">'
                    'No story was copied in this window: every article was published by one outlet only.</p></section>')
    plotly = f"<script>{get_plotlyjs()}</script>" if any(c[2] is not None for c in page.charts) else ""
    nav = "".join(f'<a href="#{c[0]}-card">{_e(c[1])}</a>' for c in page.charts) + '<a href="#stories">Stories</a>'
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(page.title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style>'
            f'{plotly}</head><body><header><h1>{_e(page.title)}</h1>'
            f'<p class="meta">{_e(page.subtitle)}</p><nav>{nav}</nav></header><main>{"".join(body)}</main>'
            f'<script>{_SCRIPT}</script></body></html>')

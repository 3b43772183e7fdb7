"""The report's charts as Plotly figures, from the ``pipeline.analysis.frames`` DataFrames.

Plotly draws in the browser from one script that can be inlined (the report opens offline),
renders SVG that a test can inspect, and gives hover, zoom and legend toggling without code
of ours. Each function returns a figure, or None when its frame holds nothing to draw (the
page then says so instead of showing empty axes).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

_LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50), font=dict(family="sans-serif"))
# delay buckets an analyst reads at a glance; a copy dated before its origin is an outlet's clock or an
# attribution that overrode the dates, and is shown, not hidden
_DELAY_EDGES = [-np.inf, 0, 0.25, 1, 3, 6, 12, 24, 48, 168, np.inf]
_DELAY_LABELS = ["dated before origin", "< 15 min", "15 min – 1 h", "1–3 h", "3–6 h", "6–12 h", "12–24 h",
                 "1–2 days", "2–7 days", "over a week"]


def coverage_chart(cov: pd.DataFrame) -> go.Figure | None:
    """Stacked bars per day and outlet; buttons switch between relevant articles and all."""
    if cov.empty:
        return None
    fig = go.Figure()
    outlets = sorted(cov["outlet"].unique())
    for column in ("relevant", "articles"):
        for outlet in outlets:
            rows = cov[cov["outlet"] == outlet]
            fig.add_bar(x=rows["day"], y=rows[column], name=outlet, legendgroup=outlet,
                        visible=column == "relevant", showlegend=True)
    n = len(outlets)
    buttons = [dict(label=label, method="update",
                    args=[{"visible": [i // n == k for i in range(2 * n)]}, {"yaxis.title.text": title}])
               for k, (label, title) in enumerate([("Relevant to Idlib", "relevant articles"),
                                                   ("All articles", "articles")])]
    fig.update_layout(barmode="stack", title="Coverage per day and outlet", yaxis_title="relevant articles",
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=1, y=1.15,
                                        xanchor="right", yanchor="bottom")], **_LAYOUT)
    return fig


def network_chart(net: pd.DataFrame, balance: pd.DataFrame, max_edges: int = 300) -> go.Figure | None:
    """Outlets on a circle, sized by articles and coloured by their origin share; an arrow from
    origin to copier per pair, as wide as the stories copied (the ``max_edges`` largest pairs)."""
    if net.empty:
        return None
    net = net.head(max_edges)
    names = sorted(set(net["origin_outlet"]) | set(net["copier_outlet"]))
    angle = {n: 2 * math.pi * i / len(names) for i, n in enumerate(names)}
    pos = {n: (math.cos(a), math.sin(a)) for n, a in angle.items()}
    bal = balance.set_index("outlet").reindex(names)
    sizes = bal["articles"].fillna(0).to_numpy(dtype=float)
    fig = go.Figure()
    widest = max(net["stories"].max(), 1)
    fig.update_layout(annotations=[  # one list: plotly validates each annotation added on its own again
        dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2,
             arrowsize=1, opacity=0.6, arrowwidth=1 + 5 * s / widest, arrowcolor="#4c78a8")
        for (x0, y0, x1, y1), s in zip(_edges(pos, net), net["stories"])])
    fig.add_scatter(  # invisible points at the edges' middles carry their hover text
        x=[(pos[a][0] + pos[b][0]) * 0.45 for a, b in zip(net["origin_outlet"], net["copier_outlet"])],
        y=[(pos[a][1] + pos[b][1]) * 0.45 for a, b in zip(net["origin_outlet"], net["copier_outlet"])],
        mode="markers", marker=dict(size=8, opacity=0.01), showlegend=False, hoverinfo="text",
        hovertext=[f"{a} → {b}: {s} stories, median delay {h} h" for a, b, s, h in
                   zip(net["origin_outlet"], net["copier_outlet"], net["stories"], net["median_delay_hours"])])
    fig.add_scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text", text=names,
        textposition="top center", showlegend=False, hoverinfo="text",
        hovertext=[f"{n}: {int(a)} articles, originated {int(o)}, republished {int(r)}" for n, a, o, r in
                   zip(names, sizes, bal["originated"].fillna(0), bal["republished"].fillna(0))],
        marker=dict(size=12 + 40 * np.sqrt(sizes / max(sizes.max(), 1)), color=bal["origin_share"].fillna(0.5),
                    colorscale="RdBu", cmin=0, cmax=1, line=dict(width=1, color="#333"),
                    colorbar=dict(title="origin share")))
    fig.update_layout(title="Who copied whom (arrow: origin → copier, width: stories)", height=600,
                      xaxis=dict(visible=False, range=[-1.4, 1.4]),
                      yaxis=dict(visible=False, range=[-1.3, 1.3], scaleanchor="x"), **_LAYOUT)
    return fig


def _edges(pos: dict, net: pd.DataFrame) -> list[tuple[float, float, float, float]]:
    """Each arrow's ends, short of the nodes and moved a little to its right, so that the two
    directions of a pair are two arrows side by side."""
    out = []
    for a, b in zip(net["origin_outlet"], net["copier_outlet"]):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        length = math.hypot(x1 - x0, y1 - y0) or 1
        dx, dy = (y1 - y0) / length * 0.03, -(x1 - x0) / length * 0.03
        out.append((x0 * 0.9 + dx, y0 * 0.9 + dy, x1 * 0.9 + dx, y1 * 0.9 + dy))
    return out


def delay_chart(members: pd.DataFrame) -> go.Figure | None:
    """How long after the origin the copies appeared, in buckets."""
    copies = members[~members["is_origin"]].dropna(subset=["delay"]) if not members.empty else members
    if copies.empty:
        return None
    hours = copies["delay"].dt.total_seconds().to_numpy() / 3600
    counts = pd.cut(pd.Series(hours), _DELAY_EDGES, labels=_DELAY_LABELS, right=False).value_counts(sort=False)
    fig = go.Figure(go.Bar(x=list(counts.index.astype(str)), y=counts.to_numpy(), marker_color="#f58518",
                           hovertemplate="%{x}: %{y} copies<extra></extra>"))
    fig.update_layout(title=f"Delay from origin to copy ({len(copies)} copies, median "
                            f"{np.median(hours):.1f} h)", yaxis_title="copies", **_LAYOUT)
    return fig


def balance_chart(balance: pd.DataFrame) -> go.Figure | None:
    """Per outlet, stories originated (to the right) against copies republished (to the left)."""
    active = balance[(balance["originated"] + balance["republished"]) > 0]
    if active.empty:
        return None
    active = active.sort_values("origin_share")
    fig = go.Figure()
    fig.add_bar(y=active["outlet"], x=-active["republished"], orientation="h", name="republished",
                marker_color="#e45756", customdata=active["republished"],
                hovertemplate="%{y}: republished %{customdata}<extra></extra>")
    fig.add_bar(y=active["outlet"], x=active["originated"], orientation="h", name="originated",
                marker_color="#54a24b", hovertemplate="%{y}: originated %{x}<extra></extra>")
    fig.update_layout(barmode="relative", title="Originate or republish", xaxis_title="← republished · originated →",
                      height=max(300, 28 * len(active) + 120), **_LAYOUT)
    return fig

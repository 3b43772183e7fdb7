"""``newspipe report``: the coverage and copy report of a window as one self-contained HTML file.

The figures come from ``pipeline.analysis.frames`` (the same an analyst gets in pandas).
A history of millions of articles stays small and quick to build: every story is counted in
the charts, the ``table_rows`` most copied stories are listed, and only the ``top`` most
copied have a page with their texts side by side (their texts are the only ones read).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.analysis.frames import copy_network, coverage, detail_rows, members, outlet_balance, stories, with_texts
from pipeline.progress import note, track
from pipeline.report.charts import balance_chart, coverage_chart, delay_chart, network_chart
from pipeline.report.page import Page, render
from pipeline.settings import ReportSettings
from storage.fs import Root, open_root, put_file


def build_report(data: str | Path | Root, since=None, until=None, outlets: list[str] | None = None,
                 settings: ReportSettings = ReportSettings()) -> str:
    """The report's HTML for articles published from ``since`` to ``until`` (days, both included)."""
    root = open_root(data)
    window = f"{since or 'the first day'} .. {until or 'the last day'}"
    note(f"report: reading articles of {window}")
    cov = coverage(root, since, until, outlets)
    who = f" · outlets: {', '.join(outlets)}" if outlets else ""
    title = "newspipe: coverage and copies"
    if cov.empty:
        return render(Page(title, f"{root.display(root.base)} · {window}{who}",
                           message=f"No articles were published in {window}{who}: nothing to report."))
    mem = members(root, since, until, outlets, settings.relevant_only)
    net = copy_network(root, since, until, outlets, frame=mem)
    bal = outlet_balance(root, since, until, outlets, settings.relevant_only, frame=mem)
    table = stories(root, frame=mem)
    no_copies = "No story was copied by another outlet in this window."
    page = Page(title, f"{root.display(root.base)} · {window}{who} · {int(cov['articles'].sum())} articles, "
                       f"{int(cov['relevant'].sum())} relevant to Idlib, {len(table)} stories copied",
                charts=[("coverage", "Coverage over time", coverage_chart(cov), "No articles in this window."),
                        ("network", "Copy network", network_chart(net, bal), no_copies),
                        ("delays", "Delay to copy", delay_chart(mem), no_copies),
                        ("balance", "Originate or republish", balance_chart(bal), no_copies)],
                table=table.head(settings.table_rows), not_listed=max(0, len(table) - settings.table_rows))
    page.details = _details(root, mem, table.head(settings.top)["cluster_id"].tolist())
    return render(page)


def _details(root: Root, mem: pd.DataFrame, cluster_ids: list[str]) -> dict[str, pd.DataFrame]:
    """``story_detail`` rows of the listed stories, their texts read in one pass over their days."""
    if not cluster_ids:
        return {}
    note(f"report: reading the texts of {len(cluster_ids)} stories")
    chosen = with_texts(root, mem[mem["cluster_id"].isin(cluster_ids)])
    groups = dict(tuple(chosen.groupby("cluster_id")))
    return {cid: detail_rows(groups[cid]) for cid in track(cluster_ids, "building the story pages")}


def write_report(data: str | Path | Root, out: str | Path | None = None, since=None, until=None,
                 outlets: list[str] | None = None, settings: ReportSettings = ReportSettings()) -> str:
    """Build the report and write it to ``out`` (a local path), or by default to the data root's
    ``reports/`` (local or an object store). Returns where it is, for messages."""
    text = build_report(data, since, until, outlets, settings)
    return put_file(data, out, text.encode("utf-8"))

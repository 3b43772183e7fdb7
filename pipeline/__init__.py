"""From raw pages to published tables, and the commands around it.

- ``settings``: every tunable in one place (defaults < sources file <
  environment < flags).
- ``extract/``: HTML in, ``Document`` out (``core.extract``; ``metadata``,
  ``titles``, ``authors``, ``cleanup``, ``verdict``, ``timelimit``).
- ``articles/``: raw pages to ``articles`` rows (``build``), with
  ``boilerplate`` (and its ``boilerplate_memory`` across days), ``relevance``
  and ``attribution``.
- ``dedup/``: ``shingles`` -> ``kernels`` (compiled) -> ``minhash`` -> ``lsh``
  / ``tiers`` -> ``cluster`` (with ``rewrites`` and ``digests``); the persistent
  index (``store``, ``store_redis``, ``keyfilter``) and ``incremental`` keep
  ``clusters_table`` up to date; ``signatures`` are published. Change the algorithm here.
- ``run/``: a run's ``window``, its ``stages`` (crawl, publish, update clusters),
  ``orchestration`` (what the scheduler calls) and ``report``.
- ``cli/``: the ``newspipe`` command, the demo, the local Airflow launcher.
- ``eval/``: quality harnesses and benchmarks; never imported by the rest.

Imports ``crawlers`` and ``storage``; ``dags/`` imports it.
"""

"""Operators' tools on a data root: ``info`` (what it holds) and ``compact`` (one file per partition)."""

"""Metrics, rule packs, comparison of results and structure summaries."""

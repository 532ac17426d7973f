"""Scenario files (YAML with positions), rosters, exchange formats and atomic file writes."""

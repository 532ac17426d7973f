"""Restructuring strategies from the seed cases, as an orgmodel plugin."""

__version__ = "0.1.0"

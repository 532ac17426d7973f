"""The engine that applies variants, evaluation, and the results folder."""

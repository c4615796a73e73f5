"""Screens of the annotations app, one module per area (work.py: the annotator's annotate/compare loop)."""

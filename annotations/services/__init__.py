"""Writes, one function per use case (keyword-only arguments, atomic where rows change together).

Split by concern: `routing` (who gets which task), `work` (drafts, submits, skips, results).
"""

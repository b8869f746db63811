"""Collecting and scoring: a scan of a project (scans.py), a portfolio run, its worker pool and resumable runs."""

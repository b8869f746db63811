"""Collectors: each turns one family of sources into evidence facts."""

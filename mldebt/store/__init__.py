"""The SQLite store: its schema and migrations (db.py), and the checks of a file before mldebt writes to it
(health.py)."""

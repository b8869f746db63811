"""Pushing scans from CI: the evidence bundle, the client that sends it and the server's intake."""

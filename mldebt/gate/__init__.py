"""The CI gate: `mldebt check` decides pass or fail on a project's latest scan and writes its summary."""

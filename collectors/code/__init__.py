"""Python code analysis shared by the repository collectors: one parse per file, patterns, libraries, dead code."""

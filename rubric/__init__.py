"""The rubric: its YAML files, their schema, and the engine that applies them."""

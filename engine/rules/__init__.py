"""The typed rule model: frozen structs built from validated YAML."""

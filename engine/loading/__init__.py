"""From ruleset bytes to typed rules: YAML with positions, schema, semantics, structs."""

"""One module per group of commands; each exports ``COMMANDS``."""

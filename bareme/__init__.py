"""The ``bareme`` command line: settings, input files, commands and the demo job."""

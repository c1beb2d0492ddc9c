"""The command line: a thin shell that parses, loads, computes and renders."""

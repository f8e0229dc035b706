"""The package as a whole: layering, limits, regexes, the benchmark tools."""

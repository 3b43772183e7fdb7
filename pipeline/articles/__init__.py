"""Raw pages to ``articles`` rows: extraction in parallel, boilerplate, relevance, credits."""

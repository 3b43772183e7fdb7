"""Near-duplicate and cross-post detection: shingles, compiled kernels, MinHash, LSH, clusters."""

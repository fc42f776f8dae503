"""Features of responses: text encoders, the embedding cache, and interpretable attributes."""

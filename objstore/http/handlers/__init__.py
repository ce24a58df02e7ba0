"""One module per family of S3 operations."""

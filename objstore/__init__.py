"""objstore: an S3-compatible object store with an embedded KMS."""

__version__ = "0.1.0"

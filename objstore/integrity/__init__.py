"""Per-byte integrity work: MD5 ETags, SigV4 payload hashes, x-amz-checksum-* algorithms.

Pure computation over bytes (no I/O); callers run it in a worker thread."""

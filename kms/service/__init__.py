"""KMS operations: the domain API, used in-process (by the object store) and by kms/api.

Every operation takes the Caller first, then keyword arguments named after the model's
members in snake_case, and returns a dict with the model's output member names."""

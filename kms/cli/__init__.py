"""The KMS administrator's commands (`objstore kms ...`), run in-process on a data dir."""

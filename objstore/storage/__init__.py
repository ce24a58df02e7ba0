"""Buckets, objects and multipart uploads on disk: blobs in files, metadata in SQLite.

Storage knows nothing of HTTP or of encryption modes: it stores bytes and a metadata
record, atomically.
"""

"""Request authentication: SigV4/SigV2 verification, aws-chunked decoding, identities."""

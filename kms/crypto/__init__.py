"""Pure cryptography for the embedded KMS: byte formats and primitives, no I/O.

One module per job:

- `context`: the canonical encoding of an encryption context (bound as AAD).
- `blob`: the symmetric ciphertext blob (Encrypt, GenerateDataKey*, Decrypt).
- `material_ids`: key-material ids (random, or derived for imported material).
- `asymmetric`: RSA/ECC key generation, Sign/Verify, RSA-OAEP Encrypt/Decrypt.
- `hmac_keys`: HMAC keys, GenerateMac/VerifyMac.
- `wrapping`: key material wrapped by the root key at rest.
- `importing`: wrapping keys and unwrapping of imported key material.
- `import_token`: the ImportToken of GetParametersForImport/ImportKeyMaterial.
- `kdf`: purpose-separated sub-keys of the root key.
- `errors`: the domain exceptions, mapped to AWS error types by the API layer.

Nothing here touches files, sockets or clocks (the caller passes `now`), and nothing here
imports `objstore`.
"""

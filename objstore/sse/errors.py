"""The SSE layer's one exception, and AWS's wording for each SSE error.

`SseError` carries exactly what the S3 wire error needs: the code, AWS's message, the HTTP
status and the extra XML elements (ArgumentName, ArgumentValue). The HTTP layer maps it
1:1 (`S3Error(exc.code, exc.message, status=exc.status, **exc.extra)`). Sources for every
message are in s3-sse.md (sections cited below); where AWS's text was never captured the
wording is the reference's recommendation.

Never put a customer key in an error: none of these echo a `...-customer-key` value.
"""

from __future__ import annotations

from objstore.sse import names


class SseError(Exception):
    """An SSE request that AWS would refuse, as code, message, status and extra elements."""

    def __init__(self, code: str, message: str, status: int,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra: dict[str, str] = dict(extra or {})


def invalid_argument(message: str, name: str, value: str | None) -> SseError:
    return SseError("InvalidArgument", message, 400,
                    {"ArgumentName": name, "ArgumentValue": "null" if value is None else value})


def invalid_request(message: str) -> SseError:
    return SseError("InvalidRequest", message, 400)


# --- headers an operation does not take (§3.1, §5.4, §6.2, §6.6) ---------------------

def not_supported(name: str, value: str) -> SseError:
    """An SSE-S3/KMS header on GET/HEAD or on a part request. AWS's text for UploadPart
    (captured in public issue trackers); GET/HEAD use it too (§5.4 only says 400)."""
    return invalid_argument(f"{name} header is not supported for this operation.", name, value)


# --- SSE-S3 / SSE-KMS / DSSE-KMS (§4.1, §4.2, §4.5, §4.6) ----------------------------

KMS_REQUIRES_HEADER = ("Server Side Encryption with AWS KMS managed key requires HTTP header "
                       "x-amz-server-side-encryption : aws:kms")
UNSUPPORTED_METHOD = "The encryption method specified is not supported"
BAD_CONTEXT = ("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded "
               "UTF-8 string holding JSON which represents a string-string map")


def kms_requires_header(sse: str | None) -> SseError:
    """KEYID or CTX without `SSE: aws:kms[:dsse]`, including `AES256` + KEYID (§4.1 4-5)."""
    return invalid_argument(KMS_REQUIRES_HEADER, names.SSE, sse)


def unsupported_method(sse: str) -> SseError:
    """Any SSE value but AES256 / aws:kms / aws:kms:dsse, the empty string included (§4.6)."""
    return invalid_argument(UNSUPPORTED_METHOD, names.SSE, sse)


def bad_context(value: str) -> SseError:
    return invalid_argument(BAD_CONTEXT, names.CONTEXT, value)


KMS_NEEDS_SIGV4 = ("Requests specifying Server Side Encryption with AWS KMS managed keys "
                   "require AWS Signature Version 4.")


def kms_needs_sigv4() -> SseError:
    """An SSE-KMS write, or a read of an SSE-KMS object, signed with SigV2 (§4.5)."""
    return invalid_argument(KMS_NEEDS_SIGV4, "Authorization", None)


def key_in_other_region(region: str) -> SseError:
    """A KEYID that is the ARN of a key in another region, as S3 words it (§4.5)."""
    return SseError("KMS.NotFoundException", f"Invalid arn {region}", 400)


def invalid_key_id(key_id: str) -> SseError:
    """A KEYID that cannot name a KMS key, as S3 relays KMS's answer (§4.5)."""
    return SseError("KMS.NotFoundException", f"Invalid keyId '{key_id}'", 400)


# --- SSE-C (§5.2-§5.5, §8.4) ------------------------------------------------------------

BLOCKED_TAIL = ("because this bucket has blocked upload requests that specify Server Side "
                "Encryption with Customer provided keys (SSE-C). Please specify a different "
                "server-side encryption type")
INCOMPATIBLE = ("Server Side Encryption with Customer provided key is incompatible with the "
                "encryption method specified")
BAD_ALGORITHM = "The Encryption request you specified is not valid. Supported value: AES256."
NEED_ALGORITHM = ("Requests specifying Server Side Encryption with Customer provided keys must "
                  "provide a valid encryption algorithm.")
NEED_KEY = ("Requests specifying Server Side Encryption with Customer provided keys must "
            "provide an appropriate secret key.")
NEED_MD5 = ("Requests specifying Server Side Encryption with Customer provided keys must "
            "provide the client calculated MD5 of the secret key.")
MD5_MISMATCH = "The calculated MD5 hash of the key did not match the hash that was provided."
BAD_KEY = "The secret key was invalid for the specified algorithm."
NEED_TLS = ("Requests specifying Server Side Encryption with Customer provided keys must be "
            "made over a secure connection.")
WRONG_KEY = ("Requests specifying Server Side Encryption with Customer provided keys must "
             "provide the correct secret key.")
KEY_REQUIRED = ("The object was stored using a form of Server Side Encryption. The correct "
                "parameters must be provided to retrieve the object.")
NOT_APPLICABLE = "The encryption parameters are not applicable to this object."
PART_NEEDS_KEY = ("The multipart upload initiate requested encryption. Subsequent part "
                  "requests must include the appropriate encryption parameters.")
PART_KEY_MISMATCH = "The provided encryption parameters did not match the ones used originally."

# The IAM action AWS names in the blocked-SSE-C message: s3:PutObject (User Guide) and
# s3:CopyObject (a captured CopyObject); multipart requests are s3:PutObject in IAM.
_BLOCKED_ACTIONS = {names.COPY_OBJECT: "s3:CopyObject"}


def ssec_blocked(operation: str, principal: str | None, resource: str | None) -> SseError:
    """403 for an SSE-C write to a bucket whose BlockedEncryptionTypes holds SSE-C (§8.4).
    AWS's message names the requester and the object ARN; without them: "Access Denied"."""
    if principal is None or resource is None:
        return SseError("AccessDenied", "Access Denied", 403)
    action = _BLOCKED_ACTIONS.get(operation, "s3:PutObject")
    return SseError("AccessDenied", f'User: {principal} is not authorized to perform: {action} '
                    f'on resource: "{resource}" {BLOCKED_TAIL}', 403)


def ssec_incompatible(sse: str) -> SseError:
    return invalid_argument(INCOMPATIBLE, names.SSE, sse)


def ssec_argument(message: str) -> SseError:
    """A malformed SSE-C triple: AWS names `x-amz-server-side-encryption` with the value
    null in these errors (captured for the algorithm and MD5 rows; kept for all)."""
    return invalid_argument(message, names.SSE, None)


def ssec_bad_algorithm(value: str) -> SseError:
    return SseError("InvalidEncryptionAlgorithmError", BAD_ALGORITHM, 400,
                    {"ArgumentName": names.SSE, "ArgumentValue": value})


def ssec_needs_tls() -> SseError:
    """SSE-C over plain HTTP when the server requires TLS (§5.2: AWS's text is not captured;
    this is MinIO's)."""
    return invalid_request(NEED_TLS)


def wrong_key() -> SseError:
    """The key is well-formed but not the object's (§5.4): 403, not 400."""
    return SseError("AccessDenied", WRONG_KEY, 403)

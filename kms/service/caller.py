"""Who is calling the KMS, and through what: the principal every policy check and audit
record is about."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    arn: str                          # arn:aws:iam::111122223333:user/alice
    account_id: str
    user_name: str
    region: str = "us-east-1"         # from the request's SigV4 scope
    invoked_by: str | None = None     # "s3.amazonaws.com" when S3 calls on the user's behalf
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    request_id: str = ""
    access_key: str = ""

    @property
    def via_service(self) -> str | None:
        """kms:ViaService as a policy sees it (s3.us-east-1.amazonaws.com)."""
        if self.invoked_by is None:
            return None
        return f"{self.invoked_by.split('.', 1)[0]}.{self.region}.amazonaws.com"

    @property
    def principal_type(self) -> str:
        return "Root" if self.arn.endswith(":root") else "IAMUser"

"""Keys: the AWS-managed and customer-managed lists, a key's page, creating a key,
enabling and disabling one. Every call is made as the signed-in identity, so what the
page shows and allows is what the key policies allow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kms.service.caller import Caller
from kms.service.errors import KmsError
from kms.service.service import KmsService
from objstore.console import as_user, state
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.render import redirect, render

routes = web.RouteTableDef()

# What the create form offers: (KeySpec, KeyUsage) pairs this KMS makes.
KEY_TYPES = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Symmetric, encrypt and decrypt (for SSE-KMS)"),
    ("RSA_2048", "ENCRYPT_DECRYPT", "RSA 2048, encrypt and decrypt"),
    ("RSA_2048", "SIGN_VERIFY", "RSA 2048, sign and verify"),
    ("RSA_3072", "SIGN_VERIFY", "RSA 3072, sign and verify"),
    ("RSA_4096", "ENCRYPT_DECRYPT", "RSA 4096, encrypt and decrypt"),
    ("ECC_NIST_P256", "SIGN_VERIFY", "ECC NIST P-256, sign and verify"),
    ("ECC_NIST_P384", "SIGN_VERIFY", "ECC NIST P-384, sign and verify"),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "ECC secp256k1, sign and verify"),
    ("HMAC_256", "GENERATE_VERIFY_MAC", "HMAC 256, generate and verify MACs"),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "HMAC 512, generate and verify MACs"),
]


@dataclass
class KeyRow:
    key_id: str
    arn: str
    aliases: list[str] = field(default_factory=list)
    meta: dict[str, Any] | None = None
    error: ConsoleError | None = None   # DescribeKey refused: the key is listed, no more

    @property
    def aws_managed(self) -> bool:
        if self.meta is not None:
            return bool(self.meta["KeyManager"] == "AWS")
        return any(alias.startswith("alias/aws/") for alias in self.aliases)


def _key_rows(kms: KmsService, caller: Caller) -> list[KeyRow]:
    """ListKeys and ListAliases (no key policy is asked), then DescribeKey per key."""
    rows: list[KeyRow] = []
    marker: str | None = None
    while True:
        page = kms.list_keys(caller, limit=1000, marker=marker)
        rows += [KeyRow(key_id=k["KeyId"], arn=k["KeyArn"]) for k in page["Keys"]]
        marker = page.get("NextMarker")
        if not page["Truncated"]:
            break
    aliases: dict[str, list[str]] = {}
    for alias in kms.list_aliases(caller, limit=1000)["Aliases"]:
        if "TargetKeyId" in alias:
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    for row in rows:
        row.aliases = aliases.get(row.key_id, [])
        try:
            row.meta = kms.describe_key(caller, key_id=row.key_id)["KeyMetadata"]
        except KmsError as error:
            row.error = KmsFailure(error)
    return rows


@routes.get("/keys", name="keys")
async def key_list(request: web.Request) -> web.Response:
    rows = await as_user.run(request, _key_rows)
    return render(request, "keys/list.html", section="keys",
                  aws_keys=[r for r in rows if r.aws_managed],
                  customer_keys=[r for r in rows if not r.aws_managed])


@routes.get("/keys/new", name="key_new")
async def new_key_form(request: web.Request) -> web.Response:
    return _create_form(request, {"key_type": "0", "alias": "", "description": ""}, None)


def _create_form(request: web.Request, values: dict[str, str], error: ConsoleError | None,
                 status: int = 200) -> web.Response:
    return render(request, "keys/new.html", status=status, section="keys",
                  key_types=KEY_TYPES, values=values, error=error)


@routes.post("/keys", name="key_create")
async def create_key(request: web.Request) -> web.Response:
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in ("alias", "description", "key_type")}
    try:
        spec, usage, _ = KEY_TYPES[int(values["key_type"])]
    except (ValueError, IndexError):
        return _create_form(request, values, ConsoleError("Choose a key type"), 400)
    alias = values["alias"].strip()
    if alias and not alias.startswith("alias/"):
        alias = "alias/" + alias
    try:
        created = await as_user.call(request, "create_key", description=values["description"],
                                     key_spec=spec, key_usage=usage)
    except KmsFailure as failure:
        return _create_form(request, values, failure, failure.status)
    key_id = created["KeyMetadata"]["KeyId"]
    if alias:
        outcome = await as_user.attempt(request, "create_alias", alias_name=alias,
                                        target_key_id=key_id)
        if outcome.error is not None:
            state.flash(request, f"The key was created, but not its alias: "
                        f"{outcome.error.banner}", "error")
    state.flash(request, f"Created key {key_id}.")
    return redirect(request, "key", key_id=key_id)


@routes.get("/keys/{key_id}", name="key")
async def key_page(request: web.Request) -> web.Response:
    key_id = request.match_info["key_id"]
    meta = (await as_user.call(request, "describe_key", key_id=key_id))["KeyMetadata"]
    key_id = meta["KeyId"]
    aliases = await as_user.attempt(request, "list_aliases", key_id=key_id)
    rotation = await as_user.attempt(request, "get_key_rotation_status", key_id=key_id)
    policy = await as_user.attempt(request, "get_key_policy", key_id=key_id)
    return render(request, "keys/detail.html", section="keys", meta=meta,
                  aliases=aliases, rotation=rotation, policy=policy)


@routes.post("/keys/{key_id}/enable", name="key_enable")
async def enable_key(request: web.Request) -> web.Response:
    key_id = request.match_info["key_id"]
    await as_user.act(request, "enable_key", "Key enabled: it can be used again.",
                      key_id=key_id)
    return redirect(request, "key", key_id=key_id)


@routes.post("/keys/{key_id}/disable", name="key_disable")
async def disable_key(request: web.Request) -> web.Response:
    key_id = request.match_info["key_id"]
    await as_user.act(request, "disable_key", "Key disabled: nothing can be encrypted or "
                      "decrypted with it (objects under it cannot be read) until it is "
                      "enabled again.", key_id=key_id)
    return redirect(request, "key", key_id=key_id)

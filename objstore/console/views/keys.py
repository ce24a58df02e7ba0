"""Keys: the AWS-managed and customer-managed lists, creating a key (every type, KMS-made
or imported material), and a key's page: what it is, its material and rotations, its
policy in plain words, grants, tags, recent use. Every call is made as the signed-in
identity, so what the page shows and allows is what the key policies allow.

The actions the page's forms post are in keys_actions (state, rotation, policy, grants,
tags), keys_import (imported key material) and keys_use (try it, public key)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kms.crypto import asymmetric
from kms.crypto.errors import UnsupportedKeySpec
from kms.service.caller import Caller
from kms.service.errors import KmsError
from kms.service.service import KmsService
from objstore.console import as_user, state
from objstore.console.as_user import Attempt
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.render import redirect, render
from objstore.http.context import CONTEXT
from objstore.inspection import kms_keys

routes = web.RouteTableDef()

# Where an action may send the browser back to instead of the key's page: a lesson page
# (its forms post here with a hidden `back` field), never anywhere else.
_BACK = re.compile(r"^/console/lessons/[a-z0-9_/-]+(\?key=[0-9a-f-]{36})?(#[a-z0-9-]+)?$")


def safe_back(value: object, key_id: str | None = None) -> str | None:
    """A `back` form field that names a lesson page, with `key_id` as its ?key=; else None."""
    text = str(value or "")
    if not _BACK.match(text):
        return None
    if key_id is not None:
        path, _, anchor = text.partition("#")
        path = path.split("?", 1)[0] + f"?key={key_id}"
        text = path + (f"#{anchor}" if anchor else "")
    return text


def to_back(target: str) -> web.Response:
    return web.Response(status=303, headers={"Location": target})

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
ORIGINS = [("AWS_KMS", "The KMS generates it (AWS_KMS)"),
           ("EXTERNAL", "I import my own (EXTERNAL): the key waits in PendingImport")]
# The grant operations the form offers, per KeyUsage (the KMS refuses others per key).
GRANT_OPERATIONS = {
    "ENCRYPT_DECRYPT": ["Encrypt", "Decrypt", "GenerateDataKey",
                        "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
                        "DescribeKey", "CreateGrant", "RetireGrant"],
    "SIGN_VERIFY": ["Sign", "Verify", "GetPublicKey", "DescribeKey", "CreateGrant",
                    "RetireGrant"],
    "GENERATE_VERIFY_MAC": ["GenerateMac", "VerifyMac", "DescribeKey", "CreateGrant",
                            "RetireGrant"],
}
RECENT_EVENTS = 10
# The console's own reads of a key (this page asks DescribeKey, GetKeyPolicy, ...): left
# out of "recent use", which is about who used and changed the key.
_CONSOLE_READS = ("Describe", "Get", "List")


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


# -- creating ----------------------------------------------------------------------------

@routes.get("/keys/new", name="key_new")
async def new_key_form(request: web.Request) -> web.Response:
    origin = "EXTERNAL" if request.query.get("origin") == "EXTERNAL" else "AWS_KMS"
    return _create_form(request, {"key_type": "0", "alias": "", "description": "",
                                  "origin": origin}, None)


def _create_form(request: web.Request, values: dict[str, str], error: ConsoleError | None,
                 status: int = 200) -> web.Response:
    return render(request, "keys/new.html", status=status, section="keys",
                  key_types=KEY_TYPES, origins=ORIGINS, values=values, error=error)


@routes.post("/keys", name="key_create")
async def create_key(request: web.Request) -> web.Response:
    form = await request.post()
    values = {name: str(form.get(name, ""))
              for name in ("alias", "description", "key_type", "origin")}
    values["origin"] = values["origin"] or "AWS_KMS"
    try:
        spec, usage, _ = KEY_TYPES[int(values["key_type"])]
    except (ValueError, IndexError):
        return _create_form(request, values, ConsoleError("Choose a key type"), 400)
    if values["origin"] not in dict(ORIGINS):
        return _create_form(request, values, ConsoleError("Choose where the key material "
                                                          "comes from"), 400)
    alias = values["alias"].strip()
    if alias and not alias.startswith("alias/"):
        alias = "alias/" + alias
    try:
        created = await as_user.call(request, "create_key", description=values["description"],
                                     key_spec=spec, key_usage=usage, origin=values["origin"])
    except KmsFailure as failure:
        return _create_form(request, values, failure, failure.status)
    key_id = created["KeyMetadata"]["KeyId"]
    if alias:
        outcome = await as_user.attempt(request, "create_alias", alias_name=alias,
                                        target_key_id=key_id)
        if outcome.error is not None:
            state.flash(request, f"The key was created, but not its alias: "
                        f"{outcome.error.banner}", "error")
    back = safe_back(form.get("back"), key_id)
    if values["origin"] == "EXTERNAL":
        state.flash(request, f"Created key {key_id}. It has no key material yet "
                    "(PendingImport): import yours to enable it.")
        return redirect(request, "key_import", key_id=key_id)
    state.flash(request, f"Created key {key_id}.")
    if back:
        return to_back(back)
    return redirect(request, "key", key_id=key_id)


# -- a key's page ------------------------------------------------------------------------

@dataclass
class KeyPage:
    meta: dict[str, Any]
    aliases: Attempt
    rotation: Attempt
    rotations: Attempt
    policy: Attempt
    grants: Attempt
    tags: Attempt
    public_key: Attempt | None                 # asymmetric keys only
    access: list[kms_keys.PrincipalAccess] | None = None   # when the policy was readable
    named: list[str] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)


def _attempt(work: Any) -> Attempt:
    try:
        return Attempt(result=work())
    except KmsError as error:
        return Attempt(error=KmsFailure(error))


def key_page_data(kms: KmsService, caller: Caller, key_id: str,
                  principals: list[str]) -> KeyPage:
    """Everything the key page shows, in one hop to the KMS thread. DescribeKey must be
    allowed (else the page is the refusal); each other part shows its own refusal."""
    meta = kms.describe_key(caller, key_id=key_id)["KeyMetadata"]
    key_id = meta["KeyId"]
    symmetric = meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    page = KeyPage(
        meta=meta,
        aliases=_attempt(lambda: kms.list_aliases(caller, key_id=key_id)),
        rotation=_attempt(lambda: kms.get_key_rotation_status(caller, key_id=key_id)),
        rotations=_attempt(lambda: kms.list_key_rotations(
            caller, key_id=key_id, include_key_material="ALL_KEY_MATERIAL")) if symmetric
        else Attempt(result={"Rotations": []}),
        policy=_attempt(lambda: kms.get_key_policy(caller, key_id=key_id)),
        grants=_attempt(lambda: kms.list_grants(caller, key_id=key_id, limit=100)),
        tags=_attempt(lambda: kms.list_resource_tags(caller, key_id=key_id)),
        public_key=None)
    if not symmetric and meta["KeySpec"].startswith(("RSA", "ECC")) \
            and meta["KeyState"] == "Enabled":
        page.public_key = _attempt(lambda: public_key_texts(kms, caller, key_id))
    if page.policy.ok:
        # The summary reads the key record as the inspection does (no KMS call, no audit
        # record): shown only to a caller the policy lets read the policy itself.
        record = kms.snapshot().get_key(key_id)
        if record is not None:
            page.access = kms_keys.key_access(record, kms.snapshot(), principals,
                                              account=record.account, region=record.region)
            page.named = kms_keys.named_principals(record)
    page.recent = recent_use(kms, meta["Arn"], RECENT_EVENTS)
    return page


def recent_use(kms: KmsService, key_arn: str, count: int) -> list[dict[str, Any]]:
    """The newest `count` audit records about the key, the console's own reads left out."""
    shown: list[dict[str, Any]] = []
    for record in kms.audit_trail(key=key_arn, limit=20 * count):
        if str(record.get("userAgent", "")).startswith(as_user.USER_AGENT) and \
                str(record.get("eventName", "")).startswith(_CONSOLE_READS):
            continue
        shown.append(record)
        if len(shown) >= count:
            break
    return shown


def public_key_texts(kms: KmsService, caller: Caller, key_id: str) -> dict[str, Any]:
    """GetPublicKey, as PEM and as an OpenSSH line (the conversion `objstore kms
    public-key` uses); "openssh_error" when OpenSSH has no name for the curve."""
    der = kms.get_public_key(caller, key_id=key_id)["PublicKey"]
    texts: dict[str, Any] = {"pem": asymmetric.pem_public(der), "openssh": None,
                             "openssh_error": ""}
    try:
        texts["openssh"] = asymmetric.openssh_public(der, comment=key_id)
    except UnsupportedKeySpec as error:
        texts["openssh_error"] = str(error)
    return texts


def principals_of(request: web.Request) -> list[str]:
    """The account's identities, by ARN, and the account itself."""
    ctx = request.app[CONTEXT]
    identity = state.user(request)
    arns = [i.arn for i in ctx.identities.list() if i.account_id == identity.account_id]
    return list(dict.fromkeys(arns))


@routes.get("/keys/{key_id}", name="key")
async def key_page(request: web.Request) -> web.Response:
    key_id = request.match_info["key_id"]
    principals = principals_of(request)
    page = await as_user.run(request, lambda kms, who: key_page_data(kms, who, key_id,
                                                                     principals))
    return render(request, "keys/detail.html", section="keys", page=page, meta=page.meta,
                  aliases=page.aliases, rotation=page.rotation, policy=page.policy,
                  me=state.user(request).arn, grant_operations=GRANT_OPERATIONS,
                  admin_actions=kms_keys.ADMIN_ACTIONS)

"""Imported key material (Origin EXTERNAL), as the AWS console walks it: get a wrapping
public key and an import token (GetParametersForImport), download both, make and wrap the
material locally with the `openssl` commands shown, then upload the wrapped material and
the token (ImportKeyMaterial) with an expiry, and the key becomes Enabled.

The wrapping public key and the import token are not secret (the token only lets that one
wrapping key's ciphertext in, for 24 hours); they are kept in the session between the
steps so they can be downloaded. The key material never reaches the console in clear:
only its wrapped form is uploaded, and it is passed to the KMS without being written
anywhere."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
from aiohttp import web

from kms.crypto import importing
from objstore.console import as_user, state
from objstore.console.errors import ConsoleError, KmsFailure
from objstore.console.middleware import accepts_uploads
from objstore.console.render import redirect, render, when
from objstore.http.context import CONTEXT

routes = web.RouteTableDef()

SESSION_KEY = "import_parameters"   # session.data[...][key_id] -> what GetParameters gave
MAX_PART = 64 * 1024                # wrapped RSA-4096 key material is well under this
MAX_VALID_DAYS = 365
WRAPPING_ALGORITHMS = [
    ("RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_256 (RSA-OAEP, SHA-256): symmetric and HMAC "
                           "material"),
    ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_1 (RSA-OAEP, SHA-1): symmetric and HMAC material"),
    ("RSA_AES_KEY_WRAP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256 (RSA-OAEP + AES key wrap): any "
                                 "material, needed for RSA and ECC private keys"),
    ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1 (RSA-OAEP + AES key wrap)"),
]
WRAPPING_SPECS = list(importing.WRAPPING_KEY_SPECS)
FILES = {"WrappingPublicKey.bin": "public", "ImportToken.bin": "token"}

_OAEP = {"SHA_256": "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 "
                    "-pkeyopt rsa_mgf1_md:sha256",
         "SHA_1": "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1"}
_RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_CURVES = {"ECC_NIST_P256": "P-256", "ECC_NIST_P384": "P-384", "ECC_NIST_P521": "P-521",
           "ECC_SECG_P256K1": "secp256k1"}
_HMAC_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}


def make_material_command(key_spec: str) -> str:
    """The openssl command that makes PlaintextKeyMaterial.bin for a key of `key_spec`."""
    if key_spec in _RSA_BITS:
        return (f"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:{_RSA_BITS[key_spec]}"
                " | openssl pkcs8 -topk8 -outform DER -nocrypt -out PlaintextKeyMaterial.bin")
    if key_spec in _CURVES:
        return (f"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:{_CURVES[key_spec]}"
                " | openssl pkcs8 -topk8 -outform DER -nocrypt -out PlaintextKeyMaterial.bin")
    size = _HMAC_BYTES.get(key_spec, 32)
    return f"openssl rand -out PlaintextKeyMaterial.bin {size}"


def wrap_commands(algorithm: str) -> list[str]:
    """The openssl commands that wrap PlaintextKeyMaterial.bin with WrappingPublicKey.bin
    into EncryptedKeyMaterial.bin for `algorithm` (as the AWS KMS guide gives them)."""
    digest = "SHA_256" if algorithm.endswith("SHA_256") else "SHA_1"
    pkeyutl = ("openssl pkeyutl -encrypt -pubin -inkey WrappingPublicKey.bin -keyform DER "
               "-in {src} -out {dst} " + _OAEP[digest])
    if algorithm.startswith("RSAES_OAEP"):
        return [pkeyutl.format(src="PlaintextKeyMaterial.bin", dst="EncryptedKeyMaterial.bin")]
    return [
        "openssl rand -out aes-key.bin 32",
        "openssl enc -id-aes256-wrap-pad -K \"$(xxd -p < aes-key.bin | tr -d '\\n')\" "
        "-iv A65959A6 -in PlaintextKeyMaterial.bin -out key-material-wrapped.bin",
        pkeyutl.format(src="aes-key.bin", dst="aes-key-wrapped.bin"),
        "cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin",
        "rm aes-key.bin",
    ]


def _key_id(request: web.Request) -> str:
    return request.match_info["key_id"]


def _held(request: web.Request, key_id: str) -> dict[str, Any] | None:
    held = state.session(request).data.get(SESSION_KEY, {})
    return held.get(key_id) if isinstance(held, dict) else None


@routes.get("/keys/{key_id}/import", name="key_import")
async def import_page(request: web.Request) -> web.Response:
    meta = (await as_user.call(request, "describe_key", key_id=_key_id(request)))["KeyMetadata"]
    held = _held(request, meta["KeyId"])
    kms_now = request.app[CONTEXT].kms.clock.now()
    if held is not None and held["valid_to"] <= kms_now:
        held = None   # the token has expired: ask for new parameters
    return render(request, "keys/import.html", section="keys", meta=meta, held=held,
                  algorithms=WRAPPING_ALGORITHMS, specs=WRAPPING_SPECS,
                  make_material=make_material_command(meta["KeySpec"]),
                  commands=wrap_commands(held["algorithm"]) if held else [],
                  b64=lambda data: base64.b64encode(data).decode(),
                  max_valid_days=MAX_VALID_DAYS)


@routes.post("/keys/{key_id}/import/parameters", name="key_import_parameters")
async def get_parameters(request: web.Request) -> web.Response:
    form = await request.post()
    algorithm = str(form.get("wrapping_algorithm", ""))
    spec = str(form.get("wrapping_key_spec", ""))
    try:
        got = await as_user.call(request, "get_parameters_for_import", key_id=_key_id(request),
                                 wrapping_algorithm=algorithm, wrapping_key_spec=spec)
    except KmsFailure as failure:
        state.flash(request, failure.banner, "error")
        return redirect(request, "key_import", key_id=_key_id(request))
    key_id = got["KeyId"].rsplit("/", 1)[-1]
    held = state.session(request).data.setdefault(SESSION_KEY, {})
    held[key_id] = {"algorithm": algorithm, "spec": spec, "public": bytes(got["PublicKey"]),
                    "token": bytes(got["ImportToken"]), "valid_to": got["ParametersValidTo"]}
    state.flash(request, f"Wrapping public key and import token ready ({algorithm}, {spec}); "
                f"they can be used until {when(got['ParametersValidTo'])} (KMS time).")
    return redirect(request, "key_import", key_id=key_id)


@routes.get("/keys/{key_id}/import/{file:WrappingPublicKey\\.bin|ImportToken\\.bin}",
            name="key_import_file")
async def download(request: web.Request) -> web.Response:
    held = _held(request, _key_id(request))
    if held is None:
        raise ConsoleError("Nothing to download yet", "Get the wrapping public key and "
                           "import token first, on the import page.", status=404)
    name = request.match_info["file"]
    return web.Response(body=held[FILES[name]], content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _read_parts(request: web.Request) -> dict[str, bytes]:
    reader = request[state.MULTIPART]
    parts: dict[str, bytes] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
            continue
        data = bytearray()
        while chunk := await part.read_chunk(16 * 1024):
            data += chunk
            if len(data) > MAX_PART:
                raise ConsoleError("That file is too large", f"{part.name} is over "
                                   f"{MAX_PART // 1024} KiB: it is not wrapped key material "
                                   "or an import token. Nothing was imported.", status=413)
        parts[part.name] = bytes(data)
    return parts


@routes.post("/keys/{key_id}/import/material", name="key_import_material")
@accepts_uploads
async def import_material(request: web.Request) -> web.Response:
    key_id = _key_id(request)
    parts = await _read_parts(request)
    material = parts.get("encrypted_key_material", b"")
    token = parts.get("import_token", b"")
    if not token:
        held = _held(request, key_id)
        token = held["token"] if held else b""
    expiry = parts.get("expiration", b"never").decode("utf-8", "replace")
    problem = ""
    if not material:
        problem = "Choose the file of wrapped key material (EncryptedKeyMaterial.bin)."
    elif not token:
        problem = "Choose the import token file (ImportToken.bin), or get new parameters."
    valid_to: float | None = None
    model = "KEY_MATERIAL_DOES_NOT_EXPIRE"
    if not problem and expiry == "expires":
        try:
            days = float(parts.get("valid_days", b"").decode("utf-8", "replace"))
        except ValueError:
            days = 0.0
        if not 0 < days <= MAX_VALID_DAYS:
            problem = f"Give the days until the material expires: above 0, at most " \
                      f"{MAX_VALID_DAYS}."
        else:
            model = "KEY_MATERIAL_EXPIRES"
            valid_to = request.app[CONTEXT].kms.clock.now() + days * 86_400
    if problem:
        state.flash(request, f"{problem} Nothing was imported.", "error")
        return redirect(request, "key_import", key_id=key_id)
    try:
        await as_user.call(request, "import_key_material", key_id=key_id, import_token=token,
                           encrypted_key_material=material, expiration_model=model,
                           valid_to=valid_to)
    except KmsFailure as failure:
        state.flash(request, f"{failure.banner} Nothing was imported.", "error")
        return redirect(request, "key_import", key_id=key_id)
    held = state.session(request).data.get(SESSION_KEY, {})
    held.pop(key_id, None)
    state.flash(request, "Key material imported: the key is Enabled. " + (
        f"The material expires on {when(valid_to)} (KMS time); then the key is "
        "PendingImport until the same material is imported again."
        if valid_to else "The material does not expire."))
    return redirect(request, "key", key_id=key_id)

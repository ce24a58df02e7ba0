"""Using a key from its page, as the signed-in identity: "try it" (encrypt and decrypt a
short text, or sign and verify, or make and check a MAC) and the public key of an
asymmetric key, shown and downloaded as PEM or as an OpenSSH line.

"Try it" answers its POST with the result page itself instead of a redirect: the text and
what came back are shown once and kept nowhere (not in the session, a URL or a log), and
doing it again only repeats a harmless cryptographic call."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from kms.service.caller import Caller
from kms.service.service import KmsService
from objstore.console import as_user
from objstore.console.errors import ConsoleError
from objstore.console.render import render
from objstore.console.views.keys import public_key_texts

routes = web.RouteTableDef()
MAX_TEXT = 1024
RSA_ALGORITHM = "RSAES_OAEP_SHA_256"


def _key_id(request: web.Request) -> str:
    return request.match_info["key_id"]


def _context(text: str) -> dict[str, str] | None:
    """`name=value` pairs, one per line or comma separated: an encryption context."""
    pairs: dict[str, str] = {}
    for item in text.replace(",", "\n").splitlines():
        if item.strip():
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ConsoleError("The encryption context is not name=value pairs",
                                   f"Could not read {item.strip()!r}.")
            pairs[name.strip()] = value.strip()
    return pairs or None


async def _meta(request: web.Request) -> dict[str, Any]:
    return (await as_user.call(request, "describe_key", key_id=_key_id(request)))["KeyMetadata"]


def _page(request: web.Request, meta: dict[str, Any], values: dict[str, str],
          result: dict[str, Any] | None = None, error: ConsoleError | None = None,
          status: int = 200) -> web.Response:
    return render(request, "keys/try.html", status=status, section="keys", meta=meta,
                  values=values, result=result, error=error, max_text=MAX_TEXT)


@routes.get("/keys/{key_id}/try", name="key_try")
async def try_form(request: web.Request) -> web.Response:
    return _page(request, await _meta(request), {"text": "hello", "context": "",
                                                 "ciphertext": ""})


@routes.post("/keys/{key_id}/try", name="key_try_post")
async def try_it(request: web.Request) -> web.Response:
    meta = await _meta(request)
    form = await request.post()
    values = {name: str(form.get(name, "")) for name in ("text", "context", "ciphertext")}
    what = str(form.get("do", "roundtrip"))
    try:
        context = _context(values["context"])
        if what == "decrypt":
            try:
                blob = base64.b64decode(values["ciphertext"].strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ConsoleError("The ciphertext is not base64", "Paste the ciphertext "
                                   "exactly as it was shown.") from None
            result = await as_user.run(request, lambda kms, who: _decrypt(
                kms, who, meta, blob, context))
        else:
            message = values["text"].encode()
            if not 1 <= len(message) <= MAX_TEXT:
                raise ConsoleError(f"Give a text of 1 to {MAX_TEXT} bytes")
            result = await as_user.run(request, lambda kms, who: _roundtrip(
                kms, who, meta, message, context))
    except ConsoleError as error:
        return _page(request, meta, values, error=error, status=error.status)
    return _page(request, meta, values, result=result)


def _decrypt(kms: KmsService, who: Caller, meta: dict[str, Any], blob: bytes,
             context: dict[str, str] | None) -> dict[str, Any]:
    extra = {} if meta["KeySpec"] == "SYMMETRIC_DEFAULT" else {
        "encryption_algorithm": RSA_ALGORITHM}
    opened = kms.decrypt(who, ciphertext_blob=blob, key_id=meta["KeyId"],
                         encryption_context=context, **extra)
    return {"kind": "decrypt", "plaintext": _text(opened["Plaintext"]),
            "key_material_id": opened.get("KeyMaterialId", "")}


def _roundtrip(kms: KmsService, who: Caller, meta: dict[str, Any], message: bytes,
               context: dict[str, str] | None) -> dict[str, Any]:
    key_id, usage = meta["KeyId"], meta["KeyUsage"]
    if usage == "SIGN_VERIFY":
        algorithm = meta["SigningAlgorithms"][0]
        signed = kms.sign(who, key_id=key_id, message=message, signing_algorithm=algorithm)
        checked = kms.verify(who, key_id=key_id, message=message,
                             signature=signed["Signature"], signing_algorithm=algorithm)
        return {"kind": "sign", "algorithm": algorithm,
                "signature": base64.b64encode(signed["Signature"]).decode(),
                "valid": checked["SignatureValid"]}
    if usage == "GENERATE_VERIFY_MAC":
        algorithm = meta["MacAlgorithms"][0]
        made = kms.generate_mac(who, key_id=key_id, message=message, mac_algorithm=algorithm)
        checked = kms.verify_mac(who, key_id=key_id, message=message, mac=made["Mac"],
                                 mac_algorithm=algorithm)
        return {"kind": "mac", "algorithm": algorithm,
                "mac": base64.b64encode(made["Mac"]).decode(), "valid": checked["MacValid"]}
    symmetric = meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    extra = {} if symmetric else {"encryption_algorithm": RSA_ALGORITHM}
    if not symmetric:
        context = None   # asymmetric encryption takes no encryption context
    sealed = kms.encrypt(who, key_id=key_id, plaintext=message, encryption_context=context,
                         **extra)
    opened = kms.decrypt(who, ciphertext_blob=sealed["CiphertextBlob"], key_id=key_id,
                         encryption_context=context, **extra)
    return {"kind": "encrypt", "algorithm": sealed["EncryptionAlgorithm"],
            "ciphertext": base64.b64encode(sealed["CiphertextBlob"]).decode(),
            "plaintext": _text(opened["Plaintext"]),
            "same": opened["Plaintext"] == message,
            "key_material_id": opened.get("KeyMaterialId", "")}


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- the public key ------------------------------------------------------------------------

_FORMATS = {"pem": ("pem", "application/x-pem-file", "public-key.pem"),
            "openssh": ("openssh", "text/plain", "public-key.pub")}


@routes.get("/keys/{key_id}/public-key.{fmt:pem|pub}", name="key_public_key")
async def public_key_download(request: web.Request) -> web.Response:
    key_id = _key_id(request)
    fmt = "pem" if request.match_info["fmt"] == "pem" else "openssh"
    field, content_type, filename = _FORMATS[fmt]
    texts = await as_user.run(request, lambda kms, who: public_key_texts(kms, who, key_id))
    if texts[field] is None:
        raise ConsoleError("No OpenSSH form for this key", texts["openssh_error"])
    body = texts[field] if texts[field].endswith("\n") else texts[field] + "\n"
    safe_id = "".join(c for c in key_id if c.isalnum() or c == "-")[:64]
    return web.Response(text=body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{safe_id}-{filename}"'})


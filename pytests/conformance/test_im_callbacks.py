"""Card callbacks (feishu-api.md §6.3–6.10, §8.5): `POST /_emulator/click` sends what Feishu sends when a user presses a
card button, and lark-oapi's own handlers — `EventDispatcherHandler` for `card.action.trigger`, `CardActionHandler` for
the old protocol — verify, decrypt and answer it behind a plain HTTP server; the emulator applies the answer's card.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import lark_oapi as lark
from Crypto.Cipher import AES
from lark_oapi.core.model import RawRequest, RawResponse
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTrigger, P2CardActionTriggerResponse

from support import EmulatorProcess, assert_ok
from test_im import card, get, send, users

ENCRYPT_KEY = "conformance-encrypt-key"
VERIFICATION_TOKEN = "vt-conformance"  # set by flag for cli_conf_im_a (conftest.py)


@contextmanager
def serving(handler: lark.EventDispatcherHandler | lark.CardActionHandler) -> Iterator[tuple[str, list[dict]]]:
    """An HTTP server on 127.0.0.1 that hands every POST to a lark-oapi handler, the way the SDK's Flask adapter does
    (header names as they came over the wire). Yields its URL and the requests it saw."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = RawRequest()
            request.uri = self.path
            request.body = body
            request.headers = dict(self.headers.items())
            seen.append({"headers": dict(request.headers), "body": body})
            response: RawResponse = handler.do(request)
            self.send_response(response.status_code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(response.content or b"")))
            self.end_headers()
            self.wfile.write(response.content or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feishu/card", seen
    finally:
        server.shutdown()
        server.server_close()


def configure(emulator: EmulatorProcess, app: int, **settings: Any) -> dict:
    return emulator.admin_put(f"apps/{emulator.apps[app].app_id}/callback", settings)


def click(emulator: EmulatorProcess, **fields: Any) -> dict:
    return emulator.admin_post("click", fields)


def dispatcher(encrypt_key: str, on_click: Callable[[P2CardActionTrigger], P2CardActionTriggerResponse]):
    return (lark.EventDispatcherHandler.builder(encrypt_key, VERIFICATION_TOKEN, lark.LogLevel.CRITICAL)
            .register_p2_card_action_trigger(on_click).build())


def test_a_click_is_verified_by_the_event_dispatcher(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[0]
    sent = send(client, user["open_id"], "interactive", card("待审批", value={"op": "approve", "id": "42"}))
    assert_ok(sent)
    message_id = sent.data.message_id
    clicks: list[P2CardActionTrigger] = []
    done = json.loads(card("已同意"))

    def on_click(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
        clicks.append(data)
        return P2CardActionTriggerResponse({"toast": {"type": "success", "content": "已同意"}, "card": {"type": "raw", "data": done}})

    with serving(dispatcher(ENCRYPT_KEY, on_click)) as (url, seen):
        settings = configure(im_emulator, 0, url=url, encrypt_key=ENCRYPT_KEY)
        assert settings["verification_token"] == VERIFICATION_TOKEN and settings["protocol"] == "card.action.trigger"
        result = click(im_emulator, message_id=message_id, user=user["union_id"])

    assert result["ok"] is True and result["card_updated"] is True, result
    assert result["response"]["status"] == 200 and result["toast"]["content"] == "已同意"
    assert len(clicks) == 1
    event = clicks[0]
    assert event.header.event_type == "card.action.trigger" and event.header.token == VERIFICATION_TOKEN
    assert event.header.app_id == im_emulator.apps[0].app_id and event.header.event_id == result["event_id"]
    assert event.event.operator.open_id == user["open_id"] and event.event.operator.union_id == user["union_id"]
    assert event.event.operator.user_id == user["user_id"]
    assert event.event.action.value == {"op": "approve", "id": "42"} and event.event.action.tag == "button"
    assert event.event.context.open_message_id == message_id and event.event.context.open_chat_id == sent.data.chat_id
    assert event.event.token.startswith("c-") and event.event.host == "im_message"
    # The exact header names the SDK looks up, and an encrypted body.
    headers = seen[0]["headers"]
    assert {"X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"} <= set(headers)
    assert list(json.loads(seen[0]["body"])) == ["encrypt"]
    # The card the handler answered is now the message's card.
    got = get(client, message_id)
    assert_ok(got)
    assert json.loads(got.data.items[0].body.content) == done
    log = im_emulator.admin_get("callbacks", message_id=message_id)["items"]
    assert len(log) == 1 and log[0]["ok"] is True


def test_a_plaintext_click_passes_the_dispatcher_on_its_token(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[1]
    sent = send(client, user["open_id"], "interactive", card("无加密"))
    assert_ok(sent)
    clicks: list[P2CardActionTrigger] = []

    def on_click(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
        clicks.append(data)
        return P2CardActionTriggerResponse({})

    with serving(dispatcher("", on_click)) as (url, seen):
        configure(im_emulator, 0, url=url, encrypt_key=None)
        result = click(im_emulator, message_id=sent.data.message_id)
    assert result["ok"] is True and result["card_updated"] is False, result
    assert len(clicks) == 1 and clicks[0].event.operator.open_id == user["open_id"]
    assert "X-Lark-Signature" not in seen[0]["headers"]


def test_a_wrong_key_is_refused_and_changes_nothing(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[2]
    original = card("待审批")
    sent = send(client, user["open_id"], "interactive", original)
    assert_ok(sent)

    def on_click(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
        raise AssertionError("a forged callback reached the handler")

    with serving(dispatcher("not the app's key", on_click)) as (url, _):
        configure(im_emulator, 0, url=url, encrypt_key=ENCRYPT_KEY)
        wrong_key = click(im_emulator, message_id=sent.data.message_id)
    assert wrong_key["ok"] is False and wrong_key["response"]["status"] == 500, wrong_key  # cannot even decrypt it

    with serving(dispatcher(ENCRYPT_KEY, on_click)) as (url, _):
        configure(im_emulator, 0, url=url, encrypt_key=ENCRYPT_KEY)
        forged = click(im_emulator, message_id=sent.data.message_id, signature="0" * 64)
    assert forged["ok"] is False and forged["response"]["status"] == 500
    assert json.loads(forged["response"]["body"])["msg"] == "signature verification failed"
    got = get(client, sent.data.message_id)
    assert json.loads(got.data.items[0].body.content) == json.loads(original) and got.data.items[0].updated is False


def test_the_old_protocol_passes_the_card_action_handler(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(1)
    user = users(im_emulator, 1)[0]
    sent = send(client, user["open_id"], "interactive", card("旧协议", value={"op": "reject"}))
    assert_ok(sent)
    replaced = json.loads(card("已驳回"))
    cards: list[lark.Card] = []

    def on_card(data: lark.Card) -> dict:
        cards.append(data)
        return replaced

    handler = lark.CardActionHandler.builder(ENCRYPT_KEY, "vt-old-protocol", lark.LogLevel.CRITICAL).register(on_card).build()
    with serving(handler) as (url, _):
        configure(im_emulator, 1, url=url, protocol="card.action.trigger_v1", encrypt_key=ENCRYPT_KEY,
                  verification_token="vt-old-protocol")
        result = click(im_emulator, message_id=sent.data.message_id)
    assert result["ok"] is True and result["card_updated"] is True, result
    assert len(cards) == 1
    assert cards[0].open_id == user["open_id"] and cards[0].open_message_id == sent.data.message_id
    assert cards[0].action.value == {"op": "reject"} and cards[0].token.startswith("c-")
    got = get(client, sent.data.message_id)
    assert json.loads(got.data.items[0].body.content) == replaced


#: A card.action.trigger request built with lark-oapi's stack (pycryptodome AES-256-CBC, fixed IV 16…31, the SDK's
#: signature recipe); FeishuKit's `CallbackVerifierTests.aVectorFromLarkOapi` embeds the same bytes.
VECTOR_BODY = (
    '{"encrypt": "EBESExQVFhcYGRobHB0eH3tKKY4a0hhGN48YmrAB7aG6y8NjUc4rXrTv7cyXkwnTLBVxH3Mc1siLjkYmE6VX1wGQW/OVcOWtTOjBaG8il3BDfcCZvAwbYJRq949gT8BdkaPuWUBLWX8oIAU2nEkLnJHFVu7PvFGmPLFemYbe6Pn+jfZBoEEPs5SO5C/3MBKxw/JA825WLq8JsPjIerrTSf62vdUKOLNbgdQtYU1XbJXM/R551cSPpGPkfQM4tQ2dN1DpsHneAy5n4SwxePEScFd4Yy08GLT9U9unh3GJ1SgwGbT33joKNCDz7YmpMylDFVFo3fnj2fAlRa4DMb35uAg8X2wXt0fkOz+asRUa6g3pqaxLQF+yuah3mRwFWhApFzL4eD10J9pUEL4OtQvGW4arYXjKJ4feeX6kNHSxfSY1ubavSLHCzGe8UZPYBdytWAQdDeYfvqHGdcLKiFFCtvsgWpxYm5Vj4KbvUdCMnv0ehQyRZDP37blCG2mVDzLgyb5/eb2jlULVNSp56S5fdX0iRlUbz5BaAQBRD8F1t9mZjzSlQvBWMy1yEZyMjAJz9DWNOsNdU/T1FUtTapT1md4IF42stDzRF2I5pARrZs/qtu6qmn9qdFQCsdjaSahM9Bn5nGyFYkU4HhKjl5K1kklBvV3XghNVVf8oFidTcyyvj8N0jj0e0/3XX07pQeWE"}'
)
VECTOR_SIGNATURE = "a50c52607efae0a0cfd2113d5c5e41e1478b1c1b39301f1239caa6dfdf518e21"


def test_the_feishukit_vector_is_what_lark_oapi_builds_and_accepts() -> None:
    encrypt_key, token = "lark-vector-encrypt-key", "lark-vector-verification-token"
    envelope = {"schema": "2.0", "header": {"event_id": "f7984f25108f8137722bb63cee927e66", "event_type": "card.action.trigger",
                "create_time": "1700000000000", "token": token, "app_id": "cli_vector", "tenant_key": "tk_vector"},
                "event": {"operator": {"tenant_key": "tk_vector", "user_id": "u_vector", "open_id": "ou_vector",
                                       "union_id": "on_vector"},
                          "token": "c-vector", "action": {"value": {"op": "approve", "id": 42}, "tag": "button"},
                          "host": "im_message", "context": {"open_message_id": "om_vector", "open_chat_id": "oc_vector"}}}
    raw = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    pad = 16 - len(raw) % 16
    iv = bytes(range(16, 32))
    ciphertext = AES.new(hashlib.sha256(encrypt_key.encode()).digest(), AES.MODE_CBC, iv).encrypt(raw + bytes([pad]) * pad)
    body = json.dumps({"encrypt": base64.b64encode(iv + ciphertext).decode()}).encode()
    assert body.decode() == VECTOR_BODY
    signature = hashlib.sha256(("1700000000" + "vector-nonce" + encrypt_key).encode() + body).hexdigest()
    assert signature == VECTOR_SIGNATURE

    seen: list[P2CardActionTrigger] = []
    handler = (lark.EventDispatcherHandler.builder(encrypt_key, token, lark.LogLevel.CRITICAL)
               .register_p2_card_action_trigger(lambda data: seen.append(data) or P2CardActionTriggerResponse({})).build())
    request = RawRequest()
    request.uri = "/feishu/card"
    request.body = body
    request.headers = {"X-Lark-Request-Timestamp": "1700000000", "X-Lark-Request-Nonce": "vector-nonce",
                       "X-Lark-Signature": signature}
    response = handler.do(request)
    assert response.status_code == 200, response.content
    assert seen[0].event.context.open_message_id == "om_vector"
    assert lark.core.utils.AESCipher(encrypt_key).decrypt_str(json.loads(body)["encrypt"]) == raw.decode()

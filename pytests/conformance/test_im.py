"""IM messages and images through lark-oapi (feishu-api.md §4, §8.6.4): create / get / patch a message, upload an
image, `uuid` dedupe, the 14-day window, per-recipient limits, and the platform's error codes.

The SDK types `create_time` / `update_time` as int while the platform sends millisecond strings (§1.9): those are
listed in `support.WIRE_EXCEPTIONS`.
"""

from __future__ import annotations

import base64
import io
import json
import uuid as uuidlib

import lark_oapi as lark
import pytest
import requests
from lark_oapi.api.im.v1 import (
    CreateImageRequest,
    CreateImageRequestBody,
    CreateMessageRequest,
    CreateMessageRequestBody,
    GetMessageRequest,
    PatchMessageRequest,
    PatchMessageRequestBody,
)
from lark_oapi.core.cache import LocalCache
from lark_oapi.core.token import TokenManager

from support import EmulatorProcess, assert_ok, error_dict, raw_json

#: A 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def users(emulator: EmulatorProcess, app: int = 0) -> list[dict]:
    """The org's users with this app's open_id as `open_id`."""
    app_id = emulator.apps[app].app_id
    found = [{**user, "open_id": user["open_ids"][app_id]} for user in emulator.state()["org"]["users"]
             if not user["is_resigned"]]
    assert len(found) >= 5
    return found


def card(title: str, shared: bool | None = True, value: dict | None = None) -> str:
    config: dict = {"wide_screen_mode": True}
    if shared is not None:
        config["update_multi"] = shared
    return json.dumps({
        "config": config,
        "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
        "elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": "**申请**：差旅"}},
            {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": "同意"}, "type": "primary",
                                           "value": value or {"op": "approve", "id": "42"}}]},
        ],
    }, ensure_ascii=False)


def send(client: lark.Client, receive_id: str, msg_type: str, content: str, *, id_type: str = "open_id",
         uuid: str | None = None):
    body = CreateMessageRequestBody.builder().receive_id(receive_id).msg_type(msg_type).content(content)
    if uuid is not None:
        body = body.uuid(uuid)
    return client.im.v1.message.create(CreateMessageRequest.builder().receive_id_type(id_type).request_body(body.build()).build())


def get(client: lark.Client, message_id: str):
    return client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())


def patch(client: lark.Client, message_id: str, content: str):
    body = PatchMessageRequestBody.builder().content(content).build()
    return client.im.v1.message.patch(PatchMessageRequest.builder().message_id(message_id).request_body(body).build())


def upload(client: lark.Client, data: bytes, image_type: str = "message"):
    body = CreateImageRequestBody.builder().image_type(image_type).image(io.BytesIO(data)).build()
    return client.im.v1.image.create(CreateImageRequest.builder().request_body(body).build())


def test_text_is_sent_and_read_back(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[0]
    content = json.dumps({"text": "你好，云桥"}, ensure_ascii=False)
    resp = send(client, user["open_id"], "text", content, uuid=uuidlib.uuid4().hex)
    assert_ok(resp)
    message = resp.data
    assert message.message_id.startswith("om_") and message.chat_id.startswith("oc_")
    assert message.msg_type == "text" and message.body.content == content
    assert message.deleted is False and message.updated is False
    assert message.sender.id == im_emulator.apps[0].app_id and message.sender.id_type == "app_id"
    assert message.sender.sender_type == "app"
    wire = raw_json(resp)["data"]
    assert isinstance(wire["create_time"], str) and wire["create_time"].isdigit()
    assert resp.get_log_id()

    got = get(client, message.message_id)
    assert_ok(got)
    assert [item.message_id for item in got.data.items] == [message.message_id]
    assert got.data.items[0].body.content == content

    # Every receive_id_type reaches the same single chat.
    for id_type, receive_id in (("union_id", user["union_id"]), ("user_id", user["user_id"]), ("email", user["email"])):
        other = send(client, receive_id, "text", content, id_type=id_type)
        assert_ok(other)
        assert other.data.chat_id == message.chat_id


def test_a_uuid_sends_once(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[1]
    key = "conf-" + uuidlib.uuid4().hex
    first = send(client, user["open_id"], "text", json.dumps({"text": "一次"}, ensure_ascii=False), uuid=key)
    again = send(client, user["open_id"], "text", json.dumps({"text": "一次"}, ensure_ascii=False), uuid=key)
    assert_ok(first)
    assert_ok(again)
    assert again.data.message_id == first.data.message_id
    held = im_emulator.admin_get("messages", uuid=key)
    assert held["total"] == 1
    assert held["items"][0]["receiver"]["union_id"] == user["union_id"]


def test_a_shared_card_is_patched(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[2]
    sent = send(client, user["open_id"], "interactive", card("待审批"))
    assert_ok(sent)
    message_id = sent.data.message_id
    done = card("已同意")
    resp = patch(client, message_id, done)
    assert resp.success(), resp.raw.content
    assert raw_json(resp) == {"code": 0, "msg": "success", "data": {}}
    got = get(client, message_id)
    assert_ok(got)
    assert got.data.items[0].updated is True
    assert json.loads(got.data.items[0].body.content) == json.loads(done)
    history = im_emulator.admin_get(f"messages/{message_id}")
    assert [update["source"] for update in history["updates"]] == ["patch"]

    # Not shared, or not a card: refused with 230001.
    unshared = send(client, user["open_id"], "interactive", card("独享", shared=None))
    assert_ok(unshared)
    refused = patch(client, unshared.data.message_id, card("x"))
    assert refused.code == 230001 and refused.raw.status_code == 400
    assert error_dict(refused)["log_id"] == refused.get_log_id()
    text = send(client, user["open_id"], "text", json.dumps({"text": "x"}))
    assert patch(client, text.data.message_id, card("x")).code == 230001
    # Only the sender updates its card.
    assert patch(im_emulator.client(1), message_id, card("x")).code == 230027


def test_cards_can_be_patched_for_14_days(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[3]
    sent = send(client, user["open_id"], "interactive", card("待审批"))
    assert_ok(sent)
    im_emulator.admin_post("clock/advance", {"seconds": 14 * 86400 + 60})
    TokenManager.cache = LocalCache()  # the token the SDK holds expired with the jump
    late = patch(im_emulator.client(0), sent.data.message_id, card("太晚"))
    assert late.code == 230031 and late.raw.status_code == 400
    assert late.msg == "Message can only be modified within 14 days after sending."


def test_images_upload_and_are_referenced(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[0]
    resp = upload(client, PNG)
    assert_ok(resp)
    key = resp.data.image_key
    assert key.startswith("img_v3_")
    assert_ok(send(client, user["open_id"], "image", json.dumps({"image_key": key})))
    post = {"zh_cn": {"title": "日报", "content": [[{"tag": "text", "text": "今日完成"}], [{"tag": "img", "image_key": key}]]}}
    rich = send(client, user["open_id"], "post", json.dumps(post, ensure_ascii=False))
    assert_ok(rich)
    assert json.loads(rich.data.body.content) == post["zh_cn"], "rich text comes back in one language"
    assert send(client, user["open_id"], "image", json.dumps({"image_key": "img_v3_unknown"})).code == 230001
    assert send(im_emulator.client(1), users(im_emulator, 1)[0]["open_id"], "image", json.dumps({"image_key": key})).code == 230017
    assert upload(client, b"").code == 234010
    assert upload(client, b"plain text").code == 234011
    assert upload(client, PNG, image_type="file").code == 234001


def test_refusals_carry_the_platform_codes(im_emulator: EmulatorProcess) -> None:
    client = im_emulator.client(0)
    user = users(im_emulator)[4]
    hi = json.dumps({"text": "hi"})
    cases = [
        (send(client, "ou_nobody", "text", hi), 99992351),
        (send(client, users(im_emulator, 1)[0]["open_id"], "text", hi), 99992361),
        (send(client, "nobody@nowhere.example", "text", hi, id_type="email"), 230034),
        (send(client, "oc_nothing", "text", hi, id_type="chat_id"), 99992356),
        (send(client, user["open_id"], "text", json.dumps({"text": "x" * 160 * 1024})), 230025),
        (send(client, user["open_id"], "interactive", card("长" * 11 * 1024)), 230025),
        (send(client, user["open_id"], "interactive", "{not json"), 230099),
        (send(client, user["open_id"], "text", json.dumps({"txt": "hi"})), 230001),
        (send(client, user["open_id"], "markdown", hi), 230001),
        (get(client, "om_nothing"), 99992354),
    ]
    for resp, code in cases:
        assert resp.code == code, (code, resp.raw.content[:300])
        assert resp.raw.status_code == 400
        assert error_dict(resp)["log_id"] == resp.get_log_id()
    assert "200621" in cases[6][0].msg
    # The request shape the SDK sends without a receive_id_type: a field violation.
    missing = client.im.v1.message.create(CreateMessageRequest.builder().request_body(
        CreateMessageRequestBody.builder().receive_id(user["open_id"]).msg_type("text").content(hi).build()).build())
    assert missing.code == 99992402
    assert error_dict(missing)["field_violations"][0]["field"] == "receive_id_type"


@pytest.fixture
def limited(im_emulator: EmulatorProcess):
    """The IM instance with its rate limit on and its clock stopped, for one test."""
    requests.put(f"{im_emulator.base}/_emulator/rate-limit", json={"enabled": True}, timeout=10).raise_for_status()
    im_emulator.admin_post("clock/freeze", {"frozen": True})
    yield im_emulator
    im_emulator.admin_post("clock/freeze", {"frozen": False})
    requests.put(f"{im_emulator.base}/_emulator/rate-limit", json={"enabled": False}, timeout=10).raise_for_status()


def test_five_messages_per_second_to_one_user(limited: EmulatorProcess) -> None:
    client = limited.client(0)
    user, other = users(limited)[0], users(limited)[1]
    for index in range(5):
        assert_ok(send(client, user["open_id"], "text", json.dumps({"text": str(index)})))
    sixth = send(client, user["open_id"], "text", json.dumps({"text": "6"}))
    assert sixth.code == 230020 and sixth.raw.status_code == 400, sixth.raw.content
    assert_ok(send(client, other["open_id"], "text", json.dumps({"text": "x"})))
    limited.admin_post("clock/advance", {"seconds": 1})
    assert_ok(send(client, user["open_id"], "text", json.dumps({"text": "7"})))

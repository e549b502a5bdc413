"""Smoke test of a client generated from openapi/openapi.json (openapi-python-client):
register, log in, create a room, send messages and page them, against a live server.

Usage: python3 client-smoke.py BASE_URL  (with the generated package on sys.path)
"""

import sys
import uuid

from parley_api_client import AuthenticatedClient, Client
from parley_api_client.api.auth import login_user, register_user
from parley_api_client.api.messages import create_message, list_messages
from parley_api_client.api.rooms import create_room, list_rooms
from parley_api_client.api.users import get_me
from parley_api_client.models import (
    CreateRoomRequest,
    LoginRequest,
    MessagePage,
    RegisterRequest,
    RoomList,
    RoomView,
    SendMessageRequest,
    TokenPair,
)


def main(base_url: str) -> None:
    name = "smoke_" + uuid.uuid4().hex[:8]
    password = "a long enough passphrase"
    # Public operations accept an unauthenticated call; the generator still types them
    # with the authenticated client, whose token the server ignores there.
    anonymous = AuthenticatedClient(base_url=base_url, token="none", raise_on_unexpected_status=True)
    registered = register_user.sync(client=anonymous, body=RegisterRequest(username=name, email=f"{name}@example.com", password=password))
    assert isinstance(registered, TokenPair), registered
    pair = login_user.sync(client=anonymous, body=LoginRequest(username=name, password=password))
    assert isinstance(pair, TokenPair), pair
    client = AuthenticatedClient(base_url=base_url, token=pair.access_token, raise_on_unexpected_status=True)
    me = get_me.sync(client=client)
    assert me.username == name, me

    room = create_room.sync(client=client, body=CreateRoomRequest(title="smoke"))
    assert isinstance(room, RoomView), room
    for i in range(5):
        sent = create_message.sync(client=client, body=SendMessageRequest(room_id=room.id, body=f"message {i}", client_msg_id=f"c{i}"))
        assert sent.seq == i + 1, sent
    again = create_message.sync_detailed(client=client, body=SendMessageRequest(room_id=room.id, body="message 0", client_msg_id="c0"))
    assert again.status_code == 200 and again.parsed.seq == 1, again

    newest = list_messages.sync(room.id, client=client, limit=2)
    assert isinstance(newest, MessagePage) and [m.seq for m in newest.items] == [4, 5] and newest.has_more, newest
    older = list_messages.sync(room.id, client=client, before=4, limit=10)
    assert [m.seq for m in older.items] == [1, 2, 3] and not older.has_more, older
    rooms = list_rooms.sync(client=client)
    assert isinstance(rooms, RoomList) and rooms.items[0].last_message.body == "message 4", rooms

    unauthenticated = list_messages.sync_detailed(room.id, client=Client(base_url=base_url))
    assert unauthenticated.status_code == 401, unauthenticated
    print("smoke: 1 passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1])

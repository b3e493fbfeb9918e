"""``lakeopt token create NAME | list | revoke NAME``: the API's bearer tokens.

Tokens live (hashed) in the task store at ``DATABASE_URL``, so every API node sharing the store
sees them at once. ``create`` prints the token once; it cannot be shown again.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from jobs.settings import get_settings
from lakeopt.errors import UNAVAILABLE, CliError

if TYPE_CHECKING:
    from jobs.tasks.tokens import TokenStore

T = TypeVar("T")


def _with_tokens(action: Callable[[TokenStore], T]) -> T:
    from sqlalchemy.exc import SQLAlchemyError

    from jobs.tasks.store import create_store_engine
    from jobs.tasks.tokens import TokenError, TokenStore

    try:
        engine = create_store_engine(get_settings().database_url)
        try:
            return action(TokenStore(engine))
        finally:
            engine.dispose()
    except TokenError as exc:
        raise CliError(str(exc)) from None
    except SQLAlchemyError as exc:
        # The URL may hold the store's password: name the failure, not the URL.
        raise CliError(f"cannot use the task store (DATABASE_URL): {type(exc).__name__}", UNAVAILABLE) from None


def cmd_create(args: argparse.Namespace) -> int:
    info, token = _with_tokens(lambda tokens: tokens.create(args.name))
    print(token)
    print(
        f"token {info.name!r} created; this is the only time it is shown. Send it as "
        "'Authorization: Bearer <token>'. While any token exists, every API request needs one.",
        file=sys.stderr,
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    infos = _with_tokens(lambda tokens: tokens.list())
    if not infos:
        print("no tokens: the API is open (lakeopt serve binds a loopback address only)", file=sys.stderr)
        return 0
    for info in infos:
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M:%S}Z" if info.revoked_at else "active"
        print(f"{info.name}\tcreated {info.created_at:%Y-%m-%d %H:%M:%S}Z\t{state}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    info = _with_tokens(lambda tokens: tokens.revoke(args.name))
    print(f"token {info.name!r} revoked: requests with it now get 401", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("token", help="API tokens: create, list, revoke (kept hashed in the task store)")
    actions = parser.add_subparsers(dest="token_command", required=True)
    create = actions.add_parser("create", help="a new token, printed once")
    create.add_argument("name", help="a name to know it by (letters, digits, '_', '.', '@', '-')")
    create.set_defaults(func=cmd_create)
    listing = actions.add_parser("list", help="every token's name, creation time and state")
    listing.set_defaults(func=cmd_list)
    revoke = actions.add_parser("revoke", help="revoke the active token of this name")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_revoke)

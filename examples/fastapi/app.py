"""FastAPI backend for the Refold front end: a demo sign-in that upserts the user's linked
account, GET /refold/session with a session token for the signed-in user, POST
/api/session/sign-out that revokes it, Refold's webhooks (POST /api/webhooks/refold, verified,
deduplicated, listed at GET /api/webhooks/events), and the shared page (../web/public), whose
front-end SDK calls Refold with that token.

Run: uvicorn app:app (see README.md).
"""

import asyncio
import json
import logging
import math
import os
import secrets
import urllib.request
from collections import OrderedDict
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

from refold_session import (
    AsyncRefold,
    InvalidInputError,
    InvalidLinkedAccountError,
    RateLimitError,
    RefoldError,
    parse_webhook_event,
)

from tracing import export_traces

# Where the browser calls Refold; the emulator serves both APIs on one address.
API_BASE_URL = (
    os.environ.get("REFOLD_FRONTEND_API_URL")
    or os.environ.get("REFOLD_BASE_URL")
    or "https://app.refold.ai"
)
WEB_DIR = Path(os.environ.get("WEB_DIR") or Path(__file__).parent.parent / "web" / "public")
logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
log = logging.getLogger("example")

CONNECTION_EVENTS = ["Connection Created", "Connection Deleted", "Connection Expired"]
#: The most of a webhook body read (the library reads at most 1 MiB) and of events kept.
MAX_WEBHOOK_BYTES = 1024 * 1024
MAX_EVENTS = 100
#: The connection events received, by dedup key (Refold may deliver one more than once).
webhook_events: "OrderedDict[str, dict]" = OrderedDict()


def register_webhook(url: str) -> int:
    """Registers `url` for the connection events (`POST /api/v2/public/webhook`)."""
    base = os.environ.get("REFOLD_BASE_URL") or "https://app.refold.ai"
    request = urllib.request.Request(
        f"{base}/api/v2/public/webhook",
        data=json.dumps({"webhook_url": url, "webhook_events": CONNECTION_EVENTS}).encode(),
        headers={"x-api-key": os.environ.get("REFOLD_API_KEY", ""), "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@asynccontextmanager
async def lifespan(app: FastAPI):
    # One client for the process (API key from REFOLD_API_KEY, base URL from REFOLD_BASE_URL).
    # With the cache on, page views reuse a token while it has life left instead of minting.
    async with AsyncRefold(cache=True) as refold:
        app.state.refold = refold
        # For the bundled emulator (against Refold, register the URL once in its dashboard).
        if os.environ.get("REFOLD_REGISTER_WEBHOOK") == "1":
            origin = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
            url = os.environ.get("REFOLD_WEBHOOK_URL") or f"{origin}/api/webhooks/refold"
            try:
                log.info("webhook registration: %s", await asyncio.to_thread(register_webhook, url))
            except OSError as error:
                log.error("webhook registration failed: %s", error)
        yield


app = FastAPI(lifespan=lifespan)
# OTEL_TRACES_EXPORTER=console or otlp: request spans with refold-session's calls under them.
export_traces(app)
app.add_middleware(
    SessionMiddleware,
    secret_key=os.environ.get("SESSION_SECRET") or secrets.token_hex(32),
    same_site="lax",
)


class SignIn(BaseModel):
    name: str


@app.get("/me")
async def me(request: Request):
    return {"user": request.session.get("user"), "apiBaseUrl": API_BASE_URL}


@app.post("/signin", status_code=204)
async def sign_in(body: SignIn, request: Request):
    name = body.name.strip()
    if not 1 <= len(name) <= 64:
        return JSONResponse({"message": "Enter a name of 1 to 64 characters."}, 400)
    # The user's linked account at Refold (its id is our user id), created on first sign-in.
    await request.app.state.refold.upsert_linked_account(name, name=name)
    request.session["user"] = name
    return Response(status_code=204)


@app.post("/signout", status_code=204)
async def sign_out(request: Request):
    request.session.clear()
    return Response(status_code=204)


@app.post("/api/session/sign-out")
async def revoke_and_sign_out(request: Request):
    """Signs the user out and revokes their session token at Refold, so a copy left in the
    browser stops working at once (not when it expires)."""
    user = request.session.get("user")
    if not user:
        return JSONResponse({"message": "Sign in first."}, 401)
    refold = request.app.state.refold
    # The token the page holds: the cached one (or Refold's current one for this account).
    session = await refold.get_token_for_linked_account(user)
    result = await refold.revoke_session_token(session)
    request.session.clear()
    return JSONResponse({"revoked": result.revoked_count}, headers={"cache-control": "no-store"})


@app.get("/refold/session")
async def refold_session(request: Request, fresh: str = ""):
    user = request.session.get("user")
    if not user:
        return JSONResponse({"message": "Sign in first."}, 401)
    # fresh=1 when the front end was refused the token it had: skip the cache.
    session = await request.app.state.refold.get_token_for_linked_account(user, fresh=fresh == "1")
    body = session.to_dict()
    return JSONResponse(
        {"token": body["token"], "expiresAt": body["expires_at"]},
        headers={"cache-control": "no-store"},
    )


@app.post("/api/webhooks/refold")
async def webhook(request: Request):
    """A webhook delivery: the signature is checked over the raw bytes received (re-serialised
    JSON is other bytes), then the event is recorded once per dedup key."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse({"message": "Too large."}, 413)
    refold = request.app.state.refold
    if not refold.verify_webhook_signature(bytes(body), request.headers.get("x-cobalt-signature")):
        # One line, never the body nor the header.
        log.warning("webhook refused: bad signature (%d bytes)", len(body))
        return JSONResponse({"message": "Bad signature."}, 401)
    try:
        event = parse_webhook_event(bytes(body))
    except InvalidInputError:
        return JSONResponse({"message": "Not a Refold webhook event."}, 400)
    seen = webhook_events.get(event.dedup_key)
    if seen is not None:
        seen["deliveries"] += 1
    else:
        webhook_events[event.dedup_key] = {
            "event": event.event_type,
            "linkedAccountId": event.linked_account_id,
            "slug": event.slug,
            "createdAt": event.created_at,
            "dedupKey": event.dedup_key,
            "deliveries": 1,
        }
        while len(webhook_events) > MAX_EVENTS:
            webhook_events.popitem(last=False)
    log.info("webhook: %s (%s)", event.event_type, "again" if seen else "new")
    return {"received": True}


@app.get("/api/webhooks/events")
async def webhook_event_list():
    return JSONResponse({"events": list(webhook_events.values())}, headers={"cache-control": "no-store"})


@app.exception_handler(RefoldError)
async def refold_error(request: Request, error: RefoldError):
    """Refold's typed errors as HTTP answers."""
    # The code and request id only: a RefoldError never holds the key or a token anyway.
    log.warning("refold error: %s (request %s)", error.code, error.request_id or "none")
    if isinstance(error, InvalidLinkedAccountError):
        user = request.session.get("user")
        return JSONResponse(
            {
                "error": "account_missing",
                "message": f'Your Refold linked account "{user}" no longer exists. '
                "Sign out and sign in again to create it.",
            },
            404,
        )
    if isinstance(error, InvalidInputError):
        message = "That name cannot be a linked account id."
        return JSONResponse({"error": error.code, "message": message}, 400)
    if isinstance(error, RateLimitError):
        retry_after = str(max(1, math.ceil(error.retry_after or 1)))
        message = "Refold is busy. Try again in a moment."
        return JSONResponse({"error": error.code, "message": message}, 503, {"retry-after": retry_after})
    message = "Refold could not be reached. Try again later."
    return JSONResponse({"error": error.code, "message": message}, 502)


# The page, its script and the bundled front-end SDK.
app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")

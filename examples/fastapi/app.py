"""FastAPI backend for the Refold front end: a demo sign-in that upserts the user's linked
account, GET /refold/session with a session token for the signed-in user, POST
/api/session/sign-out that revokes it, and the shared page (../web/public), whose front-end SDK
calls Refold with that token.

Run: uvicorn app:app (see README.md).
"""

import logging
import math
import os
import secrets
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
)

# Where the browser calls Refold; the emulator serves both APIs on one address.
API_BASE_URL = (
    os.environ.get("REFOLD_FRONTEND_API_URL")
    or os.environ.get("REFOLD_BASE_URL")
    or "https://app.refold.ai"
)
WEB_DIR = Path(os.environ.get("WEB_DIR") or Path(__file__).parent.parent / "web" / "public")
logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
log = logging.getLogger("example")


@asynccontextmanager
async def lifespan(app: FastAPI):
    # One client for the process (API key from REFOLD_API_KEY, base URL from REFOLD_BASE_URL).
    # With the cache on, page views reuse a token while it has life left instead of minting.
    async with AsyncRefold(cache=True) as refold:
        app.state.refold = refold
        yield


app = FastAPI(lifespan=lifespan)
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

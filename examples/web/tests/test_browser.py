"""The whole flow in a real browser, once per example backend (Express, FastAPI, Spring Boot).

Each test starts a fresh emulator and the backend on free loopback ports, drives Debian's
Chromium through its WebDriver (Selenium) and checks what a user sees: sign-in, the demo apps
listed by Refold's front-end SDK, connecting a key-based one, the state kept across reloads and
per linked account, an OAuth app connected through its consent popup, a 401 recovered with a
fresh token, and the backend's "account missing" message once
the linked account is deleted; a sign-out that revokes the user's token, after which the
front-end SDK gets a 401 with it; and the signed "Connection Created" webhook the backend
receives (once, though delivered twice) when the page connects an app, beside a forged one it
refuses with 401. Around it: the API key never reaches the browser (page source,
every response it received, read over the DevTools protocol), no token reaches the backend's
log, and with the session cache 20 reloads mint nothing (the emulator's request log).

Run by `make test-web` (which builds and installs everything first); WEB_BACKENDS=express,…
picks backends. Screenshots and a summary per backend go to examples/web/results/ (ignored).
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

EXAMPLES = Path(__file__).resolve().parents[2]
ROOT = EXAMPLES.parent
REFOLD_BIN = Path(os.environ.get("REFOLD_BIN") or ROOT / "target" / "debug" / "refold")
RESULTS = EXAMPLES / "web" / "results"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

#: Distinctive, so that finding it anywhere the browser looked means it leaked.
API_KEY = "sk_test_web_" + os.urandom(12).hex()
#: What the user types into a key-based app's form (a secret of the end user).
TYPED_KEY = "pp_live_" + os.urandom(6).hex()
APPS_PATH = "/api/v2/f-sdk/application"
TOKEN_PATH = "/api/v2/public/session-token"
REVOKE_PATH = "/api/v2/public/session-token/revoke"
#: The backends' sign-out that revokes the user's token: POST, answered {"revoked": N}.
SIGN_OUT_PATH = "/api/session/sign-out"
ACCOUNT_MISSING = 'Your Refold linked account "alice" no longer exists.'

BACKENDS: Dict[str, Dict[str, Any]] = {
    "express": {"args": ["node", "server.js"], "cwd": EXAMPLES / "express", "env": {}},
    "fastapi": {
        "args": [str(EXAMPLES / "fastapi" / ".venv" / "bin" / "uvicorn"), "app:app",
                 "--host", "127.0.0.1", "--port", "{port}"],
        "cwd": EXAMPLES / "fastapi",
        # The most our side logs: the library's debug records included.
        "env": {"LOG_LEVEL": "DEBUG"},
    },
    "spring-boot": {
        "args": ["java", "-jar", "target/refold-example.jar"],
        "cwd": EXAMPLES / "spring-boot",
        "env": {"LOGGING_LEVEL_AI_REFOLD": "DEBUG", "LOGGING_LEVEL_EXAMPLE": "DEBUG"},
    },
}
SELECTED = [b for b in os.environ.get("WEB_BACKENDS", ",".join(BACKENDS)).split(",") if b]

# Straight to loopback, whatever proxy the environment names.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"content-type": "application/json"})
    with _http.open(request, timeout=10) as response:
        return json.load(response)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], what: str, timeout: float, process: "Process") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if process.proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited\n{process.output()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s\n{process.output()[-3000:]}")


class Process:
    """A child process in its own process group, output to a file; stopped by its group id."""

    def __init__(self, args: List[str], cwd: Path, env: Dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


class Emulator:
    def __init__(self, results: Path):
        # Refold's rate limit (on by default in the emulator) is not what these tests test.
        self.process = Process([str(REFOLD_BIN), "emulator", "--addr", "127.0.0.1:0",
                                "--api-key", API_KEY, "--rate-limit", "off"], ROOT, dict(os.environ),
                               results / "emulator.log")
        match = wait_until(lambda: re.search(r"^listening on (http://\S+)$",
                                             self.process.output(), re.M),
                           "the emulator's `listening on` line", 20, self.process)
        self.url = match.group(1)

    def log(self) -> Dict[str, Any]:
        return http_json("GET", f"{self.url}/__emulator/requests")

    def mark(self) -> int:
        return self.log()["count"]

    def since(self, mark: int) -> List[Dict[str, Any]]:
        """The public-API requests after `mark` (a count), none of them dropped from the log."""
        log = self.log()
        first = log["count"] - len(log["requests"])
        assert first <= mark, "the emulator's log (last 100) no longer holds them all"
        return log["requests"][mark - first:]

    def faults(self, faults: List[Dict[str, Any]]) -> None:
        assert http_json("POST", f"{self.url}/__emulator/faults", faults)["queued"] == len(faults)


def mints(requests: List[Dict[str, Any]], account: Optional[str] = None) -> int:
    return sum(1 for r in requests if r["path"] == TOKEN_PATH
               and (account is None or json.loads(r["body"])["linked_account_id"] == account))


def app_lists(requests: List[Dict[str, Any]]) -> int:
    return sum(1 for r in requests if r["path"] == APPS_PATH)


def is_stale(error: WebDriverException) -> bool:
    """An element of a document the page has since replaced. Chromium reports it as a stale
    element, or, when the navigation lands between finding the element and using it, as an
    "unknown error" from its inspector (seen in CI with Chromium 156 after a sign-in's reload)."""
    return isinstance(error, StaleElementReferenceException) or (
        "does not belong to the document" in (error.msg or ""))


class Browser:
    """Chromium through chromedriver, recording every response over the DevTools protocol."""

    def __init__(self) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=860,1000", "--no-first-run", "--disable-extensions",
                    "--disable-background-networking", "--disable-sync", "--lang=en-US"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.responses: List[Dict[str, Any]] = []
        self._seen: Dict[str, Dict[str, Any]] = {}
        self.sources: List[str] = []

    def drain(self) -> None:
        """Reads the DevTools events so far and the body of every finished response (before the
        page that holds them goes away)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.responseReceived":
                response = params["response"]
                record = {"url": response["url"], "status": response["status"],
                          "headers": response.get("headers", {}), "type": params.get("type"),
                          "body": None}
                self._seen[params["requestId"]] = record
                self.responses.append(record)
            elif message["method"] == "Network.loadingFinished":
                record = self._seen.get(params["requestId"])
                if record is not None and record["body"] is None:
                    try:
                        got = self.driver.execute_cdp_cmd("Network.getResponseBody",
                                                          {"requestId": params["requestId"]})
                    except WebDriverException:
                        continue  # no body (a preflight, a 204)
                    body = got["body"]
                    if got.get("base64Encoded"):
                        body = base64.b64decode(body).decode("latin-1")
                    record["body"] = body

    def snapshot_source(self) -> None:
        self.sources.append(self.driver.page_source)

    def open(self, url: str) -> None:
        self.drain()
        self.driver.get(url)

    def reload(self) -> None:
        self.drain()
        self.driver.refresh()

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
        def attempt(_: Any) -> Any:
            try:
                return check()
            except NoSuchElementException:
                return None
            except WebDriverException as error:
                if is_stale(error):
                    return None  # the page is being replaced: look again in the new one
                raise

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(attempt)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}; status {self.text('status')!r},"
                                 f" error {self.text('error')!r}") from None

    def text(self, element_id: str) -> str:
        try:
            element = self.driver.find_element(By.ID, element_id)
            return element.text if element.is_displayed() else ""
        except NoSuchElementException:
            return ""
        except WebDriverException as error:
            if is_stale(error):
                return ""
            raise

    def click_and_reload(self, css: str) -> None:
        """Clicks what makes the page reload itself (sign-in, sign-out: `location.reload()` after
        a POST) and waits until the old document is gone, so no later look finds its elements."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()

        def gone() -> bool:
            try:
                old.is_enabled()
                return False
            except WebDriverException as error:
                if is_stale(error):
                    return True
                raise

        self.wait(gone, f"the page to reload after clicking {css}")

    def apps(self) -> Dict[str, bool]:
        return {li.get_attribute("data-slug"): li.get_attribute("data-connected") == "true"
                for li in self.driver.find_elements(By.CSS_SELECTOR, "#apps li")}

    def listed(self, connected: int) -> Dict[str, bool]:
        """Waits for the list with `connected` apps connected; returns slug → connected."""
        self.wait(lambda: self.text("status") == f"5 applications, {connected} connected",
                  f"5 applications, {connected} connected")
        self.snapshot_source()
        return self.apps()

    def sign_in(self, name: str) -> None:
        self.wait(lambda: self.driver.find_element(By.ID, "signin").is_displayed(), "sign-in")
        field = self.driver.find_element(By.CSS_SELECTOR, "#signin input[name=name]")
        field.clear()
        field.send_keys(name)
        self.drain()
        self.click_and_reload("#signin button")

    def sign_out(self) -> None:
        self.drain()
        self.click_and_reload("#signout")
        self.wait(lambda: self.driver.find_element(By.ID, "signin").is_displayed(), "sign-in")

    def connect(self, slug: str, values: Dict[str, str]) -> None:
        item = self.driver.find_element(By.CSS_SELECTOR, f'#apps li[data-slug="{slug}"]')
        for name, value in values.items():
            item.find_element(By.CSS_SELECTOR, f'input[name="{name}"]').send_keys(value)
        item.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def connect_oauth(self, slug: str) -> None:
        self.driver.find_element(By.CSS_SELECTOR, f'#apps li[data-slug="{slug}"] > button').click()

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture(params=SELECTED)
def stack(request: pytest.FixtureRequest):
    """A fresh emulator, the backend under test and a browser; all stopped afterwards."""
    name = request.param
    results = RESULTS / name
    results.mkdir(parents=True, exist_ok=True)
    for old in results.iterdir():
        old.unlink()
    started = time.monotonic()
    emulator = Emulator(results)
    backend = None
    browser = None
    try:
        spec = BACKENDS[name]
        port = free_port()
        # REFOLD_REGISTER_WEBHOOK: the backend registers its webhook URL with the emulator.
        env = dict(os.environ, REFOLD_API_KEY=API_KEY, REFOLD_BASE_URL=emulator.url,
                   HOST="127.0.0.1", PORT=str(port), REFOLD_REGISTER_WEBHOOK="1", **spec["env"])
        args = [a.replace("{port}", str(port)) for a in spec["args"]]
        backend = Process(args, spec["cwd"], env, results / "backend.log")
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return http_json("GET", f"{base}/me")["user"] is None
            except OSError:
                return False

        wait_until(up, f"{name} answering GET /me", 120, backend)
        browser = Browser()
        yield {"name": name, "emulator": emulator, "backend": backend, "browser": browser,
               "base": base, "results": results, "started": started}
    finally:
        if browser is not None:
            browser.quit()
        if backend is not None:
            backend.stop()
        emulator.process.stop()


def test_whole_flow_in_the_browser(stack: Dict[str, Any]) -> None:
    emulator: Emulator = stack["emulator"]
    browser: Browser = stack["browser"]
    results: Path = stack["results"]
    summary: Dict[str, Any] = {"backend": stack["name"]}

    # Sign in: the backend upserts the linked account and mints once; the SDK lists the apps.
    start = emulator.mark()
    browser.open(stack["base"] + "/")
    browser.sign_in("alice")
    apps = browser.listed(connected=0)
    assert len(apps) == 5 and not any(apps.values()), apps
    first = emulator.since(start)
    assert [r["method"] for r in first if r["path"] == "/api/v2/public/linked-account"] == ["PUT"]
    assert mints(first, "alice") == 1
    summary["apps_listed"] = len(apps)

    # Connect a key-based app through the SDK; it shows connected, and still after a reload.
    browser.connect("parcel-post", {"api_key": TYPED_KEY})
    assert browser.listed(connected=1)["parcel-post"] is True
    browser.reload()
    assert browser.listed(connected=1)["parcel-post"] is True
    browser.screenshot(results / "connected.png")

    # With the session cache, 20 more page loads reuse the one token: no mint at all.
    mark = emulator.mark()
    for _ in range(20):
        browser.reload()
        browser.listed(connected=1)
    reloads = emulator.since(mark)
    assert mints(reloads) == 0, "a reload minted a token despite the cache"
    assert app_lists(reloads) == 20
    summary["mints_for_21_page_loads"] = mints(emulator.since(start), "alice")

    # Refold refuses the token once (a queued 401): the page gets a fresh one and recovers.
    mark = emulator.mark()
    emulator.faults([{"kind": "status", "status": 401, "body": {"message": "Session token expired"}}])
    browser.reload()
    browser.listed(connected=1)
    recovered = emulator.since(mark)
    assert mints(recovered, "alice") == 1 and app_lists(recovered) == 2, recovered

    # Another user: the same app is not connected for their linked account.
    browser.sign_out()
    browser.sign_in("bob")
    assert browser.listed(connected=0)["parcel-post"] is False
    # bob connects an OAuth app: the SDK opens the consent page (the emulator's stand-in, which
    # approves at once) in a popup and polls every 3 s until the app shows connected.
    browser.connect_oauth("lumen-crm")
    apps = browser.listed(connected=1)
    assert apps["lumen-crm"] is True and apps["parcel-post"] is False

    # Back to alice (still connected), then her linked account is deleted through our library.
    browser.sign_out()
    browser.sign_in("alice")
    apps = browser.listed(connected=1)
    assert apps["parcel-post"] is True and apps["lumen-crm"] is False
    deleted = subprocess.run([str(REFOLD_BIN), "account", "delete", "alice",
                              "--base-url", emulator.url],
                             env=dict(os.environ, REFOLD_API_KEY=API_KEY),
                             capture_output=True, text=True, timeout=30)
    assert deleted.returncode == 0, deleted.stderr
    mark = emulator.mark()
    browser.reload()
    browser.wait(lambda: ACCOUNT_MISSING in browser.text("error"), "the account-missing message")
    browser.snapshot_source()
    browser.screenshot(results / "final.png")
    browser.drain()
    # The cached token was refused (401), the fresh mint failed: the backend's 404 is shown.
    assert mints(emulator.since(mark), "alice") == 1
    gone = [r for r in browser.responses if r["url"].endswith("/refold/session?fresh=1")]
    assert gone and gone[-1]["status"] == 404 and "account_missing" in gone[-1]["body"]

    # What the browser received: never the API key (page sources, headers, bodies).
    # (A sign-out's answer is gone with the page that reloads at once: the other test reads it.)
    bodies_missing = [r["url"] for r in browser.responses
                      if r["status"] == 200 and r["body"] is None and r["type"] != "Preflight"
                      and not r["url"].startswith("data:") and not r["url"].endswith(SIGN_OUT_PATH)]
    assert not bodies_missing, f"responses whose body was not read: {bodies_missing}"
    for source in browser.sources:
        assert API_KEY not in source
    for response in browser.responses:
        assert API_KEY not in json.dumps(response["headers"]), response["url"]
        assert API_KEY not in (response["body"] or ""), response["url"]
        assert TYPED_KEY not in (response["body"] or ""), response["url"]

    # What the backend logged: never a token it handed out, nor the API key.
    tokens = {json.loads(r["body"])["token"] for r in browser.responses
              if "/refold/session" in r["url"] and r["status"] == 200}
    assert len(tokens) >= 3  # alice, alice after the 401, bob
    log = stack["backend"].output()
    assert log.strip(), "the backend logged nothing at all: the check below would be empty"
    for token in tokens:
        # Not even a part of one: any 12 characters of its signature (what makes it a token).
        signature = token.rsplit(".", 1)[1]
        pieces = {signature[i:i + 12] for i in range(len(signature) - 11)}
        assert token not in log and not any(p in log for p in pieces), "a token in the log"
    assert API_KEY not in log and TYPED_KEY not in log

    def seen(path: str, status: int) -> int:
        return sum(1 for r in browser.responses if r["url"].split("?")[0].endswith(path)
                   and r["type"] != "Preflight" and r["status"] == status)

    summary.update({
        "app_list_responses": seen(APPS_PATH, 200),
        "connects": seen("/api/v2/app/parcel-post/save", 200),
        "oauth_urls": seen("/api/v1/lumen-crm/integrate", 200),
        "unauthorized_from_refold": seen(APPS_PATH, 401),
        "session_responses": seen("/refold/session", 200),
        "tokens_received": len(tokens),
        "mints_in_all": mints(emulator.since(0)),
        "responses_checked": len(browser.responses),
        "seconds": round(time.monotonic() - stack["started"], 1),
    })
    (results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\n{stack['name']}: {json.dumps(summary)}")


def test_sign_out_revokes_the_session_token(stack: Dict[str, Any]) -> None:
    """Sign-out asks the backend to revoke the user's token (POST /api/session/sign-out, answered
    {"revoked": <revokedCount>}); Refold's front-end SDK then gets a 401 with that token."""
    emulator: Emulator = stack["emulator"]
    browser: Browser = stack["browser"]
    base: str = stack["base"]
    # Signed out, the route answers 401; a backend without it answers 404.
    try:
        http_json("POST", base + SIGN_OUT_PATH, {})
        raise AssertionError(f"{SIGN_OUT_PATH} answered 2xx without a signed-in user")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            pytest.skip(f"{stack['name']} has no POST {SIGN_OUT_PATH} yet")
        assert error.code == 401, error.code

    browser.open(base + "/")
    browser.sign_in("carol")
    browser.listed(connected=0)
    browser.drain()
    handed = [json.loads(r["body"])["token"] for r in browser.responses
              if r["url"].split("?")[0].endswith("/refold/session") and r["status"] == 200]
    assert handed, "the page got no token"
    token = handed[-1]

    # The page's own sign-out call (what its button does before reloading), read here.
    mark = emulator.mark()
    answer = browser.driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        post("/api/session/sign-out").then(done, (error) => done({ failed: error.message }));
        """)
    assert answer == {"revoked": 1}, answer
    revokes = [r for r in emulator.since(mark) if r["path"] == REVOKE_PATH]
    assert len(revokes) == 1, emulator.since(mark)
    assert revokes[0]["headers"].get("authorization") == "Bearer [redacted]"
    assert "x-api-key" not in revokes[0]["headers"], "the API key was sent with the revoke"
    # The session ended with it.
    browser.reload()
    browser.wait(lambda: browser.driver.find_element(By.ID, "signin").is_displayed(), "sign-in")

    # The front-end SDK, handed the revoked token, is refused (a 401, "Unauthorized").
    outcome = browser.driver.execute_async_script(
        """
        const [token, baseUrl, done] = arguments;
        new CobaltSDK.Cobalt({ token, baseUrl }).getApp().then(
          () => done("resolved"),
          (error) => done("rejected: " + error.message));
        """,
        token, emulator.url)
    assert outcome == "rejected: Unauthorized", outcome
    browser.drain()
    statuses = [r["status"] for r in browser.responses
                if r["url"].split("?")[0].endswith(APPS_PATH) and r["type"] != "Preflight"]
    assert statuses and statuses[-1] == 401, statuses
    assert token not in stack["backend"].output(), "the token in the backend's log"


def post_webhook(url: str, body: bytes, signature: Optional[str]) -> int:
    """POSTs a delivery to the backend's webhook endpoint; its status."""
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-cobalt-signature"] = signature
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _http.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_connection_webhook_reaches_the_backend(stack: Dict[str, Any]) -> None:
    """The page connects an app; the emulator signs and delivers "Connection Created" (twice:
    a queued duplicate) to the backend, which verifies it and records it once. A forged
    delivery is refused with 401 and logged without its body."""
    emulator: Emulator = stack["emulator"]
    browser: Browser = stack["browser"]
    backend: Process = stack["backend"]
    base: str = stack["base"]
    wait_until(lambda: "webhook registration: 200" in backend.output(),
               "the backend registering its webhook", 60, backend)
    assert http_json("POST", f"{emulator.url}/__emulator/webhook-faults", [{"kind": "duplicate"}])

    browser.open(base + "/")
    browser.sign_in("dave")
    browser.listed(connected=0)
    browser.connect("parcel-post", {"api_key": TYPED_KEY})
    browser.listed(connected=1)

    def received() -> Optional[Dict[str, Any]]:
        events = http_json("GET", f"{base}/api/webhooks/events")["events"]
        found = [e for e in events if e["event"] == "Connection Created"
                 and e["linkedAccountId"] == "dave" and e["slug"] == "parcel-post"]
        assert len(found) <= 1, events
        return found[0] if found and found[0]["deliveries"] == 2 else None

    # Bounded: the delivery and its duplicate arrive within a second on an idle machine.
    event = wait_until(received, "the signed Connection Created webhook, delivered twice", 60, backend)
    assert event["createdAt"], event

    # Forged: a well-formed event with a made-up signature, with none, or with a sha256= one.
    forged = json.dumps({"linked_account_id": "mallory", "org_id": "x", "environment": "test",
                         "type": "General", "event": "Connection Created", "slug": "forged-app",
                         "createdAt": "Tue, 07 Nov 2023 08:03:27 GMT"}).encode()
    for signature in ("0" * 64, None, "sha256=" + "a" * 64, ""):
        assert post_webhook(f"{base}/api/webhooks/refold", forged, signature) == 401, signature
    events = http_json("GET", f"{base}/api/webhooks/events")["events"]
    assert not any(e["linkedAccountId"] == "mallory" for e in events), events
    log = backend.output()
    assert "webhook refused" in log
    assert "forged-app" not in log and "mallory" not in log, "a forged body in the log"
    assert API_KEY not in log

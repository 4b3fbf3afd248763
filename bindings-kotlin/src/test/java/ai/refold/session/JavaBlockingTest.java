package ai.refold.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The binding as Java code sees it: blocking calls, checked typed exceptions, futures. */
class JavaBlockingTest {
    private static Emulator emulator;

    @BeforeAll
    static void start() {
        emulator = Emulator.start("acct-1");
    }

    @AfterAll
    static void stop() {
        emulator.close();
    }

    @BeforeEach
    void reset() {
        emulator.reset();
    }

    @Test
    void mintsWithTheBlockingApi() throws RefoldException {
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            SessionToken token = refold.getTokenForLinkedAccountBlocking("acct-1");
            assertEquals("acct-1", token.getLinkedAccountId());
            assertTrue(token.getExpiresAt().isAfter(Instant.now()));
            assertNotNull(token.getIssuedAt());
            assertFalse(token.toString().contains(token.getToken()));
        }
        assertEquals(1, emulator.requestCount());
    }

    @Test
    void catchesTheTypedExceptions() throws RefoldException {
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl(), Duration.ofSeconds(5), 0)) {
            try {
                refold.getTokenForLinkedAccountBlocking("no-such-account");
                fail("expected InvalidLinkedAccount");
            } catch (RefoldException.InvalidLinkedAccount e) {
                assertEquals("invalid_linked_account", e.getCode());
                assertEquals(Integer.valueOf(400), e.getStatus());
                assertEquals(1, e.getAttempts());
                assertNotNull(e.getRequestId());
                assertNull(e.getRetryAfter());
                assertEquals("INVALID_LINKED_ACCOUNT_ID", e.getServerCode());
                assertTrue(e.getMessage().contains("create the linked account"), e.getMessage());
            }

            RefoldException invalid = assertThrows(RefoldException.class, () -> refold.getTokenForLinkedAccountBlocking(" "));
            assertInstanceOf(RefoldException.InvalidInput.class, invalid);
            assertEquals("invalid_input", invalid.getCode());
            assertEquals(0, invalid.getAttempts());

            // A sealed hierarchy still works with an ordinary catch of the base class.
            try {
                refold.getTokenForLinkedAccountBlocking("x".repeat(2048));
                fail("expected InvalidInput");
            } catch (RefoldException e) {
                assertInstanceOf(RefoldException.InvalidInput.class, e);
            }
        }
        assertEquals(1, emulator.requestCount());
    }

    @Test
    void constructorThrowsConfiguration() {
        RefoldException.Configuration e = assertThrows(
                RefoldException.Configuration.class, () -> new RefoldClient(Emulator.KEY, "moon"));
        assertEquals("configuration", e.getCode());
        assertTrue(e.getMessage().contains("moon"), e.getMessage());
        assertThrows(RefoldException.Configuration.class, () -> new RefoldClient());
    }

    @Test
    void aPanicInTheCoreIsInternalAndTheClientSurvives() throws RefoldException {
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            try {
                refold.getTokenForLinkedAccountBlocking("__refold_test_hooks_panic__");
                fail("expected Internal");
            } catch (RefoldException.Internal e) {
                assertEquals("internal", e.getCode());
                assertTrue(e.getMessage().contains("internal error"), e.getMessage());
            }
            assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").getLinkedAccountId());
        }
        assertEquals(1, emulator.requestCount());
    }

    @Test
    void loneSurrogatesAreTypedErrors() throws RefoldException {
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            RefoldException.InvalidInput e = assertThrows(
                    RefoldException.InvalidInput.class, () -> refold.getTokenForLinkedAccountBlocking("acct-\uDFFF"));
            assertEquals(0, e.getAttempts());
        }
        RefoldException.Configuration e = assertThrows(
                RefoldException.Configuration.class, () -> new RefoldClient("sk_\uD800", null, emulator.getBaseUrl()));
        assertTrue(e.getMessage().startsWith("apiKey "), e.getMessage());
        assertEquals(0, emulator.requestCount());
    }

    @Test
    void completableFutures() throws Exception {
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            CompletableFuture<SessionToken> ok = refold.getTokenForLinkedAccountAsync("acct-1");
            assertEquals("acct-1", ok.get(10, TimeUnit.SECONDS).getLinkedAccountId());
            CompletableFuture<SessionToken> bad = refold.getTokenForLinkedAccountAsync("no-such-account");
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            assertInstanceOf(RefoldException.InvalidLinkedAccount.class, e.getCause());
        }
    }

    @Test
    void closedClientRefusesCalls() throws RefoldException {
        RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl());
        refold.close();
        assertThrows(IllegalStateException.class, () -> refold.getTokenForLinkedAccountBlocking("acct-1"));
        assertEquals(0, emulator.requestCount());
    }

    @Test
    void linkedAccountsAndTheCacheFromJava() throws Exception {
        String secret = "cred_java_DISTINCTIVE_0b7e";
        CacheOptions cache = new CacheOptions(100, Duration.ofMinutes(5), Duration.ofMinutes(10));
        try (RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl(), null, null, null, cache)) {
            Map<String, Object> udf = new HashMap<>();
            udf.put("plan", "pro");
            udf.put("seats", 5);
            LinkedAccountInput input =
                    new LinkedAccountInput("java-1", "Java User", udf, new YourApp("app-1", Map.of("token", secret)));
            assertFalse(input.toString().contains(secret), input.toString());
            LinkedAccount account = refold.upsertLinkedAccountBlocking(input);
            assertEquals("java-1", account.getAccountId());
            assertEquals("Java User", account.getName());
            assertEquals(Map.of("plan", "pro", "seats", 5L), account.getUdf());
            // An upsert answers new_account and no integrations; a get, the integrations.
            LinkedAccount fetched = refold.getLinkedAccountBlocking("java-1");
            assertEquals(account.getId(), fetched.getId());
            assertEquals(account.getUdf(), fetched.getUdf());
            assertEquals("java-2", refold.createLinkedAccountBlocking(new LinkedAccountInput("java-2")).getAccountId());

            LinkedAccountPage page = refold.listLinkedAccountsBlocking(1, 1);
            assertEquals(1, page.getAccounts().size());
            assertEquals(Integer.valueOf(2), page.getNextPage());
            List<String> ids = new ArrayList<>();
            for (LinkedAccount each : refold.linkedAccountsBlocking(1)) {
                ids.add(each.getAccountId());
            }
            assertTrue(ids.containsAll(List.of("acct-1", "java-1", "java-2")), ids.toString());

            SessionToken first = refold.getTokenForLinkedAccountBlocking("java-1");
            assertEquals(first, refold.getTokenForLinkedAccountBlocking("java-1"));
            SessionToken fresh = refold.getTokenForLinkedAccountBlocking("java-1", true);
            assertFalse(fresh.getToken().equals(first.getToken()));
            assertEquals("java-1", refold.getActiveLinkedAccountBlocking(fresh.getToken()).getAccountId());
            RevokeResult revoked = refold.revokeSessionTokenBlocking(fresh.getToken(), new RequestOptions(Duration.ofSeconds(5), 0));
            assertTrue(revoked.getSuccess());
            assertEquals(1L, revoked.getRevokedCount());
            assertEquals(1L, refold.revokeSessionTokenAsync(
                refold.getTokenForLinkedAccountBlocking("java-1", false, new RequestOptions()).getToken()).get(10, TimeUnit.SECONDS).getRevokedCount());
            CacheStats stats = refold.cacheStats();
            assertNotNull(stats);
            assertEquals(1, stats.getHits());
            assertEquals(3, stats.getMisses());

            Map<String, Object> answer = refold.deleteLinkedAccountBlocking("java-1");
            assertFalse(answer.isEmpty());
            refold.deleteLinkedAccountBlocking("java-2");
            refold.invalidate("java-1");
            try {
                refold.getTokenForLinkedAccountBlocking("java-1");
                fail("expected InvalidLinkedAccount");
            } catch (RefoldException.InvalidLinkedAccount e) {
                assertEquals(400, e.getStatus());
                assertEquals("INVALID_LINKED_ACCOUNT_ID", e.getServerCode());
            }
            try {
                refold.getLinkedAccountBlocking("java-1");
                fail("expected NotFound");
            } catch (RefoldException.NotFound e) {
                assertEquals("not_found", e.getCode());
            }
            refold.invalidateAll();
        }
    }
}

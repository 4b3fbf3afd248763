import ai.refold.session.LinkedAccount;
import ai.refold.session.LinkedAccountInput;
import ai.refold.session.RefoldClient;
import ai.refold.session.RefoldException;
import ai.refold.session.SessionToken;

/**
 * dist-test smoke test of the jar (run by the arm64 JVM under qemu, JNA loading the jar's
 * linux-aarch64/ library): a token is minted against the emulator, an unknown account gives the
 * typed RefoldException.InvalidLinkedAccount, a linked account is upserted and minted for.
 * REFOLD_API_KEY / REFOLD_BASE_URL from scripts/with-emulator.sh. Prints `N passed, 0 failed`.
 */
public final class Smoke {
    private static int passed;

    private static void ok(String what) {
        passed++;
        System.out.println("ok " + passed + " - " + what);
    }

    private static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    public static void main(String[] args) throws Exception {
        try (RefoldClient refold = new RefoldClient()) {
            ok("java " + System.getProperty("java.version") + " " + System.getProperty("os.arch")
                + ": RefoldClient built (JNA loaded the native library)");
            SessionToken session = refold.getTokenForLinkedAccountBlocking("demo-user");
            check(session.getToken().split("\\.").length == 3, "a JWT");
            ok("minted a token for demo-user (expires " + session.getExpiresAt() + ")");
            try {
                refold.getTokenForLinkedAccountBlocking("no-such-user");
                throw new AssertionError("expected InvalidLinkedAccount");
            } catch (RefoldException.InvalidLinkedAccount e) {
                check("invalid_linked_account".equals(e.getCode()), e.getCode());
                ok("typed error: RefoldException.InvalidLinkedAccount (code " + e.getCode()
                    + ", status " + e.getStatus() + ")");
            }
            LinkedAccount account = refold.upsertLinkedAccountBlocking(new LinkedAccountInput("arm64-user", "Arm User"));
            check("arm64-user".equals(account.getAccountId()), account.toString());
            check(refold.getTokenForLinkedAccountBlocking("arm64-user").getToken().split("\\.").length == 3, "a JWT");
            ok("upserted linked account arm64-user and minted its token");
        } catch (Throwable t) {
            System.out.println(passed + " passed, 1 failed");
            throw t;
        }
        System.out.println(passed + " passed, 0 failed");
    }
}

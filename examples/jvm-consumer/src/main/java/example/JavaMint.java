package example;

import ai.refold.session.LinkedAccountInput;
import ai.refold.session.RefoldClient;
import ai.refold.session.RefoldException;
import ai.refold.session.SessionToken;

/** The blocking API from Java: try-with-resources and checked, typed exceptions. */
public final class JavaMint {
    private JavaMint() {}

    /**
     * Upserts the linked account, mints its token (options from REFOLD_API_KEY /
     * REFOLD_BASE_URL) and describes the outcome.
     */
    public static String mint(String linkedAccountId) {
        try (RefoldClient refold = new RefoldClient()) {
            refold.upsertLinkedAccountBlocking(new LinkedAccountInput(linkedAccountId, "Java User"));
            SessionToken session = refold.getTokenForLinkedAccountBlocking(linkedAccountId);
            return "minted " + session + " for " + session.getLinkedAccountId();
        } catch (RefoldException.InvalidLinkedAccount e) {
            return "no such linked account (" + e.getCode() + ", status " + e.getStatus() + ")";
        } catch (RefoldException e) {
            return "failed: " + e.getCode() + ": " + e.getMessage();
        }
    }
}

package ai.refold.session;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * The JVM worker of the fleet conformance suite (conformance/fleet/README.md, "The worker
 * protocol"): reads {@code {"accounts": [...], "rounds": N}} on stdin, starts every
 * {@code accounts × rounds} mint at once on one client (Java's asynchronous style,
 * {@code CompletableFuture}s, suspending on the native runtime without a thread each), whose
 * cache and Redis store come from the environment only ({@code REFOLD_API_KEY},
 * {@code REFOLD_BASE_URL}, {@code REFOLD_CACHE_REDIS_URL}, {@code REFOLD_CACHE_ENCRYPTION_KEY}),
 * with a 5-second timeout and no retries; prints one JSON line and exits 0.
 *
 * <p>Run with the argument file {@code make test-kotlin} writes:
 * {@code java @bindings-kotlin/target/fleet-worker.argfile ai.refold.session.FleetWorker}.
 */
public final class FleetWorker {
    private FleetWorker() {}

    public static void main(String[] args) throws Exception {
        JSONObject plan = new JSONObject(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
        JSONArray accounts = plan.getJSONArray("accounts");
        int rounds = plan.optInt("rounds", 1);

        Map<String, String> tokens = new TreeMap<>();
        Map<String, String> errors = new TreeMap<>();
        JSONObject stats = new JSONObject();
        CacheOptions cache = new CacheOptions(null, null, null, new StoreOptions());
        try (RefoldClient refold = new RefoldClient(null, null, null, Duration.ofSeconds(5), 0, null, cache)) {
            List<Map.Entry<String, CompletableFuture<SessionToken>>> calls = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                for (int index = 0; index < accounts.length(); index++) {
                    String id = accounts.getString(index);
                    calls.add(Map.entry(id, refold.getTokenForLinkedAccountAsync(id)));
                }
            }
            for (Map.Entry<String, CompletableFuture<SessionToken>> call : calls) {
                try {
                    tokens.put(call.getKey(), call.getValue().get().getToken());
                } catch (ExecutionException failure) {
                    Throwable cause = failure.getCause();
                    errors.put(call.getKey(), cause instanceof RefoldException
                        ? ((RefoldException) cause).getCode()
                        : cause.getClass().getName());
                }
            }
            CacheStats counted = refold.cacheStats();
            if (counted == null) {
                throw new IllegalStateException("the cache is off");
            }
            stats.put("hits", counted.getHits())
                .put("misses", counted.getMisses())
                .put("coalesced", counted.getCoalesced())
                .put("store_hits", counted.getStoreHits())
                .put("store_errors", counted.getStoreErrors());
        }
        JSONObject result = new JSONObject()
            .put("tokens", new JSONObject(tokens))
            .put("errors", new JSONObject(errors))
            .put("stats", stats);
        System.out.println(result);
        System.out.flush();
    }
}

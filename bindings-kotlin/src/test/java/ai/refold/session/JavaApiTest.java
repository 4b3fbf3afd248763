package ai.refold.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import ai.refold.session.api.CreateTableResponse;
import ai.refold.session.api.Table;
import kotlinx.serialization.json.JsonElement;
import kotlinx.serialization.json.JsonObject;
import kotlinx.serialization.json.JsonPrimitive;
import kotlinx.serialization.json.JsonElementKt;
import org.junit.jupiter.api.Test;

/** The whole API as Java code sees it: `client.getApi().getBlocking()`, scoped clients, sequences. */
class JavaApiTest {
    @Test
    void callsTheGeneratedBlockingMethods() throws RefoldException {
        try (Emulator emulator = new Emulator(List.of(Emulator.KEY), List.of(), true, false);
                RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            ScopedClient account = refold.forLinkedAccount("java-1");
            JsonObject body = new JsonObject(Map.of(
                    "table_name", JsonElementKt.JsonPrimitive("leads"),
                    "columns", new kotlinx.serialization.json.JsonArray(List.of(
                            new JsonObject(Map.of("column_name", JsonElementKt.JsonPrimitive("email")))))));
            CreateTableResponse created = account.getApi().getBlocking().createPersistentTable(body);
            String table = created.getTableId();
            assertEquals(null, created.getAlreadyExists());

            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                rows.add(Map.of("email", i + "@x"));
            }
            refold.callBlocking("addRecordsToPersistentTable", Map.of("table_id", table), Map.of("data", rows), "java-1");

            List<JsonObject> seen = new ArrayList<>();
            Iterator<JsonObject> items = account.getApi().getBlocking().getPersistentTableRecordsAll(table, 2L).iterator();
            items.forEachRemaining(seen::add);
            assertEquals(3, seen.size());
            assertEquals("2@x", ((JsonPrimitive) seen.get(2).get("email")).getContent());
            assertEquals(4, emulator.requestCount(), "one create, one fill, two pages");

            List<Table> tables = new ArrayList<>();
            account.getApi().getBlocking().listPersistentTablesAll().iterator().forEachRemaining(tables::add);
            assertEquals(1, tables.size());
            assertEquals(table, tables.get(0).getId());
            assertEquals("leads", tables.get(0).getName());
            JsonElement raw = account.getApi().getRaw().getBlocking().getPersistentTableRecords(table);
            assertEquals(3, ((kotlinx.serialization.json.JsonArray) ((JsonObject) raw).get("docs")).size());

            ScopedClient session = refold.forSessionToken(refold.getTokenForLinkedAccountBlocking("java-1").getToken());
            RefoldException refused = assertThrows(RefoldException.InvalidInput.class, () -> session.getApi().getBlocking().listWebhooks());
            assertTrue(refused.getMessage().contains("org-level"), refused.getMessage());
            assertEquals(7, emulator.requestCount(), "the token was minted; the refused call sent nothing");
            assertFalse(session.toString().contains(refold.getTokenForLinkedAccountBlocking("java-1").getToken()));

            JsonElement webhooks = refold.getWebhookBlocking();
            assertTrue(webhooks instanceof kotlinx.serialization.json.JsonArray || webhooks instanceof JsonObject);
        }
    }
}

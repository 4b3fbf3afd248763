// Refold's webhooks: POST /api/webhooks/refold verifies each delivery's x-cobalt-signature over
// the raw body with the library, records the connection events once per dedup key (Refold may
// deliver one more than once) and lists them at GET /api/webhooks/events. With
// REFOLD_REGISTER_WEBHOOK=1 (the bundled emulator), the backend registers its URL on start.
package example

import ai.refold.session.Refold
import ai.refold.session.RefoldClient
import ai.refold.session.RefoldException
import jakarta.servlet.http.HttpServletRequest
import org.slf4j.LoggerFactory
import org.springframework.beans.factory.annotation.Value
import org.springframework.boot.context.event.ApplicationReadyEvent
import org.springframework.context.event.EventListener
import org.springframework.core.env.Environment
import org.springframework.http.HttpHeaders
import org.springframework.http.HttpStatus
import org.springframework.http.ResponseEntity
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.PostMapping
import org.springframework.web.bind.annotation.RestController
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

@RestController
class WebhookController(
    private val refold: RefoldClient,
    private val environment: Environment,
    @Value("\${refold.register-webhook}") private val register: String,
    @Value("\${refold.webhook-url}") private val webhookUrl: String,
    @Value("\${refold.base-url}") private val baseUrl: String,
) {
    private val log = LoggerFactory.getLogger(javaClass)

    /** The events received, by dedup key, oldest first; the newest [MAX_EVENTS] are kept. */
    private val events = LinkedHashMap<String, MutableMap<String, Any?>>()

    @PostMapping("/api/webhooks/refold")
    fun receive(request: HttpServletRequest): ResponseEntity<Any> {
        // The raw bytes, before any JSON parsing: re-serialised JSON is other bytes.
        val body = request.inputStream.readNBytes(MAX_WEBHOOK_BYTES + 1)
        if (body.size > MAX_WEBHOOK_BYTES) return answer(HttpStatus.CONTENT_TOO_LARGE, "Too large.")
        if (!refold.verifyWebhookSignature(body, request.getHeader("x-cobalt-signature"))) {
            // One line, never the body nor the header.
            log.warn("webhook refused: bad signature ({} bytes)", body.size)
            return answer(HttpStatus.UNAUTHORIZED, "Bad signature.")
        }
        val event = try {
            Refold.parseWebhookEvent(body)
        } catch (e: RefoldException.InvalidInput) {
            return answer(HttpStatus.BAD_REQUEST, "Not a Refold webhook event.")
        }
        val again = synchronized(events) {
            val seen = events[event.dedupKey]
            if (seen != null) {
                seen["deliveries"] = (seen["deliveries"] as Int) + 1
            } else {
                events[event.dedupKey] = mutableMapOf(
                    "event" to event.eventType,
                    "linkedAccountId" to event.linkedAccountId,
                    "slug" to event.slug,
                    "createdAt" to event.createdAt,
                    "dedupKey" to event.dedupKey,
                    "deliveries" to 1,
                )
                if (events.size > MAX_EVENTS) events.remove(events.keys.first())
            }
            seen != null
        }
        log.info("webhook: {} ({})", event.eventType, if (again) "again" else "new")
        return ResponseEntity.ok(mapOf("received" to true))
    }

    @GetMapping("/api/webhooks/events")
    fun list(): ResponseEntity<Any> {
        val copy = synchronized(events) { events.values.map { HashMap(it) } }
        return ResponseEntity.ok().header(HttpHeaders.CACHE_CONTROL, "no-store").body(mapOf("events" to copy))
    }

    /** Registers this backend's URL for the connection events (the bundled emulator only). */
    @EventListener(ApplicationReadyEvent::class)
    fun registerWebhook() {
        if (register != "1") return
        val port = environment.getProperty("local.server.port") ?: environment.getProperty("server.port")
        val host = environment.getProperty("server.address") ?: "127.0.0.1"
        val url = webhookUrl.ifEmpty { "http://$host:$port/api/webhooks/refold" }
        val body = """{"webhook_url":"$url","webhook_events":["Connection Created","Connection Deleted","Connection Expired"]}"""
        val request = HttpRequest.newBuilder(URI.create("$baseUrl/api/v2/public/webhook"))
            .header("x-api-key", System.getenv("REFOLD_API_KEY").orEmpty())
            .header("content-type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        try {
            val status = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode()
            log.info("webhook registration: {}", status)
        } catch (e: java.io.IOException) {
            log.error("webhook registration failed: {}", e.javaClass.simpleName)
        }
    }

    private fun answer(status: HttpStatus, message: String): ResponseEntity<Any> =
        ResponseEntity.status(status).body(mapOf("message" to message))

    private companion object {
        /** The most of a webhook body read (the library reads at most 1 MiB) and of events kept. */
        const val MAX_WEBHOOK_BYTES = 1024 * 1024
        const val MAX_EVENTS = 100
    }
}

package ai.refold.session

import ai.refold.session.ffi.hostMaxDepth
import java.io.ByteArrayOutputStream
import java.io.DataOutputStream
import java.math.BigDecimal
import java.math.BigInteger
import java.time.Duration

/**
 * The one converter of Kotlin values into the core's host value (bindings-kotlin/src/host_value.rs
 * describes the byte form): what the options, the per-call options and a linked account to send
 * cross as, whole, for the core to read with every rule and message of its own (types, ranges,
 * JSON depth, finite numbers, text that is not valid Unicode). Nothing is checked here.
 */
internal object HostValue {
    /** The core's nesting limit: deeper values are written as "too deep", so a cycle ends. */
    private val maxDepth: Int by lazy { hostMaxDepth().toInt() }

    /** [value] in the host-value form (the caller wipes it when it may hold a secret). */
    fun encode(value: Any?): ByteArray {
        val bytes = ByteArrayOutputStream()
        DataOutputStream(bytes).use { Writer(it).write(value, 0) }
        return bytes.toByteArray()
    }

    /** A map of the members that are set (a null member is an option left out). */
    fun members(vararg members: Pair<String, Any?>): Map<String, Any?> =
        members.filter { it.second != null }.toMap(LinkedHashMap())

    private class Writer(private val out: DataOutputStream) {
        fun write(value: Any?, depth: Int) {
            if (depth > maxDepth) return out.writeByte(TOO_DEEP)
            when (value) {
                null -> out.writeByte(NULL)
                is Boolean -> {
                    out.writeByte(BOOL)
                    out.writeByte(if (value) 1 else 0)
                }
                is Byte, is Short, is Int, is Long -> integer(BigInteger.valueOf((value as Number).toLong()))
                is BigInteger -> integer(value)
                is BigDecimal -> wholeOrNull(value)?.let(::integer) ?: number(value.toDouble())
                is Number -> number(value.toDouble())
                is String -> text(TEXT, value)
                is Duration -> {
                    out.writeByte(DURATION)
                    out.writeDouble(value.seconds.toDouble() + value.nano / 1e9)
                }
                is Map<*, *> -> {
                    val entries = value.entries.toList()
                    out.writeByte(MAP)
                    out.writeInt(entries.size)
                    for ((key, member) in entries) {
                        write(key, depth + 1)
                        write(member, depth + 1)
                    }
                }
                is Iterable<*> -> list(value.toList(), depth)
                is Array<*> -> list(value.asList(), depth)
                else -> text(OTHER, value.javaClass.name)
            }
        }

        private fun list(items: List<Any?>, depth: Int) {
            out.writeByte(LIST)
            out.writeInt(items.size)
            for (item in items) write(item, depth + 1)
        }

        private fun number(value: Double) {
            out.writeByte(NUMBER)
            out.writeDouble(value)
        }

        /** An i128, saturated beyond its range (as the core takes any host integer). */
        private fun integer(value: BigInteger) {
            val bounded = value.max(I128_MIN).min(I128_MAX)
            val bytes = bounded.toByteArray()
            out.writeByte(INTEGER)
            val fill = if (bounded.signum() < 0) 0xff else 0
            repeat(16 - bytes.size) { out.writeByte(fill) }
            out.write(bytes)
        }

        private fun text(tag: Int, text: String) {
            if (!text.isValidUnicode()) return out.writeByte(NOT_UNICODE)
            val bytes = text.toByteArray(Charsets.UTF_8)
            out.writeByte(tag)
            out.writeInt(bytes.size)
            out.write(bytes)
            bytes.fill(0)
        }

        private fun wholeOrNull(value: BigDecimal): BigInteger? =
            try {
                value.toBigIntegerExact()
            } catch (_: ArithmeticException) {
                null
            }
    }

    private const val NULL = 1
    private const val BOOL = 2
    private const val NUMBER = 3
    private const val INTEGER = 4
    private const val TEXT = 5
    private const val NOT_UNICODE = 6
    private const val LIST = 7
    private const val MAP = 8
    private const val DURATION = 9
    private const val OTHER = 10
    private const val TOO_DEEP = 11
    private val I128_MAX = BigInteger.ONE.shiftLeft(127) - BigInteger.ONE
    private val I128_MIN = BigInteger.ONE.shiftLeft(127).negate()
}

package ai.refold.session

import ai.refold.session.ffi.FfiJson
import ai.refold.session.ffi.FfiJsonMember
import ai.refold.session.ffi.FfiTypeProblem
import java.math.BigDecimal
import java.math.BigInteger
import java.util.Collections

/**
 * Plain Kotlin values to and from the native JSON values: `Map` (string keys), `List` (or any
 * `Iterable`, or an array), `String`, numbers, `Boolean` and `null`. Only the translation
 * lives here; what the values may be (e.g. no nested values in `udf`) is the core's rule.
 */
internal class ToNativeJson {
    /** Set when some text held a lone surrogate: it was passed empty and the call fails. */
    var notUnicode: Boolean = false
        private set

    /**
     * The first value JSON has no form for (a type that is not a JSON value, a non-finite
     * number, a key that is not a string, or a structure nested too deep): it was passed as
     * null, and the call fails with the core's `invalid_input` naming it, before anything is sent.
     */
    var typeProblem: FfiTypeProblem? = null
        private set

    /** [value] as a native JSON value; [path] names it in a [typeProblem]. */
    fun convert(value: Any?, path: String, depth: Int = 0): FfiJson {
        if (depth > MAX_DEPTH) return problem(path, "a JSON value nested at most $MAX_DEPTH levels deep", "a deeper one")
        return when (value) {
            null -> FfiJson.Null
            is String -> FfiJson.Text(text(value))
            is Boolean -> FfiJson.Bool(value)
            is Int -> FfiJson.Int(value.toLong())
            is Long -> FfiJson.Int(value)
            is Short -> FfiJson.Int(value.toLong())
            is Byte -> FfiJson.Int(value.toLong())
            is BigInteger -> if (value.bitLength() < Long.SIZE_BITS) FfiJson.Int(value.toLong()) else finite(value.toDouble(), path)
            is BigDecimal -> integral(value) ?: finite(value.toDouble(), path)
            is Number -> finite(value.toDouble(), path)
            is Map<*, *> -> FfiJson.Object(
                value.entries.mapNotNull { (key, member) ->
                    if (key is String) {
                        FfiJsonMember(text(key), convert(member, "$path[\"$key\"]", depth + 1))
                    } else {
                        problem(path, "a Map with String keys", "a Map with a ${typeName(key)} key")
                        null
                    }
                },
            )
            is Iterable<*> -> FfiJson.Array(value.mapIndexed { index, item -> convert(item, "$path[$index]", depth + 1) })
            is Array<*> -> FfiJson.Array(value.mapIndexed { index, item -> convert(item, "$path[$index]", depth + 1) })
            else -> problem(path, "a String, a number, a Boolean, null, a Map with String keys or a List", "a ${typeName(value)}")
        }
    }

    /** [value], or "" when it holds a lone surrogate (uniffi's encoder would throw). */
    fun text(value: String): String =
        if (value.isValidUnicode()) {
            value
        } else {
            notUnicode = true
            ""
        }

    /** Records the first problem (the path without a key that is not valid Unicode); null goes in its place. */
    private fun problem(path: String, expected: String, received: String): FfiJson {
        if (typeProblem == null) {
            val field = if (path.isValidUnicode()) path else path.substringBefore('[')
            typeProblem = FfiTypeProblem(field = field, expected = expected, received = received)
        }
        return FfiJson.Null
    }

    private fun finite(value: Double, path: String): FfiJson =
        if (value.isFinite()) FfiJson.Float(value) else problem(path, "a finite number", value.toString())

    private fun integral(value: BigDecimal): FfiJson? =
        try {
            FfiJson.Int(value.longValueExact())
        } catch (_: ArithmeticException) {
            null
        }

    private companion object {
        /** Deeper than any credentials object or user-defined field needs. */
        const val MAX_DEPTH = 64

        fun typeName(value: Any?): String = value?.javaClass?.name ?: "null"
    }
}

/** A native JSON value as a plain Kotlin value (objects and lists are read-only). */
internal fun FfiJson.toKotlin(): Any? = when (this) {
    FfiJson.Null -> null
    is FfiJson.Bool -> value
    is FfiJson.Int -> value
    is FfiJson.Float -> value
    is FfiJson.Text -> value
    is FfiJson.Array -> Collections.unmodifiableList(items.map { it.toKotlin() })
    is FfiJson.Object -> members.toKotlinMap()
}

/** Object members, in their order, as a read-only map. */
internal fun List<FfiJsonMember>.toKotlinMap(): Map<String, Any?> =
    Collections.unmodifiableMap(LinkedHashMap<String, Any?>(size).also { map -> forEach { map[it.name] = it.value.toKotlin() } })

/** Whether this UTF-16 text is well formed: every surrogate is half of a pair. */
internal fun String.isValidUnicode(): Boolean {
    var index = 0
    while (index < length) {
        val char = this[index++]
        if (!char.isSurrogate()) continue
        if (!char.isHighSurrogate() || index == length || !this[index].isLowSurrogate()) return false
        index++
    }
    return true
}

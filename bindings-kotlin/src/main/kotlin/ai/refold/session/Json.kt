package ai.refold.session

import ai.refold.session.ffi.FfiJson
import ai.refold.session.ffi.FfiJsonMember
import java.util.Collections

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

/**
 * Whether this UTF-16 text can cross as UTF-8 (every surrogate is half of a pair): uniffi's
 * string encoder throws on a lone surrogate, so such text crosses as "not Unicode" for the core
 * to report.
 */
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

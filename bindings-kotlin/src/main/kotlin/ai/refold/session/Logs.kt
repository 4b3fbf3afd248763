package ai.refold.session

/**
 * The core's log lines (a retry, a store fallback, a failed refresh; never a secret), forwarded
 * to SLF4J's logger `ai.refold.session` when SLF4J (`org.slf4j:slf4j-api`, an optional
 * dependency) is on the classpath and JNI is bound; else dropped in native code. Installed once,
 * by the first client, at the level that logger has enabled then. [Slf4jSink] is the only class
 * that names SLF4J's types.
 */
internal object Logs {
    @JvmField
    val sink: Slf4jSink? = load()

    private fun load(): Slf4jSink? = try {
        Class.forName("org.slf4j.LoggerFactory", false, Logs::class.java.classLoader)
        if (NativeFast.available) Slf4jSink() else null
    } catch (error: ClassNotFoundException) {
        null
    } catch (error: LinkageError) {
        null
    }

    /** Installs the native forwarder (once; first use of this object). */
    private val installed: Boolean by lazy { sink?.let { NativeFast.installLogger(it.level()) } ?: false }

    fun install() {
        installed
    }
}

/** [Logs]' sink: SLF4J's logger `ai.refold.session`. */
internal class Slf4jSink {
    private val logger = org.slf4j.LoggerFactory.getLogger("ai.refold.session")

    /** The finest level enabled, as SLF4J numbers it (40 error … 0 trace); 50: none. */
    fun level(): Int = when {
        logger.isTraceEnabled -> 0
        logger.isDebugEnabled -> 10
        logger.isInfoEnabled -> 20
        logger.isWarnEnabled -> 30
        logger.isErrorEnabled -> 40
        else -> 50
    }

    fun log(level: Int, line: String) {
        when {
            level >= 40 -> logger.error(line)
            level >= 30 -> logger.warn(line)
            level >= 20 -> logger.info(line)
            level >= 10 -> logger.debug(line)
            else -> logger.trace(line)
        }
    }
}

package ai.refold.session

import ai.refold.session.ffi.UniffiLib
import ai.refold.session.ffi.fastCallCount
import com.sun.jna.Library
import com.sun.jna.NativeLibrary

/**
 * FastPathTest's child JVM, run with the binding in a jar (its library then extracted by JNA to
 * a temporary file that JNA deletes): mints one token blocking and one suspending, and prints
 * whether they took the JNI path.
 */
object JarMain {
    @JvmStatic
    fun main(args: Array<String>) {
        RefoldClient().use { refold ->
            val before = fastCallCount()
            refold.getTokenForLinkedAccountBlocking(args[0])
            kotlinx.coroutines.runBlocking { refold.getTokenForLinkedAccount(args[0]) }
            val library = NativeLibrary.getInstance("refold_session_kotlin", mapOf(Library.OPTION_CLASSLOADER to UniffiLib::class.java.classLoader))
            println("library=${library.file}")
            println("available=${NativeFast.available} jniCalls=${fastCallCount() - before}")
        }
    }
}

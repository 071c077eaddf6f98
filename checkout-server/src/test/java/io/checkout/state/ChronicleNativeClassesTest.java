package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The build compiles ahead of time the class Chronicle Map would otherwise compile with javac on
 * its first use in a process (checkout-server's pom, {@code src/build/java/ChronicleNativeClasses.java}).
 */
class ChronicleNativeClassesTest {
    @Test
    void chronicleShouldFindItsGlobalStateClassInTheModulesClassesCompiledAhead() throws Exception {
        Class<?> valueInterface = Class.forName("net.openhft.chronicle.hash.VanillaGlobalMutableState");
        Class<?> compiled = Class.forName("net.openhft.chronicle.hash.VanillaGlobalMutableState$$Native");

        assertThat(valueInterface).isAssignableFrom(compiled);
        assertThat(compiled.getProtectionDomain().getCodeSource().getLocation().toString())
                .as("from this module's classes, not compiled at run time nor shipped by Chronicle")
                .contains("checkout-server")
                .doesNotContain("chronicle-map");
    }
}
